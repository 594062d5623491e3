"""A list of the register as a spreadsheet: the columns' names in the reader's language, text kept as text."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook

from ledger.ground.messages import message


def list_xlsx(kind: str, columns: Sequence[str], rows: Iterable[dict[str, Any]], lang: str) -> bytes:
    """Rows as they are listed; money in whole đồng (a number), dates as dates, any text never a formula."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(message(f"web:list.{kind}", lang)[:31])
    sheet.append([message(f"web:col.{name}", lang) for name in columns])
    for row in rows:
        sheet.append([_cell(row[name]) for name in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a name typed as =HYPERLINK(…) is never a live formula
    if isinstance(value, (int, date, str)) or value is None:
        return value
    return str(value)
