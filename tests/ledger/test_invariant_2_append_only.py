"""Invariant 2: posted transactions and postings are never updated or deleted.

The database refuses it, whoever asks: these statements come from a raw client.
"""

from datetime import date

import pytest

from ledger.accounts import AccountKey
from ledger.closing import close_month
from ledger.db import run_in_transaction
from ledger.months import Month
from ledger.posting import DisbursementKey, Entry, Leg, post
from tests.factories import BANK, admin, commune, fund, payable, transfer
from tests.ledger.raw import refused, scalar


@pytest.fixture
def posted(database):
    commune(database.engine)
    transfer(database.engine, "an-lao", BANK, fund("C-000123"), 1_500_000)
    entry = Entry(
        date(2025, 5, 15),
        "chi tháng 5",
        (
            Leg(AccountKey("an-lao", fund("C-000123")), 500_000),
            Leg(AccountKey("an-lao", payable("C-000123")), -500_000),
        ),
        posted_by="thu-quy",
        disbursement=DisbursementKey("C-000123", "godmother", Month(2025, 5)),
    )
    run_in_transaction(database.engine, lambda s: post(s, entry))
    run_in_transaction(
        database.engine, lambda s: close_month(s, branch="an-lao", month=Month(2025, 1), actor=admin("thu-quy"))
    )
    return database


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE posting SET amount = amount * 2",
        "UPDATE posting SET account_id = account_id",
        "DELETE FROM posting",
        "UPDATE ledger_transaction SET description = 'đã sửa'",
        "UPDATE ledger_transaction SET effective_date = '2024-01-01'",
        "DELETE FROM ledger_transaction",
        "UPDATE disbursement SET month = '2025-06-01'",
        "DELETE FROM disbursement",
        "UPDATE period_event SET closed_through = NULL",
        "DELETE FROM period_event",
    ],
)
def test_raw_updates_and_deletes_are_refused(posted, statement):
    before = scalar(posted, "SELECT count(*) FROM posting"), scalar(posted, "SELECT sum(amount * line) FROM posting")
    error = refused(posted, statement)
    assert "append-only" in str(error)
    after = scalar(posted, "SELECT count(*) FROM posting"), scalar(posted, "SELECT sum(amount * line) FROM posting")
    assert before == after


@pytest.mark.postgres_only
@pytest.mark.parametrize("table", ["posting", "ledger_transaction", "period_event", "disbursement"])
def test_truncate_is_refused_on_postgresql(posted, table):
    assert "append-only" in str(refused(posted, f"TRUNCATE {table} CASCADE"))
    assert scalar(posted, "SELECT count(*) FROM posting") == 4
