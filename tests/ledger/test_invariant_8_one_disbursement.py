"""Invariant 8: at most one disbursement per (child, program, month)."""

from datetime import date

import pytest
from sqlalchemy import text

from ledger.accounts import AccountKey
from ledger.db import run_in_transaction
from ledger.errors import DuplicateDisbursement
from ledger.months import Month
from ledger.posting import DisbursementKey, Entry, Leg, bulk, post, post_many, write
from tests.factories import BANK, balance_of, commune, fund, payable, transfer
from tests.ledger.raw import refused


def disbursement(child: str, month: Month, amount: int = 500_000, program: str = "godmother") -> Entry:
    return Entry(
        effective_date=month.first_day.replace(day=15),
        description=f"chi tháng {month}",
        legs=(Leg(AccountKey("an-lao", fund(child)), amount), Leg(AccountKey("an-lao", payable(child)), -amount)),
        posted_by="thu-quy",
        kind="disbursement",
        disbursement=DisbursementKey(child, program, month),
    )


def test_a_child_is_paid_once_per_program_and_month(engine):
    commune(engine)
    transfer(engine, "an-lao", BANK, fund("C-000123"), 3_000_000)
    first = run_in_transaction(engine, lambda s: post(s, disbursement("C-000123", Month(2025, 5))))
    with pytest.raises(DuplicateDisbursement) as caught:
        run_in_transaction(engine, lambda s: post(s, disbursement("C-000123", Month(2025, 5), 400_000)))
    assert caught.value.transaction_id == first.id
    # Another month, and another program the same month, are separate disbursements.
    run_in_transaction(engine, lambda s: post(s, disbursement("C-000123", Month(2025, 6))))
    run_in_transaction(engine, lambda s: post(s, disbursement("C-000123", Month(2025, 5), program="social-allowance")))
    assert balance_of(engine, "an-lao", payable("C-000123")) == -1_500_000


def test_a_batch_paying_one_child_twice_is_refused_whole(engine):
    commune(engine)
    transfer(engine, "an-lao", BANK, fund("C-000123"), 3_000_000)
    with pytest.raises(DuplicateDisbursement):
        run_in_transaction(engine, lambda s: post_many(s, [disbursement("C-000123", Month(2025, 5))] * 2))
    assert balance_of(engine, "an-lao", payable("C-000123")) == 0


def test_the_database_refuses_a_second_disbursement_row(database):
    commune(database.engine)
    transfer(database.engine, "an-lao", BANK, fund("C-000123"), 3_000_000)
    first = run_in_transaction(database.engine, lambda s: post(s, disbursement("C-000123", Month(2025, 5))))
    other = transfer(database.engine, "an-lao", fund("C-000123"), payable("C-000123"), 1, on=date(2025, 5, 16))
    error = refused(
        database,
        "INSERT INTO disbursement (transaction_id, child_code, program, month) "
        f"VALUES ({other.id}, 'C-000123', 'godmother', '2025-05-01')",
    )
    assert "uq_disbursement" in str(error) or "UNIQUE" in str(error)
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT transaction_id FROM disbursement")).scalars().all() == [first.id]


def test_the_check_for_months_already_paid_probes_the_index_however_stale_the_statistics(engine):
    """A monthly run writes the disbursements it checks, chunk after chunk, so the planner's
    statistics may say the table is empty. The check must still be one index probe per key: as a
    scan comparing each row with every key of the chunk, it grew with the square of the run."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the plan of PostgreSQL's statement")
    keys = {
        "children": bulk.as_array([f"C-{i:07d}" for i in range(1, 2001)]),
        "programs": bulk.as_array(["godmother"] * 2000),
        "months": bulk.as_array([date(2025, 6, 1)] * 2000),
    }
    with engine.connect() as connection:
        connection.execute(text("ANALYZE disbursement"))  # while empty, as at the start of a run
        connection.execute(
            text(
                "INSERT INTO disbursement (transaction_id, child_code, program, month)"
                " SELECT g, 'C-' || lpad(g::text, 7, '0'), 'godmother', DATE '2025-05-01'"
                " FROM generate_series(1, 5000) AS g"
            )
        )
        plan = "\n".join(connection.execute(text(f"EXPLAIN {write._PAID_EXACT.text}"), keys).scalars())
        connection.rollback()
    assert "Index Scan using uq_disbursement_child_code_program_month" in plan, plan
    assert "Seq Scan on disbursement" not in plan, plan
