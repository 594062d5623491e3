"""The books as auditors read them (docs/books.md), rendered from one document: names of accounts
in the reader's language, and the spreadsheet (XLSX) beside the PDF and the web page.

The spreadsheet holds real cells: numbers as numbers (``#,##0``), a frozen header, the totals as
formulas over the rows; it is written row by row (a write-only workbook), so a long book costs
little memory.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from ledger.ground.messages import has_message, message
from ledger.statements.trial_balance import COLUMNS

ACCOUNT_NAMES = (  # our code's prefix → the catalogue's name for it
    ("assets:cash", "account.cash"),
    ("assets:bank:", "account.bank"),
    ("liabilities:fund:child:", "account.child-fund"),
    ("liabilities:fund:program:", "account.program-fund"),
    ("liabilities:payable:guardian:", "account.guardian-payable"),
    ("liabilities:suspense", "account.suspense"),
    ("income:donations:general", "account.donations"),
    ("expenses:bank-fees", "account.bank-fees"),
    ("equity:opening-balances", "account.opening"),
)
MONEY = "#,##0"


def account_name(lang: str, row: dict[str, Any]) -> str:
    """ "Quỹ của trẻ C-000123 – Nguyễn Thị An", "Tiền gửi ngân hàng vcb-hp-an-lao", …; else the account's own name."""
    code = row["account"]
    for prefix, key in ACCOUNT_NAMES:
        if code == prefix or code.startswith(prefix):
            tail = code.removeprefix(prefix)
            program = message(f"pdf:program.{tail}", lang) if has_message(f"pdf:program.{tail}") else tail
            name = message(f"pdf:{key}", lang, code=tail, program=program)
            return f"{name} – {row['child']}" if row.get("child") else name
    return str(row.get("name") or code)


def trial_balance_xlsx(document: dict[str, Any], lang: str) -> bytes:
    """Bảng cân đối số phát sinh as a workbook: the header the PDF has, a row per account, totals as SUM formulas."""

    def t(key: str, **fields: object) -> str:
        return message(f"pdf:{key}", lang, **fields)

    body = document["body"]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(t("tb.sheet"))
    sheet.column_dimensions["A"].width = 10
    sheet.column_dimensions["B"].width = 34
    sheet.column_dimensions["C"].width = 44
    for letter in "DEFGHI":
        sheet.column_dimensions[letter].width = 16
    bold = Font(bold=True)
    heading = [t("union"), document["branch"]["name"], "", t("tb.title").upper(),
               t("tb.period", start=body["period"]["from"], end=body["period"]["to"]), t("tb.unit"), ""]  # fmt: skip
    sheet.freeze_panes = f"A{len(heading) + 2}"  # a write-only sheet takes it before its first row
    for line in heading:
        sheet.append([_cell(sheet, line, bold)] if line else [])
    header = [t("tb.number"), t("tb.code"), t("tb.name")] + [t(f"tb.{column}") for column in COLUMNS]
    sheet.append([_cell(sheet, text, bold) for text in header])
    first = len(heading) + 2
    for row in body["rows"]:
        sheet.append([row["number"], f"{row['branch']}:{row['account']}", account_name(lang, row),
                      *(_money(sheet, row[column]) for column in COLUMNS)])  # fmt: skip
    last = first + len(body["rows"]) - 1
    totals = [
        _money(sheet, f"=SUM({letter}{first}:{letter}{last})" if body["rows"] else 0, bold) for letter in "DEFGHI"
    ]
    sheet.append([_cell(sheet, t("tb.total"), bold), "", "", *totals])
    sheet.append([])
    sheet.append(["", "", t("tb.issued", day=document["issued_on"])])
    sheet.append([_cell(sheet, t(f"sign.{who}"), bold) for who in ("preparer", "accountant", "chair")])
    sheet.append([t("sign.hint")] * 3)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(sheet: WriteOnlyWorksheet, value: str | int | None, font: Font | None = None) -> Cell:
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    return cell


def _money(sheet: WriteOnlyWorksheet, value: str | int, font: Font | None = None) -> Cell:
    cell = _cell(sheet, value, font)
    cell.number_format = MONEY
    return cell
