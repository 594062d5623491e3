"""Bảng cân đối số phát sinh: a hand-worked case fixes the figures; the demo's re-adds in the
spreadsheet (openpyxl) and reads back from the PDF (pypdf) to the same totals."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from ledger.months import Month
from ledger.statements.document import Period, StatementRequest
from ledger.statements.issue import gather
from ledger.statements.trial_balance import COLUMNS, balanced
from pdf_templates import render_pdf
from pdf_templates.books import account_name, trial_balance_xlsx
from pdf_templates.verify import verify_statement
from tests.factories import BANK, CASH, OPENING, commune, transfer
from tests.statements.conftest import ISSUED, pages_text, squeeze

BRANCH = "an-lao"


def book(engine, first: Month, last: Month) -> dict:
    with Session(engine) as session:
        return gather(session, StatementRequest("trial-balance", BRANCH, Period(first, last)), issued_on=ISSUED)


def figures(document: dict) -> dict[str, tuple[int, ...]]:
    return {row["account"]: tuple(row[c] for c in COLUMNS) for row in document["body"]["rows"]}


def test_three_accounts_over_two_months_worked_by_hand(database):
    """Cash 1.000.000 opened in January, 400.000 of it banked on the 20th, 100.000 drawn back in February."""
    engine = database.engine
    commune(engine, BRANCH, children=())
    transfer(engine, BRANCH, CASH, OPENING, 1_000_000, on=date(2026, 1, 5))
    transfer(engine, BRANCH, BANK, CASH, 400_000, on=date(2026, 1, 20))
    transfer(engine, BRANCH, CASH, BANK, 100_000, on=date(2026, 2, 10))

    february = book(engine, Month(2026, 2), Month(2026, 2))
    #                       opening Nợ  opening Có  phát sinh Nợ  phát sinh Có  cuối kỳ Nợ  cuối kỳ Có
    assert figures(february) == {
        CASH: (600_000, 0, 100_000, 0, 700_000, 0),
        BANK: (400_000, 0, 0, 100_000, 300_000, 0),
        OPENING: (0, 1_000_000, 0, 0, 0, 1_000_000),  # a credit balance: a positive figure in Có
    }
    assert february["body"]["totals"] == {
        "opening_debit": 1_000_000, "opening_credit": 1_000_000, "debit": 100_000, "credit": 100_000,
        "closing_debit": 1_000_000, "closing_credit": 1_000_000,
    }  # fmt: skip
    both = book(engine, Month(2026, 1), Month(2026, 2))
    assert figures(both) == {
        CASH: (0, 0, 1_100_000, 400_000, 700_000, 0),
        BANK: (0, 0, 400_000, 100_000, 300_000, 0),
        OPENING: (0, 0, 0, 1_000_000, 0, 1_000_000),
    }
    assert balanced(february["body"]) and balanced(both["body"])
    rows = {row["account"]: row for row in february["body"]["rows"]}
    assert [rows[CASH]["number"], rows[BANK]["number"], rows[OPENING]["number"]] == ["111", "112", ""]
    assert account_name("vi", rows[CASH]) == "Tiền mặt" and account_name("en", rows[BANK]).startswith("Bank deposits")


def test_the_demos_book_re_adds_in_the_spreadsheet_and_reads_back_from_the_pdf(world):
    first = Month(world.month.year, 1) if world.month.month > 1 else world.month
    with Session(world.database.engine) as session:
        document = gather(
            session, StatementRequest("trial-balance", "hp", Period(first, world.month)), issued_on=ISSUED
        )
    body = document["body"]
    assert body["rows"] and balanced(body)
    assert all(row["closing_debit"] == 0 or row["closing_credit"] == 0 for row in body["rows"])
    funds = [row for row in body["rows"] if ":fund:child:" in row["account"]]
    assert funds and all(row["child"] for row in funds)  # "Quỹ của trẻ C-… – her name"
    assert account_name("vi", funds[0]).startswith("Quỹ của trẻ C-") and funds[0]["child"] in account_name(
        "vi", funds[0]
    )

    sheet = load_workbook(io.BytesIO(trial_balance_xlsx(document, "vi"))).active
    header = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "Số hiệu TK")
    assert sheet.freeze_panes == f"A{header + 1}"
    first_row, last_row = header + 1, header + len(body["rows"])
    for column, letter in zip(COLUMNS, "DEFGHI", strict=True):
        cells = [sheet[f"{letter}{r}"].value for r in range(first_row, last_row + 1)]
        assert all(isinstance(v, int) for v in cells)  # numbers as numbers
        assert sum(cells) == body["totals"][column]  # re-added, the sheet gives the document's total
        assert sheet[f"{letter}{last_row + 1}"].value == f"=SUM({letter}{first_row}:{letter}{last_row})"
        assert sheet[f"{letter}{first_row}"].number_format == "#,##0"
    for r in range(first_row, last_row + 1):
        d, c, dm, cm, dc, cc = (sheet[f"{letter}{r}"].value for letter in "DEFGHI")
        assert d - c + dm - cm == dc - cc  # opening + movements = closing on every row
    assert sheet[f"A{last_row + 1}"].value == "Cộng"

    text = squeeze(" ".join(pages_text(render_pdf(document, "vi"))))
    assert "BẢNG CÂN ĐỐI SỐ PHÁT SINH" in text.upper() and "NGƯỜI LẬP BIỂU" in text and "CHỦ TỊCH" in text
    for column in COLUMNS:
        assert f"{body['totals'][column]:,}".replace(",", ".") in text


@pytest.mark.parametrize("kind", ["trial-balance", "payment-list", "cash-book", "bank-book"])
def test_each_book_verifies_as_issued_against_the_ledger(world, kind):
    """The books are statements like the others: their figures ride in the PDF and are checked again."""
    period = Period.month(world.month) if kind == "payment-list" else Period(world.month.previous(), world.month)
    pdf = render_pdf(world.document(kind, "hp-an-lao", period), "vi")
    with Session(world.database.engine) as session:
        verdict = verify_statement(session, pdf)
    assert [(check.name, check.ok) for check in verdict.checks] == [
        ("statement", True), ("signature", True), ("code", True), ("pages", True), ("ledger", True)
    ]  # fmt: skip
