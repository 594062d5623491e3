"""Invariant 1: the postings of every transaction sum to zero, per currency.

Checked by the ledger with a clear message, and by the database itself against raw SQL.
"""

from datetime import date

import pytest

from ledger.accounts import AccountKey
from ledger.db import run_in_transaction
from ledger.errors import InvalidEntry
from ledger.posting import Entry, Leg, post
from tests.factories import BANK, commune, fund, payable, transfer
from tests.ledger.raw import execute, refused, scalar

A, B = AccountKey("an-lao", BANK), AccountKey("an-lao", fund("C-000123"))


def entry(*legs: Leg) -> Entry:
    return Entry(date(2025, 5, 2), "thu tiền", legs, posted_by="thu-quy")


@pytest.mark.parametrize(
    ("legs", "message"),
    [
        ((Leg(A, 1_500_000), Leg(B, -1_400_000)), "sum to zero, but they sum to 100,000"),
        ((Leg(A, 1_500_000),), "at least two postings"),
        ((Leg(A, 0), Leg(B, 0)), "zero moves nothing"),
        ((Leg(A, 1.5), Leg(B, -1.5)), "whole đồng"),  # type: ignore[arg-type]
        ((Leg(A, True), Leg(B, -1)), "whole đồng"),
        ((Leg(A, 100, "USD"), Leg(B, -100, "USD")), "only VND"),
    ],
)
def test_the_ledger_refuses_an_entry_that_does_not_balance(engine, legs, message):
    commune(engine)
    with pytest.raises(InvalidEntry, match=message):
        run_in_transaction(engine, lambda s: post(s, entry(*legs)))
    assert scalar_count(engine) == 0


def scalar_count(engine) -> int:
    from sqlalchemy import text

    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM posting")).scalar_one()


def ids(database) -> tuple[int, int]:
    bank = scalar(database, f"SELECT id FROM account WHERE code = '{BANK}'")
    child = scalar(database, f"SELECT id FROM account WHERE code = '{fund('C-000123')}'")
    return bank, child


def header(txn_id: int) -> str:
    return (
        "INSERT INTO ledger_transaction (id, seq, effective_date, recorded_at, description, metadata, posted_by,"
        f" kind, content_hash, prev_hash, hash) VALUES ({txn_id}, {txn_id}, '2025-05-02', '2025-05-02 00:00:00',"
        " 'raw', '{}', 'raw', 'general', 'x', 'x', 'x')"
    )


def posting(txn_id: int, line: int, account: int, amount: int) -> str:
    return (
        "INSERT INTO posting (transaction_id, line, account_id, amount, currency, effective_date)"
        f" VALUES ({txn_id}, {line}, {account}, {amount}, 'VND', '2025-05-02')"
    )


def test_the_database_refuses_unbalanced_postings_from_raw_sql(database):
    commune(database.engine)
    bank, child = ids(database)
    error = refused(database, posting(900, 1, bank, 1_500_000), posting(900, 2, child, -1_400_000), header(900))
    assert "sum to zero" in str(error)
    assert scalar(database, "SELECT count(*) FROM posting") == 0


def test_the_database_refuses_a_transaction_with_fewer_than_two_postings(database):
    commune(database.engine)
    assert "two postings" in str(refused(database, header(900)))
    bank, _ = ids(database)
    refused(database, posting(900, 1, bank, 1_000), header(900))
    assert scalar(database, "SELECT count(*) FROM ledger_transaction") == 0


def test_postings_without_their_transaction_are_refused_at_commit(database):
    commune(database.engine)
    bank, child = ids(database)
    if not database.is_postgres:
        with database.raw() as connection:
            connection.execute("PRAGMA foreign_keys = ON")  # a careful client; the default is off
            connection.execute("BEGIN")
            connection.execute(posting(900, 1, bank, 5))
            with pytest.raises(Exception, match="FOREIGN KEY"):
                connection.execute("COMMIT")
            connection.execute("ROLLBACK")
    else:
        refused(database, posting(900, 1, bank, 5), posting(900, 2, child, -5))
    assert scalar(database, "SELECT count(*) FROM posting") == 0


def test_postings_cannot_be_added_to_a_posted_transaction(database):
    commune(database.engine)
    posted = transfer(database.engine, "an-lao", BANK, fund("C-000123"), 1_500_000)
    bank, child = ids(database)
    # Even a pair that sums to zero would change what was posted.
    error = refused(database, posting(posted.id, 3, bank, 1), posting(posted.id, 4, child, -1))
    assert "already posted" in str(error)


def test_a_balanced_raw_insert_passes_the_balance_check(database):
    """The triggers are not simply refusing everything: a balanced raw insert gets through
    (and is then caught by verify, because its hash is not ours; see invariant 6)."""
    commune(database.engine)
    bank, child = ids(database)
    execute(database, posting(900, 1, bank, 5), posting(900, 2, child, -5), header(900))
    assert scalar(database, "SELECT count(*) FROM ledger_transaction") == 1


@pytest.mark.postgres_only
def test_a_concurrent_raw_writer_cannot_unbalance_a_transaction_in_flight(database):
    """Session A has written balanced postings and the transaction row but not committed;
    session B, which cannot see A's row yet, tries to add a posting to the same transaction.
    B waits for A, then finds the transaction posted and is refused."""
    import threading
    import time

    commune(database.engine)
    bank, child = ids(database)
    cash = scalar(database, "SELECT id FROM account WHERE code = 'assets:cash'")
    outcome: list[BaseException | None] = []
    with database.raw() as a, database.raw() as b:
        a.execute("BEGIN")
        a.execute(posting(900, 1, bank, 5))
        a.execute(posting(900, 2, child, -5))
        a.execute(header(900))

        def writer_b() -> None:
            try:
                b.execute("BEGIN")
                b.execute(posting(900, 3, cash, 7))
                b.execute("COMMIT")
                outcome.append(None)
            except Exception as exc:
                b.execute("ROLLBACK")
                outcome.append(exc)

        thread = threading.Thread(target=writer_b)
        thread.start()
        time.sleep(0.5)
        assert outcome == []  # B is waiting for A
        a.execute("COMMIT")
        thread.join(10)
    assert len(outcome) == 1 and "already posted" in str(outcome[0])
    assert scalar(database, "SELECT sum(amount) FROM posting WHERE transaction_id = 900") == 0
    assert scalar(database, "SELECT count(*) FROM posting WHERE transaction_id = 900") == 2


@pytest.mark.postgres_only
def test_writers_of_different_blocks_of_ids_do_not_queue_on_each_other(database):
    """Ids come a block of 100 to one connection (hi/lo), and a writer locks the blocks of the ids it
    posts: two writers with ids of their own (a monthly run's two, any other poster) post side by
    side, while two writers of one id still meet (the test above)."""
    commune(database.engine)
    bank, child = ids(database)
    cash = scalar(database, "SELECT id FROM account WHERE code = 'assets:cash'")
    owed = scalar(database, f"SELECT id FROM account WHERE code = '{payable('C-000123')}'")
    held = "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = 1651 AND pid = pg_backend_pid()"
    with database.raw() as a, database.raw() as b:
        a.execute("BEGIN")
        a.execute(posting(901, 1, bank, 5))
        a.execute(posting(901, 2, child, -5))
        assert {row[0] for row in a.execute(held)} == {9}  # ids 901 to 1,000: the tenth block
        b.execute("SET lock_timeout = '120s'")  # were B to wait for A, the test would fail, not hang
        b.execute("BEGIN")
        b.execute(posting(1001, 1, cash, 7))
        b.execute(posting(1001, 2, owed, -7))
        b.execute(header(1001))
        b.execute("COMMIT")  # while A is still open
        a.execute(header(901))
        a.execute("COMMIT")
    assert scalar(database, "SELECT count(*) FROM ledger_transaction") == 2
