"""Two chunks of a run posting at once (PostgreSQL): every decision paid once, the ledger whole."""

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from ledger.demo import load_demo
from ledger.disbursement import paying
from ledger.disbursement.models import RunDecision
from ledger.disbursement.run import run_month
from ledger.models import Disbursement, LedgerTransaction, Posting
from ledger.months import Month
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
