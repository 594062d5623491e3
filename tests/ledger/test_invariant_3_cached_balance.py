"""Invariant 3: every cached balance equals the sum of its account's postings."""

from datetime import date

from sqlmodel import Session

from ledger.verify import verify
from tests.factories import BANK, CASH, commune, fund, payable, transfer
from tests.ledger.raw import execute, scalar


def test_cached_balances_follow_every_posting(database):
    commune(database.engine, children=("C-1", "C-2"))
    transfer(database.engine, "an-lao", BANK, fund("C-1"), 1_000_000)
    transfer(database.engine, "an-lao", BANK, fund("C-2"), 600_000)
    transfer(database.engine, "an-lao", fund("C-1"), payable("C-1"), 400_000, on=date(2025, 5, 15))
    transfer(database.engine, "an-lao", CASH, BANK, 400_000, on=date(2025, 5, 20))
    rows = scalar(
        database,
        "SELECT count(*) FROM account a WHERE a.balance <> "
        "(SELECT coalesce(sum(p.amount), 0) FROM posting p WHERE p.account_id = a.id)",
    )
    assert rows == 0
    assert scalar(database, f"SELECT balance FROM account WHERE code = '{BANK}'") == 1_200_000
    with Session(database.engine) as session:
        assert verify(session).ok


def test_verify_finds_a_cached_balance_changed_behind_the_ledger(database):
    commune(database.engine)
    transfer(database.engine, "an-lao", BANK, fund("C-000123"), 1_000_000)
    execute(database, f"UPDATE account SET balance = balance + 1 WHERE code = '{BANK}'")
    with Session(database.engine) as session:
        report = verify(session)
    assert not report.ok
    assert "cached balance 1,000,001 ≠ sum of its postings 1,000,000" in report.problems[0].message


def test_the_database_keeps_cached_balances_even_for_raw_inserts(database):
    from tests.ledger.test_invariant_1_balanced import header, ids, posting

    commune(database.engine)
    bank, child = ids(database)
    execute(database, posting(900, 1, bank, 5), posting(900, 2, child, -5), header(900))
    assert scalar(database, f"SELECT balance FROM account WHERE id = {bank}") == 5
    assert scalar(database, f"SELECT balance FROM account WHERE id = {child}") == -5
