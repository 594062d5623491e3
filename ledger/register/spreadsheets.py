"""Reading the spreadsheets treasurers bring (docs/register-files.md): CSV or XLSX, headers in English or Vietnamese.

CSV is UTF-8 with or without BOM, comma or semicolon separated; XLSX is read from its first
sheet. Header names are matched case-insensitively, with Vietnamese aliases. Cells come back
as text (dates from Excel as ISO dates), each with its spreadsheet row number.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ledger.errors import InvalidEntry, TooLarge
from ledger.months import Month

MAX_ROWS = 200_000  # a province's register fits; a file beyond it is a mistake or an attack


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # as the spreadsheet shows it: the header is row 1
    cells: dict[str, str]


class UnreadableFile(InvalidEntry, ValueError):
    """A spreadsheet that cannot be read as one (its encoding, its layout, a damaged file)."""


def header_key(text: str) -> str:
    """Headers compared without case, accents or punctuation: 'Ngày sinh' → 'ngay sinh'."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@dataclass(frozen=True, slots=True)
class Table:
    """A file's rows keyed by canonical column name, with its header as the file wrote it."""

    header: list[str]  # canonical names; an unknown column as "?" + its title
    titles: list[str]  # the header's cells as written in the file
    rows: list[Row]

    def title_of(self, column: str) -> str:
        """The file's own title of a canonical column (the canonical name when the file lacks it)."""
        return self.titles[self.header.index(column)] if column in self.header else column


def read_table(path: Path, columns: Mapping[str, tuple[str, ...]]) -> Table:
    """The file's rows keyed by canonical column name, with its header as written."""
    if not path.exists():
        raise UnreadableFile(f"{path} does not exist")
    cells = _read_xlsx(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _read_csv(path)
    header_index = next((i for i, line in enumerate(cells) if any(c.strip() for c in line)), None)
    if header_index is None:
        raise UnreadableFile(f"{path.name} is empty")
    titles = [cell.strip() for cell in cells[header_index]]
    return table_of(titles, cells[header_index + 1 :], columns, first_row=header_index + 2)


def table_of(
    titles: list[str],
    lines: list[list[str]],
    columns: Mapping[str, tuple[str, ...]],
    *,
    first_row: int = 2,
    numbers: list[int] | None = None,
) -> Table:
    """A table from a header and its lines (from a file, or from a form that corrected one, which
    gives each line's row ``numbers`` as the file had them)."""
    aliases = {header_key(alias): name for name, names in columns.items() for alias in (name, *names)}
    header = [aliases.get(header_key(cell), f"?{cell.strip()}") for cell in titles]
    rows = []
    for offset, cells in zip(numbers or range(first_row, first_row + len(lines)), lines, strict=True):
        if not any(c.strip() for c in cells):
            continue
        rows.append(Row(offset, {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}))
    return Table(header, titles, rows)


def _read_csv(path: Path) -> list[list[str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile(f"{path.name} is not UTF-8 text: save the CSV as 'CSV UTF-8'") from None
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return csv_table(text, delimiter, path.name)


def csv_table(text: str, delimiter: str, name: str) -> list[list[str]]:
    """The rows of a CSV text, within the limits one import may ask (rows, and bytes in a field)."""
    table = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            table.append(row)
            if len(table) > MAX_ROWS:
                raise TooLarge(f"{name} has more than {MAX_ROWS:,} rows", f"{MAX_ROWS:,} rows a file: split it")
    except csv.Error as exc:  # e.g. a field longer than the csv module's limit (128 KB)
        raise UnreadableFile(f"{name} is not a CSV file the importer can read ({exc})") from None
    return table


def _read_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise UnreadableFile(f"{path.name} cannot be read as an Excel workbook ({exc})") from None
    sheet = workbook.worksheets[0]
    table = []
    for row in sheet.iter_rows(values_only=True):
        table.append([_cell_text(value) for value in row])
        if len(table) > MAX_ROWS:
            workbook.close()
            raise TooLarge(f"{path.name} has more than {MAX_ROWS:,} rows", f"{MAX_ROWS:,} rows a file: split it")
    workbook.close()
    return table


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- field parsers: each returns the value or raises ValueError with the reason ----------------

_GROUPED = re.compile(r"^\d{1,3}(?:([.,\u00a0 ])\d{3})(?:\1\d{3})*$")
_CURRENCY = re.compile(r"\s*(₫|đ|vnd|vnđ)\s*$|^\s*(₫|vnd)\s*", re.IGNORECASE)


def parse_amount(text: str) -> int:
    """Whole đồng: '1500000', '1.500.000', '1,500,000', '1.500.000 ₫', '500000 VND'."""
    bare = _CURRENCY.sub("", text).strip()
    if bare.isdigit():
        return int(bare)
    if _GROUPED.match(bare):
        return int(re.sub(r"\D", "", bare))
    raise ValueError(f"{text!r} is not an amount in whole đồng (e.g. 1.500.000)")


def parse_month(text: str) -> Month:
    if re.match(r"^\d{4}-\d{2}-\d{2}$", text):  # Excel turns 2025-05 into a date
        return Month.of(date.fromisoformat(text))
    return Month.parse(text)
