"""Two chunks of a run posting at once (PostgreSQL): every decision paid once, the ledger whole."""

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from ledger.demo import load_demo
from ledger.disbursement import paying
from ledger.disbursement.models import RunDecision
from ledger.disbursement.run import run_month
from ledger.models import Disbursement, LedgerTransaction, Posting
from ledger.months import Month
from ledger.register.models import Child
from ledger.verify import verify
from tests.factories import admin

MONTH = Month(2026, 11)
ON = datetime(2026, 11, 23, 3, tzinfo=UTC)


def test_chunks_are_taken_in_turns_from_distant_stretches_of_the_run():
    assert paying._spread(range(0, 50, 5), 2) == [0, 25, 5, 30, 10, 35, 15, 40, 20, 45]
    assert paying._spread(range(7), 3) == [0, 3, 6, 1, 4, 2, 5]
    assert paying._spread(range(1, 4), 1) == [1, 2, 3]
    assert paying._spread(range(0), 2) == []


@pytest.mark.postgres_only
def test_two_chunks_post_at_once_and_every_decision_is_paid_once(database, monkeypatch):
    load_demo(database.engine, today=date(2026, 11, 23), children=60, sponsors=40, months=3)
    # The first two chunks meet before either posts: posted one after the other, the first would
    # wait for a second that never comes, and the barrier would break.
    meeting = threading.Barrier(paying.WRITERS, timeout=120)
    calls, threads = [], set()
    post_payouts = paying.post_payouts

    def meeting_first(session, payouts, **kwargs):
        calls.append(len(payouts))
        threads.add(threading.current_thread().name)
        if len(calls) <= paying.WRITERS:
            meeting.wait()
        return post_payouts(session, payouts, **kwargs)

    monkeypatch.setattr(paying, "post_payouts", meeting_first)
    result = run_month(database.engine, MONTH, actor=admin(), on=date(2026, 11, 5), now=ON, chunk=5)

    assert result.status == "done" and len(calls) > 2 * paying.WRITERS and len(threads) == paying.WRITERS
    with Session(database.engine) as session:
        assert verify(session).ok
        paying_decisions = session.scalar(
            select(func.count()).where(RunDecision.run_id == result.run_id, RunDecision.paid > 0)
        )
        paid = session.execute(
            select(func.count(), func.count(func.distinct(LedgerTransaction.id)))
            .select_from(Disbursement)
            .join(LedgerTransaction, LedgerTransaction.id == Disbursement.transaction_id)
            .where(Disbursement.month == MONTH.first_day)
        ).one()
        paid_total = session.scalar(select(func.sum(RunDecision.paid)).where(RunDecision.run_id == result.run_id))
        disbursed = session.scalar(  # each payout's one leg of a positive amount
            select(func.sum(Posting.amount))
            .join(Disbursement, Disbursement.transaction_id == Posting.transaction_id)
            .where(Disbursement.month == MONTH.first_day, Posting.amount > 0)
        )
    assert paid == (paying_decisions, paying_decisions) == (sum(calls), sum(calls))
    assert disbursed == paid_total


@pytest.mark.postgres_only
def test_a_chunk_is_read_through_the_keys_of_its_decisions_not_a_scan_of_the_nation(database):
    """Joined, the chunk's read hashed every child of the nation for each chunk of 2,000 decisions."""
    engine = database.engine
    load_demo(engine, today=date(2026, 11, 23), children=60, sponsors=40, months=3)
    result = run_month(engine, MONTH, actor=admin(), on=date(2026, 11, 5), now=ON)
    plans: list[str] = []
    with Session(engine) as session:
        # The rest of the nation: 20,000 more children, a chunk of 2,000 of them decided and unpaid.
        columns = ", ".join(c.name for c in Child.__table__.columns if c.name not in ("id", "code"))  # type: ignore[attr-defined]
        first = session.scalar(select(Child.code).order_by(Child.code).limit(1))
        session.execute(text(
            f"INSERT INTO child (code, {columns}) SELECT 'C-MORE-' || g, {columns}"
            " FROM child, generate_series(1, 20000) AS g WHERE code = :first"
        ), {"first": first})  # fmt: skip
        session.execute(text(
            "INSERT INTO run_decision (run_id, child_id, program, month, eligible, due, catch_up, paid, shortfall,"
            " fund_account_id, reasons)"
            " SELECT :run, c.id, 'godmother', :month, true, 100000, 0, 100000, 0, c.fund_account_id, '[]'"
            " FROM child c WHERE c.code LIKE 'C-MORE-%' ORDER BY c.id LIMIT 2000"
        ), {"run": result.run_id, "month": MONTH.first_day})  # fmt: skip
        for table in ("child", "account", "run_decision", "disbursement", "branch"):
            session.execute(text(f"ANALYZE {table}"))
        lowest, highest = session.execute(
            select(func.min(RunDecision.id), func.max(RunDecision.id))
            .join(Child, Child.id == RunDecision.child_id)
            .where(Child.code.startswith("C-MORE-"))  # type: ignore[attr-defined]
        ).one()
        driver = session.connection().connection.driver_connection
        driver.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
        for setting in ("LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0",
                        "SET auto_explain.log_level = notice"):  # fmt: skip
            session.execute(text(setting))
        pending = paying._pending(session, result.run_id, lowest, highest)
    assert len(pending) == 2000 and {row[1] for row in pending} == {f"C-MORE-{g}" for g in range(1, 2001)}
    chunk = [plan for plan in plans if "FROM run_decision" in plan and "BETWEEN" in plan]
    assert len(chunk) == 1, plans
    assert "Seq Scan on child" not in chunk[0] and "pk_child" in chunk[0], chunk[0]
