"""The month end's domain: the cash box, what closing will close, the to-do list, suspense refunds,
and a statement of an unknown bank read with the columns named once for its account."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from ledger import cash
from ledger.access.actor import Actor
from ledger.accounts import AccountKey, branch_and_descendants
from ledger.balances import balance
from ledger.closing import close_month, closing_preview
from ledger.disbursement.handover import handover_proposal, record_handovers
from ledger.disbursement.run import run_month
from ledger.errors import InvalidEntry, NotEnoughCash, NotFound, PeriodError
from ledger.models import Branch
from ledger.months import Month, today_in_vietnam
from ledger.reconciliation import mapping, reconcile, suspense
from ledger.reconciliation.formats import StatementNotRecognised
from ledger.reconciliation.importing import import_statement
from ledger.reconciliation.models import BankLine
from ledger.todo import things_to_do
from tests.factories import admin
from tests.reconciliation.test_formats import agribank_workbook
from tests.reconciliation.test_reconcile import BANK, do
from tests.statements.conftest import load_small_demo

BRANCH = "hp-an-lao"


@pytest.fixture
def small(database):
    month = load_small_demo(database, children=12, sponsors=10, months=2)
    return database, month


def treasurer_elsewhere(database) -> Actor:
    """A treasurer whose branches are none of An Lão's (the small demo's only commune)."""
    with Session(database.engine) as session:
        here = {b.id for b in branch_and_descendants(session, BRANCH)}
        elsewhere = frozenset(set(session.scalars(select(Branch.id))) - here - {None})
        parent = session.scalar(select(Branch.parent_id).where(Branch.code == BRANCH))
    return Actor("thu-quy-khac", "treasurer", elsewhere - {parent})


def test_cash_drawn_from_the_bank_pays_handovers_and_never_more_than_the_box_holds(small):
    database, month = small
    this_month = Month.of(today_in_vietnam())
    run_month(database.engine, this_month, actor=admin("thu-quy"), branch=BRANCH)
    with Session(database.engine) as session:
        proposal = handover_proposal(session, actor=admin("x"), branch=BRANCH, month=this_month, cash_from=BRANCH)
    assert proposal.waiting and proposal.cash_short == proposal.total  # an empty box
    with pytest.raises(NotEnoughCash) as refused:
        do(database, lambda s: record_handovers(s, month=this_month, on=today_in_vietnam(), actor=admin("thu-quy"),
                                                branch=BRANCH, cash_from=BRANCH))  # fmt: skip
    assert (refused.value.held, refused.value.needed) == (0, proposal.total)
    before = _bank_balance(database)
    do(database, lambda s: cash.move_cash(s, branch=BRANCH, bank_account=BANK, amount=proposal.total,
                                          direction="withdraw", on=today_in_vietnam(), actor=admin("thu-quy")))  # fmt: skip
    assert _bank_balance(database) == before - proposal.total
    done = do(database, lambda s: record_handovers(s, month=this_month, on=today_in_vietnam(),
                                                   actor=admin("thu-quy"), branch=BRANCH, cash_from=BRANCH))  # fmt: skip
    assert sum(h.amount for h in done) == proposal.total
    with Session(database.engine) as session:
        book = cash.cash_book(session, admin("x"), BRANCH, this_month)
        assert (book.opening, book.received, book.paid, book.closing) == (0, proposal.total, proposal.total, 0)
        assert [line.balance for line in book.lines][0] == proposal.total
    with pytest.raises(NotEnoughCash):  # a deposit of cash the box does not hold
        do(database, lambda s: cash.move_cash(s, branch=BRANCH, bank_account=BANK, amount=1, direction="deposit",
                                              on=today_in_vietnam(), actor=admin("thu-quy")))  # fmt: skip


def _bank_balance(database) -> int:
    with Session(database.engine) as session:
        return balance(session, AccountKey(BRANCH, f"assets:bank:{BANK}"))


def test_a_treasurer_of_another_commune_moves_no_cash_here(small):
    database, _ = small
    outsider = treasurer_elsewhere(database)
    with pytest.raises(NotFound):  # another commune's branch is not there for her
        do(database, lambda s: cash.move_cash(s, branch=BRANCH, bank_account=BANK, amount=1000, direction="withdraw",
                                              on=today_in_vietnam(), actor=outsider))  # fmt: skip


def test_closing_lists_every_month_it_closes_and_refuses_as_the_close_would(small):
    database, month = small
    with Session(database.engine) as session:
        preview = closing_preview(session, branch=BRANCH, month=month, actor=admin("x"))
        assert preview.months[-1] == month and preview.months == sorted(preview.months)
        assert len(preview.months) >= 2 and preview.earlier == preview.months[:-1]
        with pytest.raises(PeriodError):
            closing_preview(session, branch=BRANCH, month=Month.of(today_in_vietnam()), actor=admin("x"))
    do(database, lambda s: close_month(s, branch=BRANCH, month=month.previous(), actor=admin("x")))
    with Session(database.engine) as session:
        assert closing_preview(session, branch=BRANCH, month=month, actor=admin("x")).months == [month]


def test_the_to_do_list_names_suspense_with_its_age_and_the_month_not_run(small, tmp_path):
    database, month = small
    path = tmp_path / "agribank.xlsx"
    agribank_workbook(path)  # a credit no reference explains: into suspense
    do(database, lambda s: import_statement(s, path=path, account=BANK, actor=admin("thu-quy")))
    do(database, lambda s: reconcile.auto_match(s, account=BANK, actor=admin("thu-quy")))
    today = today_in_vietnam()
    with Session(database.engine) as session:
        todo = things_to_do(session, admin("x"), BRANCH, Month.of(today), today=today)
        waiting = suspense.suspense_items(session)
    kinds = [t.kind for t in todo]
    assert "run" in kinds
    held = [t for t in todo if t.kind == "suspense"]
    assert {int(t.subject) for t in held} == {i.transaction_id for i in waiting if i.branch == BRANCH}
    assert all(t.amount and t.age(today) is not None for t in held)
    item = next(i for i in waiting if i.branch == BRANCH)
    refund = do(database, lambda s: suspense.refund_suspense(s, transaction_id=item.transaction_id,
                                                            actor=admin("thu-quy"), reason="gửi nhầm", on=today))  # fmt: skip
    with Session(database.engine) as session:
        assert item.transaction_id not in {i.transaction_id for i in suspense.suspense_items(session)}
        assert refund


def test_an_unknown_banks_file_is_read_with_the_columns_named_once_for_the_account(small, tmp_path):
    database, month = small
    day = f"{month.month:02d}/{month.year}"
    first, second = tmp_path / "thang-1.csv", tmp_path / "thang-2.csv"
    header = "QUỸ TÍN DỤNG NHÂN DÂN\nNgày,Diễn giải,Tiền ra,Tiền vào\n"
    first.write_text(header + f"03/{day},PHI SMS,1.100,\n", encoding="utf-8")
    second.write_text(header + f"04/{day},PHI SMS LAN 2,2.200,\n", encoding="utf-8")
    with pytest.raises(StatementNotRecognised):
        do(database, lambda s: import_statement(s, path=first, account=BANK, actor=admin("thu-quy")))
    with Session(database.engine) as session:
        table = mapping.preview(first)
    assert table.headers == ["Ngày", "Diễn giải", "Tiền ra", "Tiền vào"] and table.rows[0][1] == "PHI SMS"
    named = mapping.as_mapping({"date": "Ngày", "description": "Diễn giải", "debit": "Tiền ra", "credit": "Tiền vào"})
    with pytest.raises(InvalidEntry):
        mapping.as_mapping({"date": "Ngày", "description": "Diễn giải"})  # no amount: refused before it is kept

    def name_and_import(session: Session) -> int:
        mapping.remember(session, actor=admin("thu-quy"), account=BANK, mapping=named)
        return import_statement(session, path=first, account=BANK, actor=admin("thu-quy"), mapping=named).new_lines

    assert do(database, name_and_import) == 1
    again = do(database, lambda s: import_statement(s, path=second, account=BANK, actor=admin("thu-quy")))
    assert (again.format, again.new_lines) == ("csv", 1)  # next month's file: read at once
    with Session(database.engine) as session:
        amounts = set(session.scalars(select(BankLine.amount).where(BankLine.description.like("PHI SMS%"))))
    assert {-1_100, -2_200} <= amounts
