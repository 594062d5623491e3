"""A single post is refused with the same domain error on both engines (on PostgreSQL it is one statement,
``godmother_post``; on SQLite the client checks), nothing of it is written, and the caller's database
transaction goes on: the next post in it succeeds."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from ledger.accounts import AccountKey, close_account, open_account
from ledger.db import run_in_transaction
from ledger.errors import AccountClosed, AccountNotFound, BranchNotFound, InsufficientFunds, InvalidEntry, LedgerError
from ledger.posting import Entry, Leg, post
from ledger.verify import verify
from tests.factories import BANK, CASH, OPENED, OPENING, balance_of, commune, fund, transfer

DAY = date(2025, 5, 2)


def _entry(*legs: tuple[str, str, int] | tuple[str, str, int, str]) -> Entry:
    return Entry(DAY, "thử", tuple(Leg(AccountKey(leg[0], leg[1]), leg[2], *leg[3:]) for leg in legs), posted_by="t")


CASES: list[tuple[str, Entry, type[LedgerError], dict[str, object]]] = [
    ("no such branch", _entry(("an-lao", BANK, 5), ("khong-co", CASH, -5)), BranchNotFound, {}),
    (
        "no such account",
        _entry(("an-lao", BANK, 5), ("an-lao", "assets:cash:khong-co", -5)),
        AccountNotFound,
        {"account": "assets:cash:khong-co"},
    ),  # fmt: skip
    # Both missing: the first by branch, then code, is named, whichever leg names it.
    (
        "two missing",
        _entry(("an-lao", "assets:z", 5), ("an-lao", "assets:a", -5)),
        AccountNotFound,
        {"account": "assets:a"},
    ),  # fmt: skip
    ("closed", _entry(("an-lao", "assets:cash:old", 5), ("an-lao", BANK, -5)), AccountClosed, {}),
    ("currency", _entry(("an-lao", BANK, 5, "USD"), ("an-lao", CASH, -5, "USD")), InvalidEntry, {}),
    (
        "overdrawn",
        _entry(("an-lao", CASH, 700_000), ("an-lao", BANK, -700_000)),
        InsufficientFunds,
        {"balance": 500_000, "change": -700_000},
    ),  # fmt: skip
    # Two legs on one account: their sum takes it below zero, though neither does alone.
    (
        "overdrawn by two legs",
        _entry(("an-lao", BANK, -300_000), ("an-lao", CASH, 700_000), ("an-lao", BANK, -400_000)),
        InsufficientFunds,
        {"account": BANK, "balance": 500_000, "change": -700_000},
    ),  # fmt: skip
]


@pytest.mark.parametrize(("name", "entry", "error", "fields"), CASES, ids=[c[0] for c in CASES])
def test_a_refused_post_writes_nothing_and_the_transaction_goes_on(engine, name, entry, error, fields):
    commune(engine)
    transfer(engine, "an-lao", BANK, OPENING, 500_000)

    def work(session: Session) -> None:
        open_account(session, branch="an-lao", code="assets:cash:old", opened_on=OPENED)
        close_account(session, AccountKey("an-lao", "assets:cash:old"))
        with pytest.raises(error) as refused:
            post(session, entry)
        for field, value in fields.items():
            assert getattr(refused.value, field) == value, field
        # The same database transaction goes on.
        post(session, _entry(("an-lao", fund("C-000123"), -100), ("an-lao", BANK, 100)))

    run_in_transaction(engine, work)
    assert balance_of(engine, "an-lao", BANK) == 500_100
    assert balance_of(engine, "an-lao", CASH) == 0
    with Session(engine) as session:
        report = verify(session)
    assert report.ok, report.problems
    assert report.transactions == 2
