"""The books as auditors read them (docs/books.md), rendered from one document: names of accounts
in the reader's language, and the spreadsheet (XLSX) beside the PDF and the web page.

The spreadsheet holds real cells: numbers as numbers (``#,##0``), a frozen header, the totals as
formulas over the rows; it is written row by row (a write-only workbook), so a long book costs
little memory.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from ledger.ground.messages import has_message, message
from ledger.ground.words import side
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


def money_book_xlsx(document: dict[str, Any], lang: str) -> bytes:
    """Sổ quỹ tiền mặt or sổ tiền gửi ngân hàng as a workbook, a sheet per account: dates as dates, figures as
    numbers, the period's movements as SUM formulas and the closing balance as opening + in − out."""

    def t(key: str, **fields: object) -> str:
        return message(f"pdf:{key}", lang, **fields)

    kind, body = document["kind"], document["body"]
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for number, account in enumerate(body["books"], 1):
        bank = account["bank"]
        sheet = book.create_sheet(f"{number} {bank['code'] if bank else t('mb.title.' + kind)}"[:31])
        for letter, width in zip("ABCDEFG", (12, 12, 12, 60, 16, 16, 16), strict=True):
            sheet.column_dimensions[letter].width = width
        named = t("mb.bank_account", number=bank["number"], name=bank["name"], code=bank["code"]) if bank else ""
        period = t("tb.period", start=body["period"]["from"], end=body["period"]["to"])
        heading = [t("union"), document["branch"]["name"], t(f"mb.title.{kind}").upper(), named, period,
                   t("tb.unit"), ""]  # fmt: skip
        sheet.freeze_panes = f"A{len(heading) + 2}"
        for line in heading:
            sheet.append([_cell(sheet, line, bold)] if line else [])
        sheet.append([_cell(sheet, text, bold) for text in (
            t("mb.recorded"), t("mb.dated"), t("mb.voucher"), t("description"), t(f"mb.in.{kind}"),
            t(f"mb.out.{kind}"), t(f"mb.balance.{kind}"),
        )])  # fmt: skip
        opening_row = len(heading) + 2
        sheet.append(
            ["", "", "", _cell(sheet, t(f"mb.opening.{kind}"), bold), "", "", _money(sheet, account["opening"])]
        )
        for line in account["lines"]:
            sheet.append([
                _day(sheet, line["recorded"]), _day(sheet, line["date"]), line["voucher"],
                side(line["description"], lang), _money(sheet, line["in"]), _money(sheet, line["out"]),
                _money(sheet, line["balance"]),
            ])  # fmt: skip
        first, last = opening_row + 1, opening_row + len(account["lines"])
        sums = [f"=SUM({letter}{first}:{letter}{last})" if account["lines"] else 0 for letter in "EF"]
        sheet.append(["", "", "", _cell(sheet, t("mb.movements"), bold), *(_money(sheet, s, bold) for s in sums)])
        moved = last + 1
        closing = f"=G{opening_row}+E{moved}-F{moved}"
        sheet.append(["", "", "", _cell(sheet, t(f"mb.closing.{kind}"), bold), "", "", _money(sheet, closing, bold)])
        sheet.append([])
        sheet.append(["", "", "", t("tb.issued", day=document["issued_on"])])
        sheet.append([_cell(sheet, t(f"sign.{who}"), bold) for who in ("preparer", "accountant", "chair")])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def book_xlsx(document: dict[str, Any], lang: str) -> bytes:
    """The spreadsheet of a book that has one."""
    if document["kind"] == "trial-balance":
        return trial_balance_xlsx(document, lang)
    if document["kind"] in ("cash-book", "bank-book"):
        return money_book_xlsx(document, lang)
    raise ValueError(f"a {document['kind']} has no spreadsheet")


XLSX_KINDS = ("trial-balance", "cash-book", "bank-book")


def _day(sheet: WriteOnlyWorksheet, iso: str) -> Cell:
    day = date.fromisoformat(iso)
    cell = WriteOnlyCell(sheet, value=datetime(day.year, day.month, day.day))
    cell.number_format = "DD/MM/YYYY"
    return cell


def _cell(sheet: WriteOnlyWorksheet, value: str | int | None, font: Font | None = None) -> Cell:
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    return cell


def _money(sheet: WriteOnlyWorksheet, value: str | int, font: Font | None = None) -> Cell:
    cell = _cell(sheet, value, font)
    cell.number_format = MONEY
    return cell
