"""Account numbers as a branch's editable table: defaults, inheritance down the branches, the longest
prefix, history, rights, and books that keep the numbers they were issued with."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, col, select

from ledger.access.actor import Actor, Forbidden
from ledger.db import run_in_transaction
from ledger.errors import BranchNotFound
from ledger.models import Branch
from ledger.months import Month
from ledger.statements.document import Period, StatementRequest
from ledger.statements.issue import gather
from ledger.statements.numbers import (
    AccountNumberInvalid,
    AccountNumbers,
    AccountPrefixInvalid,
    number_history,
    numbers_for,
    numbers_in_force,
    set_account_number,
)
from pdf_templates import render_pdf
from pdf_templates.verify import verify_statement
from tests.factories import BANK, CASH, OPENING, admin, commune, fund, transfer
from tests.statements.conftest import ISSUED

CHILD_FUND = fund("C-000123")


def test_the_defaults_are_cash_111_and_bank_112_and_nothing_else():
    defaults = AccountNumbers()
    assert defaults.number_of(CASH) == "111" and defaults.number_of(BANK) == "112"
    assert defaults.number_of(CHILD_FUND) == "" and defaults.number_of("assets:cashbox") == ""


@pytest.fixture
def branches(database):
    commune(database.engine, "hp", children=())
    commune(database.engine, "an-lao", parent="hp", children=("C-000123",))
    commune(database.engine, "tien-lang", parent="hp", children=())
    return database.engine


def numbers(engine, branch: str) -> AccountNumbers:
    with Session(engine) as session:
        branch_id = session.scalar(select(Branch.id).where(col(Branch.code) == branch))
        return numbers_for(session, branch_id)


def set_number(engine, branch: str, prefix: str, number: str, actor: Actor | None = None) -> None:
    run_in_transaction(
        engine,
        lambda s: set_account_number(s, branch=branch, prefix=prefix, number=number, actor=actor or admin("ke-toan")),
    )


def test_a_number_set_above_holds_below_until_a_branch_sets_its_own_and_the_longest_prefix_wins(branches):
    engine = branches
    set_number(engine, "hp", "liabilities:fund:child:", "3388")
    set_number(engine, "hp", "liabilities:fund:", "338")
    assert numbers(engine, "an-lao").number_of(CHILD_FUND) == "3388"  # the longer prefix
    assert numbers(engine, "an-lao").number_of("liabilities:fund:program:social-allowance") == "338"
    set_number(engine, "an-lao", "liabilities:fund:child:", "3389")
    assert numbers(engine, "an-lao").number_of(CHILD_FUND) == "3389"
    assert numbers(engine, "tien-lang").number_of(CHILD_FUND) == "3388"  # a sister keeps the province's
    assert numbers(engine, "hp").number_of(CHILD_FUND) == "3388"
    set_number(engine, "an-lao", "liabilities:fund:child:", "")  # handed back to the branch above
    assert numbers(engine, "an-lao").number_of(CHILD_FUND) == "3388"
    set_number(engine, "an-lao", "assets:cash", "1111")
    assert numbers(engine, "an-lao").number_of(CASH) == "1111" and numbers(engine, "hp").number_of(CASH) == "111"
    with Session(engine) as session:
        an_lao = session.scalar(select(Branch.id).where(col(Branch.code) == "an-lao"))
        assert [(r.prefix, r.number) for r in number_history(session, an_lao)] == [
            ("assets:cash", "1111"), ("liabilities:fund:child:", ""), ("liabilities:fund:child:", "3389"),
        ]  # fmt: skip
        shown = {row.prefix: (row.number, row.source) for row in numbers_in_force(session, "an-lao", admin())}
    assert shown[CASH] == ("1111", "an-lao") and shown["assets:bank:"] == ("112", "")
    assert shown["liabilities:fund:child:"] == ("3388", "hp") and shown["liabilities:suspense"] == ("", "")


def test_only_writers_of_the_branch_file_numbers_and_only_numbers_of_a_regime(branches):
    engine = branches
    with Session(engine) as session:
        ids = dict(session.execute(select(Branch.code, Branch.id)).all())
    auditor = Actor("kiem-toan", "auditor", frozenset({ids["an-lao"]}), home_branch_id=ids["an-lao"])
    other = Actor("thu-quy-tien-lang", "treasurer", frozenset({ids["tien-lang"]}), home_branch_id=ids["tien-lang"])
    with pytest.raises(Forbidden):
        set_number(engine, "an-lao", "liabilities:suspense", "3381", auditor)
    with pytest.raises(BranchNotFound):
        set_number(engine, "an-lao", "liabilities:suspense", "3381", other)
    with pytest.raises(AccountPrefixInvalid):
        set_number(engine, "an-lao", "quỹ trẻ", "3381")
    with pytest.raises(AccountPrefixInvalid):
        set_number(engine, "an-lao", "things:cash", "3381")
    for wrong in ("33", "33881", "3388.", "abc"):
        with pytest.raises(AccountNumberInvalid):
            set_number(engine, "an-lao", "liabilities:suspense", wrong)
    set_number(engine, "an-lao", "assets:bank:", "112.1")  # a sub-account after a dot
    assert numbers(engine, "an-lao").number_of(BANK) == "112.1"


def test_a_book_keeps_the_numbers_it_was_issued_with(branches):
    engine = branches
    transfer(engine, "an-lao", CASH, OPENING, 1_000_000, on=date(2026, 1, 5))
    transfer(engine, "an-lao", CASH, CHILD_FUND, 300_000, on=date(2026, 1, 9))
    request = StatementRequest("trial-balance", "an-lao", Period.month(Month(2026, 1)))
    with Session(engine) as session:
        before = gather(session, request, issued_on=ISSUED)
    pdf = render_pdf(before, "vi")
    set_number(engine, "hp", "liabilities:fund:child:", "3388")
    with Session(engine) as session:
        after = gather(session, request, issued_on=ISSUED)
        assert verify_statement(session, pdf).ok  # renumbering is not altering the ledger
    number = {row["account"]: row["number"] for row in after["body"]["rows"]}
    assert number[CHILD_FUND] == "3388" and number[CASH] == "111"
    assert {row["account"]: row["number"] for row in before["body"]["rows"]}[CHILD_FUND] == ""
