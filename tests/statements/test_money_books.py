"""Sổ quỹ tiền mặt and sổ tiền gửi ngân hàng: opening, every movement with its running balance,
closing; a hand-worked cash box fixes the figures, and the demo's bank book ends where the ledger does."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

from openpyxl import load_workbook
from sqlmodel import Session

from ledger.accounts import AccountKey
from ledger.balances import balance
from ledger.months import Month
from ledger.statements.document import Period, StatementRequest
from ledger.statements.issue import gather
from pdf_templates import render_pdf
from pdf_templates.books import book_xlsx
from tests.factories import BANK, CASH, commune, transfer
from tests.statements.conftest import ISSUED, pages_text, squeeze


def test_a_cash_box_over_two_months_worked_by_hand(database):
    engine = database.engine
    commune(engine, "an-lao", children=())
    transfer(engine, "an-lao", BANK, "equity:opening-balances", 10_000_000, on=date(2026, 1, 2))
    drawn = transfer(engine, "an-lao", CASH, BANK, 3_000_000, on=date(2026, 1, 10))  # rút tiền mặt
    paid = transfer(engine, "an-lao", "expenses:bank-fees", CASH, 200_000, on=date(2026, 2, 3))
    back = transfer(engine, "an-lao", BANK, CASH, 1_000_000, on=date(2026, 2, 20))  # nộp lại
    with Session(engine) as session:
        document = gather(
            session, StatementRequest("cash-book", "an-lao", Period.month(Month(2026, 2))), issued_on=ISSUED
        )
    (book,) = document["body"]["books"]
    assert (book["opening"], book["in"], book["out"], book["closing"]) == (3_000_000, 0, 1_200_000, 1_800_000)
    assert [(line["voucher"], line["transaction"], line["out"], line["balance"]) for line in book["lines"]] == [
        ("PC-2026-0001", paid.id, 200_000, 2_800_000),
        ("PC-2026-0002", back.id, 1_000_000, 1_800_000),
    ]
    with Session(engine) as session:
        january = gather(
            session, StatementRequest("cash-book", "an-lao", Period.month(Month(2026, 1))), issued_on=ISSUED
        )
    assert [(line["voucher"], line["transaction"]) for line in january["body"]["books"][0]["lines"]] == [
        ("PT-2026-0001", drawn.id)
    ]
    text = squeeze(" ".join(pages_text(render_pdf(document, "vi"))))
    assert "SỔ QUỸ TIỀN MẶT" in text.upper() and "Số tồn cuối kỳ" in text and "1.800.000" in text

    sheet = load_workbook(io.BytesIO(book_xlsx(document, "vi"))).worksheets[0]
    opening_row = next(r for r in range(1, 20) if sheet.cell(r, 4).value == "Số tồn đầu kỳ")
    assert sheet.freeze_panes == f"A{opening_row}" and sheet.cell(opening_row, 7).value == 3_000_000
    rows = range(opening_row + 1, opening_row + 1 + len(book["lines"]))
    assert [sheet.cell(r, 2).value for r in rows] == [datetime(2026, 2, 3), datetime(2026, 2, 20)]  # dates as dates
    assert sum(sheet.cell(r, 6).value for r in rows) == book["out"]  # re-added, the figures give the total
    moved, closing = opening_row + 1 + len(book["lines"]), opening_row + 2 + len(book["lines"])
    assert sheet.cell(moved, 6).value == f"=SUM(F{rows[0]}:F{rows[-1]})"
    assert sheet.cell(closing, 7).value == f"=G{opening_row}+E{moved}-F{moved}"


def test_vouchers_are_numbered_per_year_without_gaps_and_never_renumbered(database):
    """A voucher number, once shown, stays: a payment recorded later but dated earlier in the year
    takes the next number; the next year starts again at 0001; the bank's notes count apart."""
    engine = database.engine
    commune(engine, "an-lao", children=())
    transfer(engine, "an-lao", BANK, "equity:opening-balances", 10_000_000, on=date(2026, 1, 2))
    first = transfer(engine, "an-lao", CASH, BANK, 1_000_000, on=date(2026, 3, 10))
    out = transfer(engine, "an-lao", "expenses:bank-fees", CASH, 100_000, on=date(2026, 3, 12))

    def vouchers(kind: str, period: Period) -> dict[int, str]:
        with Session(engine) as session:
            document = gather(session, StatementRequest(kind, "an-lao", period), issued_on=ISSUED)
        return {line["transaction"]: line["voucher"] for book in document["body"]["books"] for line in book["lines"]}

    year = Period(Month(2026, 1), Month(2026, 12))
    before = vouchers("cash-book", year)
    assert before == {first.id: "PT-2026-0001", out.id: "PC-2026-0001"}
    late = transfer(engine, "an-lao", CASH, BANK, 500_000, on=date(2026, 2, 1))  # recorded now, dated February
    after = vouchers("cash-book", year)
    assert {t: after[t] for t in before} == before and after[late.id] == "PT-2026-0002"
    assert vouchers("cash-book", Period.month(Month(2026, 2))) == {late.id: "PT-2026-0002"}
    january = transfer(engine, "an-lao", CASH, BANK, 200_000, on=date(2027, 1, 5))
    assert vouchers("cash-book", Period.month(Month(2027, 1))) == {january.id: "PT-2027-0001"}


def test_the_demos_bank_book_ends_where_the_ledger_does(world):
    first = world.month.previous()
    document = world.document("bank-book", "hp-an-lao", Period(first, world.month))
    books = document["body"]["books"]
    assert books and all(b["bank"] for b in books)
    with Session(world.database.engine) as session:
        for book in books:
            running = book["opening"]
            for line in book["lines"]:
                running += line["in"] - line["out"]
                assert line["balance"] == running
                assert re.fullmatch(r"B[CN]-\d{4}-\d{4}", line["voucher"])
                assert line["voucher"].startswith("BC" if line["in"] else "BN")
            assert len({line["voucher"] for line in book["lines"]}) == len(book["lines"])
            assert (
                book["closing"]
                == running
                == balance(session, AccountKey("hp-an-lao", book["account"]), as_of=world.month.last_day)
            )
    text = squeeze(" ".join(pages_text(render_pdf(document, "vi"))))
    assert "Gửi vào" in text and "Rút ra" in text and f"{books[0]['closing']:,}".replace(",", ".") in text
