"""Sổ chi tiết: a hand-worked case fixes each line's contra account, voucher and running balance in
Nợ or Có; the demo's general, child and sponsor ledgers read back from their PDF (pypdf) and
spreadsheet (openpyxl) to what the ledger itself says."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlmodel import Session

from ledger.accounts import AccountKey
from ledger.balances import balance
from ledger.db import run_in_transaction
from ledger.journal import reverse_by_hand
from ledger.models import Account, Branch, LedgerTransaction, Posting
from ledger.months import Month
from ledger.register.models import BankAccount, Child, Payment, Sponsor
from ledger.register.payments import record_payment
from ledger.statements.document import Period, StatementRequest
from ledger.statements.issue import gather
from pdf_templates import render_pdf
from pdf_templates.books import book_xlsx
from pdf_templates.verify import verify_statement
from tests.factories import BANK, CASH, FEES, OPENING, admin, commune, fund, transfer
from tests.statements.conftest import ISSUED, pages_text, squeeze


def ledger_of(engine, kind: str, subject: str, first: Month, last: Month, account: str | None = None) -> dict:
    with Session(engine) as session:
        request = StatementRequest(kind, subject, Period(first, last), account=account)
        return gather(session, request, issued_on=ISSUED)


def test_cash_and_a_childs_fund_over_two_months_worked_by_hand(database):
    """Cash opened with 1.000.000 in January (and the bank with 5.000.000); 300.000 given in cash for a child on 10 January; in
    February 50.000 paid from the cash box as a bank fee and 200.000 drawn from the bank into it."""
    engine = database.engine
    commune(engine, "an-lao", children=("C-000123",))
    transfer(engine, "an-lao", CASH, OPENING, 1_000_000, on=date(2026, 1, 5))
    transfer(engine, "an-lao", BANK, OPENING, 5_000_000, on=date(2026, 1, 5))
    given = transfer(engine, "an-lao", CASH, fund("C-000123"), 300_000, on=date(2026, 1, 10))
    fee = transfer(engine, "an-lao", FEES, CASH, 50_000, on=date(2026, 2, 3))
    drawn = transfer(engine, "an-lao", CASH, BANK, 200_000, on=date(2026, 2, 4))

    february = ledger_of(engine, "general-ledger", "an-lao", Month(2026, 2), Month(2026, 2), account=CASH)
    (cash,) = february["body"]["books"]
    assert (cash["number"], cash["opening_debit"], cash["opening_credit"]) == ("111", 1_300_000, 0)
    assert [
        (line["voucher"], line["transaction"], line["contra"], line["debit"], line["credit"], line["balance_debit"])
        for line in cash["lines"]
    ] == [
        ("PC-2026-0001", fee.id, [FEES], 0, 50_000, 1_250_000),  # the year's first cash payment
        ("PT-2026-0003", drawn.id, ["112"], 200_000, 0, 1_450_000),  # its third receipt; the bank under its number
    ]
    closing = (cash["debit"], cash["credit"], cash["closing_debit"], cash["closing_credit"])
    assert closing == (200_000, 50_000, 1_450_000, 0)

    both = ledger_of(engine, "general-ledger", "an-lao", Month(2026, 1), Month(2026, 2))
    books = {b["account"]: b for b in both["body"]["books"]}
    child = books[fund("C-000123")]  # a credit balance: in the Dư Có column, a positive figure
    assert [
        (line["transaction"], line["contra"], line["credit"], line["balance_credit"]) for line in child["lines"]
    ] == [(given.id, ["111"], 300_000, 300_000)]
    opening = books[OPENING]
    assert (opening["closing_debit"], opening["closing_credit"]) == (0, 6_000_000)  # a credit balance, positive in Có
    assert sum(b["debit"] for b in books.values()) == sum(b["credit"] for b in books.values())


def test_a_sponsors_ledger_shows_what_she_gave_where_it_went_and_its_correction(world):
    engine = world.database.engine
    with Session(engine) as session:
        sponsor, bank = session.execute(
            select(Sponsor.code, BankAccount.code)
            .join(Branch, Branch.id == Sponsor.branch_id)
            .join(BankAccount, BankAccount.branch_id == Branch.id, isouter=False)
            .order_by(Sponsor.code)
            .limit(1)
        ).one()
    on = world.month.next().first_day

    def pay_and_undo(session: Session) -> int:
        payment = record_payment(
            session, actor=admin(), sponsor=sponsor, amount=700_000, paid_on=on, method="bank", bank_account=bank
        )
        return reverse_by_hand(session, payment.transaction_id, actor=admin(), reason="nhầm người nộp").id

    reversal = run_in_transaction(engine, pay_and_undo)
    period = Period(Month(2024, 1), world.month.next())
    (book,) = ledger_of(engine, "sponsor-ledger", sponsor, period.first, period.last)["body"]["books"]
    with Session(engine) as session:
        paid = session.scalar(
            select(func.sum(Payment.amount))
            .join(Sponsor, Sponsor.id == Payment.sponsor_id)
            .where(Sponsor.code == sponsor)
        )
    assert book["credit"] == paid and book["debit"] == 700_000  # every payment, and the correction of one
    assert book["closing_credit"] == paid - 700_000
    assert all(line["reached"]["account"].startswith("liabilities:") for line in book["lines"])
    assert sum(line["debit"] for line in book["lines"] if line["transaction"] == reversal) == 700_000


def test_the_demos_books_read_back_from_pdf_and_spreadsheet_to_the_ledger(world):
    world = world
    engine = world.database.engine
    months = Period(world.month.previous(), world.month)
    with Session(engine) as session:
        child = session.scalar(select(Child).order_by(Child.code).limit(1))
        group = session.get(Branch, child.branch_id).code
    for kind, subject in (("general-ledger", "hp-an-lao"), ("child-ledger", child.code)):
        document = ledger_of(engine, kind, subject, months.first, months.last)
        books = document["body"]["books"]
        assert books
        with Session(engine) as session:
            for book in books:
                key = AccountKey(book["branch"], book["account"])
                closing = balance(session, key, as_of=months.end)
                assert book["closing_debit"] - book["closing_credit"] == closing
                moved = session.scalar(
                    select(func.count())
                    .select_from(Posting)
                    .join(Account, Account.id == Posting.account_id)
                    .join(Branch, Branch.id == Account.branch_id)
                    .where(Account.code == book["account"], Branch.code == book["branch"],
                           Posting.effective_date >= months.start, Posting.effective_date <= months.end)
                )  # fmt: skip
                assert len(book["lines"]) == moved
        pdf = render_pdf(document, "vi")
        text = squeeze(" ".join(pages_text(pdf)))
        for book in books[:5]:
            closing = book["closing_debit"] or book["closing_credit"]
            assert f"{closing:,}".replace(",", ".") in text
        sheet = load_workbook(io.BytesIO(book_xlsx(document, "vi"))).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        lines = [r for r in rows if isinstance(r[2], int)]  # a line names its ledger transaction
        assert sum(r[5] or 0 for r in lines) == sum(b["debit"] for b in books)
        assert sum(r[6] or 0 for r in lines) == sum(b["credit"] for b in books)
        with Session(engine) as session:
            assert verify_statement(session, pdf).ok
    assert group.startswith("hp-an-lao")


def test_every_line_names_a_transaction_of_the_chain(world):
    document = world.document("general-ledger", "hp-an-lao")
    named = {line["transaction"] for book in document["body"]["books"] for line in book["lines"]}
    with Session(world.database.engine) as session:
        found = set(session.scalars(select(LedgerTransaction.id).where(LedgerTransaction.id.in_(named))))
    assert named and named == found
