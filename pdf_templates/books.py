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
Sheet = Any  # a write-only worksheet: openpyxl's stubs leave out the column widths it has


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


def short_account(lang: str, code: str) -> str:
    """A contra account as a narrow column shows it: its number, else "Quỹ trẻ C-000123", "TGNH vcb-…"."""
    for prefix, key in ACCOUNT_NAMES:
        if code == prefix or code.startswith(prefix):
            tail = code.removeprefix(prefix)
            short = f"pdf:short.{key.removeprefix('account.')}"
            program = message(f"pdf:program.{tail}", lang) if has_message(f"pdf:program.{tail}") else tail
            return message(short, lang, code=tail, program=program) if has_message(short) else code
    return code


def trial_balance_xlsx(document: dict[str, Any], lang: str) -> bytes:
    """Bảng cân đối số phát sinh as a workbook: the header the PDF has, a row per account, totals as SUM formulas."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(message("pdf:tb.sheet", lang))
    _trial_balance_sheet(sheet, document, document["body"]["rows"], lang)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _trial_balance_sheet(sheet: Sheet, document: dict[str, Any], rows: list[dict[str, Any]], lang: str) -> None:
    def t(key: str, **fields: object) -> str:
        return message(f"pdf:{key}", lang, **fields)

    period = document["body"]["period"]
    sheet.column_dimensions["A"].width = 10
    sheet.column_dimensions["B"].width = 34
    sheet.column_dimensions["C"].width = 44
    for letter in "DEFGHI":
        sheet.column_dimensions[letter].width = 16
    bold = Font(bold=True)
    heading = [t("union"), document["branch"]["name"], "", t("tb.title").upper(),
               t("tb.period", start=period["from"], end=period["to"]), t("tb.unit"), ""]  # fmt: skip
    sheet.freeze_panes = f"A{len(heading) + 2}"  # a write-only sheet takes it before its first row
    for line in heading:
        sheet.append([_cell(sheet, line, bold)] if line else [])
    header = [t("tb.number"), t("tb.code"), t("tb.name")] + [t(f"tb.{column}") for column in COLUMNS]
    sheet.append([_cell(sheet, text, bold) for text in header])
    first = len(heading) + 2
    for row in rows:
        sheet.append([row["number"], f"{row['branch']}:{row['account']}", account_name(lang, row),
                      *(_money(sheet, row[column]) for column in COLUMNS)])  # fmt: skip
    last = first + len(rows) - 1
    totals = [_money(sheet, f"=SUM({letter}{first}:{letter}{last})" if rows else 0, bold) for letter in "DEFGHI"]
    sheet.append([_cell(sheet, t("tb.total"), bold), "", "", *totals])
    sheet.append([])
    sheet.append(["", "", t("tb.issued", day=document["issued_on"])])
    sheet.append([_cell(sheet, t(f"sign.{who}"), bold) for who in ("preparer", "accountant", "chair")])
    sheet.append([t("sign.hint")] * 3)


def audit_xlsx(document: dict[str, Any], lang: str) -> bytes:
    """The auditor pack as a workbook: the trial balance, the general ledger, the journal, children, sponsors."""

    def t(key: str, **fields: object) -> str:
        return message(f"pdf:{key}", lang, **fields)

    body, bold = document["body"], Font(bold=True)
    book = Workbook(write_only=True)
    _trial_balance_sheet(book.create_sheet(t("tb.sheet")), document, body["trial_balance"]["rows"], lang)
    _detail_sheet(book.create_sheet(t("dl.sheet")), document, t("audit.general_ledger"), body["general_ledger"], lang)
    tables: list[tuple[str, list[str], list[tuple[str, str]], list[dict[str, Any]]]] = [
        (t("audit.journal"), ["audit.seq", "audit.transaction", "date", "description", "amount", "audit.hash"],
         [("seq", "n"), ("transaction", "n"), ("date", "d"), ("description", "t"), ("amount", "m"), ("hash", "s")],
         body["journal"]),
        (t("audit.children"), ["guardian.child", "name", "treasurer.opening", "audit.received", "audit.disbursed",
                               "treasurer.closing", "audit.handed"],
         [("child", "s"), ("name", "s"), ("opening", "m"), ("received", "m"), ("disbursed", "m"), ("closing", "m"),
          ("handed_over", "m")], body["children"]),
        (t("audit.sponsors"), ["sponsor.sponsor", "name", "sponsor.due", "sponsor.paid", "sponsor.payments_total",
                               "sponsor.owed"],
         [("sponsor", "s"), ("name", "s"), ("scheduled", "m"), ("paid", "m"), ("payments", "m"), ("arrears", "m")],
         body["sponsors"]),
    ]  # fmt: skip
    for title, headers, columns, rows in tables:
        sheet = book.create_sheet(title[:31])
        sheet.freeze_panes = "A2"
        sheet.append([_cell(sheet, t(key), bold) for key in headers])
        for row in rows:
            sheet.append([_typed(sheet, row[name], how, lang) for name, how in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _typed(sheet: WriteOnlyWorksheet, value: Any, how: str, lang: str) -> Cell | str | int:
    if how == "m":
        return _money(sheet, value)
    if how == "d":
        return _day(sheet, value)
    return side(value, lang) if how == "t" else value


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


def detail_xlsx(document: dict[str, Any], lang: str) -> bytes:
    """A sổ chi tiết as a workbook: one sheet, every account's opening row, its lines (dates as dates,
    figures as numbers), the period's movements as SUM formulas and the closing balance as a formula
    of opening + Nợ − Có, split into its Nợ or Có column."""

    def t(key: str, **fields: object) -> str:
        return message(f"pdf:{key}", lang, **fields)

    kind, body = document["kind"], document["body"]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(t("dl.sheet"))
    _detail_sheet(sheet, document, t(f"dl.title.{kind}"), body["books"], lang)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _detail_sheet(sheet: Sheet, document: dict[str, Any], title: str, books: list[dict[str, Any]], lang: str) -> None:
    def t(key: str, **fields: object) -> str:
        return message(f"pdf:{key}", lang, **fields)

    body, bold = document["body"], Font(bold=True)
    for letter, width in zip("ABCDEFGHIJ", (12, 16, 10, 56, 28, 16, 16, 16, 16, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    heading = [t("union"), document["branch"]["name"], "", title.upper(),
               t("tb.period", start=body["period"]["from"], end=body["period"]["to"]), t("tb.unit"), ""]  # fmt: skip
    sheet.freeze_panes = f"A{len(heading) + 2}"
    for line in heading:
        sheet.append([_cell(sheet, line, bold)] if line else [])
    sheet.append([_cell(sheet, text, bold) for text in (
        t("date"), t("dl.voucher"), t("audit.transaction"), t("description"), t("dl.contra"), t("tb.debit"),
        t("tb.credit"), t("dl.balance_debit"), t("dl.balance_credit"), t("tb.code"),
    )])  # fmt: skip
    row = len(heading) + 1
    for account in books:
        named = f"{account['number'] + ' · ' if account['number'] else ''}{account_name(lang, account)}"
        code = f"{account['branch'] + ':' if account['branch'] else ''}{account['account']}"
        opened = (_money(sheet, account["opening_debit"]), _money(sheet, account["opening_credit"]))
        sheet.append(["", "", "", _cell(sheet, f"{named} · {t('dl.opening')}", bold), "", "", "", *opened, code])
        opening = row = row + 1
        for line in account["lines"]:
            contra = ", ".join(line["contra"]) + (f" +{line['contra_more']}" if line["contra_more"] else "")
            reached = line.get("reached")
            said = side(line["description"], lang) + (
                f" → {reached['number'] or reached['account']}" if reached else ""
            )
            sheet.append([_day(sheet, line["date"]), line["voucher"], line["transaction"], said, contra,
                          _money(sheet, line["debit"]), _money(sheet, line["credit"]),
                          _money(sheet, line["balance_debit"]), _money(sheet, line["balance_credit"])])  # fmt: skip
            row += 1
        first, last = opening + 1, row
        sums = [f"=SUM({letter}{first}:{letter}{last})" if account["lines"] else 0 for letter in "FG"]
        row += 1
        net = f"(H{opening}-I{opening}+F{row}-G{row})"
        sheet.append(["", "", "", _cell(sheet, f"{t('mb.movements')} · {t('dl.closing')}", bold),
                      "", *(_money(sheet, s, bold) for s in sums),
                      _money(sheet, f"=MAX({net},0)", bold), _money(sheet, f"=MAX(-{net},0)", bold)])  # fmt: skip
    sheet.append([])
    sheet.append(["", "", "", t("tb.issued", day=document["issued_on"])])
    sheet.append([_cell(sheet, t(f"sign.{who}"), bold) for who in ("preparer", "accountant", "chair")])


def book_xlsx(document: dict[str, Any], lang: str) -> bytes:
    """The spreadsheet of a book that has one."""
    if document["kind"] == "trial-balance":
        return trial_balance_xlsx(document, lang)
    if document["kind"] in ("cash-book", "bank-book"):
        return money_book_xlsx(document, lang)
    if document["kind"] in ("general-ledger", "child-ledger", "sponsor-ledger"):
        return detail_xlsx(document, lang)
    if document["kind"] == "audit":
        return audit_xlsx(document, lang)
    raise ValueError(f"a {document['kind']} has no spreadsheet")


XLSX_KINDS = ("trial-balance", "cash-book", "bank-book", "general-ledger", "child-ledger", "sponsor-ledger", "audit")


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
