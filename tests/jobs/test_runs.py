"""Jobs run once per period: on catch-up, again after a restart, with retries that end in a report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlmodel import Session

from jobs import runner
from jobs.mail import Mailer
from ledger.access.models import AuditEvent
from ledger.branch_settings import set_branch_setting
from ledger.db import run_in_transaction
from ledger.disbursement.models import Run
from ledger.months import VIETNAM, Month, today_in_vietnam
from ledger.register.models import Sponsor
from ledger.schedule.models import JobExecution, Notice, StoredStatement
from ledger.schedule.plans import JobSpec
from tests.factories import admin
from tests.statements.conftest import load_small_demo


@pytest.fixture
def small(database):
    load_small_demo(database, children=12, sponsors=10, months=2)
    run_in_transaction(
        database.engine,
        lambda s: set_branch_setting(s, branch="hp", name="monthly-run", value="on", actor=admin("admin")),
    )
    return database


def executions(database, job=None):
    with Session(database.engine) as session:
        query = select(JobExecution).order_by(JobExecution.id)
        return list(session.scalars(query.where(JobExecution.job == job) if job else query))


def test_catch_up_runs_what_was_missed_once(small):
    first = runner.catch_up(small.engine)
    assert first and all(o.status == "succeeded" for o in first), first
    this_month = str(Month.of(today_in_vietnam()))
    assert [e.period for e in executions(small, "monthly-run:hp")] == [this_month]
    with Session(small.engine) as session:
        assert (
            session.scalar(select(func.count()).select_from(Run).where(Run.month == Month.parse(this_month).first_day))
            == 1
        )
        started = session.execute(
            select(AuditEvent.actor, AuditEvent.door).where(
                AuditEvent.action == "run.start", AuditEvent.subject == f"month:{this_month}"
            )
        ).all()
        assert started == [("scheduler", "job")]  # the job's act, in the same trail as the demo's own runs
    assert runner.catch_up(small.engine) == []  # a restart runs nothing again
    assert runner.run_now(small.engine, "monthly-run:hp").status == "skipped"


def test_a_worker_down_for_months_runs_each_missed_month(small):
    this = Month.of(today_in_vietnam())
    long_ago = this.previous().previous()
    due = datetime(long_ago.year, long_ago.month, 1, 6, tzinfo=VIETNAM)
    run_in_transaction(
        small.engine,
        lambda s: s.add(
            JobExecution(
                job="monthly-run:hp",
                period=str(long_ago),
                scheduled_for=due,
                started_at=due,
                status="succeeded",
                worker="yesterday's worker",
            )
        ),  # fmt: skip
    )
    runner.catch_up(small.engine)
    assert [e.period for e in executions(small, "monthly-run:hp")] == [str(long_ago), str(this.previous()), str(this)]


def test_a_failing_job_is_retried_with_backoff_then_reported(small, monkeypatch):
    monkeypatch.setenv("GODMOTHER_JOB_RETRY_SECONDS", "0.3,0.6")
    run_in_transaction(small.engine, lambda s: s.execute(update(Sponsor).values(email="nha-tai-tro@example.vn")))
    closed = Mailer("127.0.0.1", 9, "test@localhost")  # nothing listens on the discard port: sending fails
    with Session(small.engine) as session:
        spec = JobSpec("sponsor-statements", "hp-an-lao", runner.spec_of(session, "sponsor-statements:hp-an-lao").when)
    period = str(Month.of(today_in_vietnam()).previous())
    now = datetime.now(UTC)
    first = runner.run_job(small.engine, spec, period, scheduled_for=now, trigger="schedule", mailer=closed)
    assert first.status == "retrying"
    (execution,) = executions(small, spec.id)
    assert execution.attempts == 1 and "Connection refused" in execution.error
    assert timedelta(seconds=0.2) < execution.next_retry_at - execution.finished_at < timedelta(seconds=0.5)
    # The clock is the execution's own: a loaded machine's pauses change nothing.
    not_yet = execution.finished_at + (execution.next_retry_at - execution.finished_at) / 2
    assert runner.retry_due(small.engine, now=not_yet, mailer=closed) == []  # the backoff has not passed
    retried = runner.retry_due(small.engine, now=execution.next_retry_at, mailer=closed)
    assert [o.status for o in retried] == ["retrying"]
    (execution,) = executions(small, spec.id)
    assert timedelta(seconds=0.5) < execution.next_retry_at - execution.finished_at < timedelta(seconds=0.8)
    assert [o.status for o in runner.retry_due(small.engine, now=execution.next_retry_at, mailer=closed)] == ["failed"]
    (execution,) = executions(small, spec.id)
    assert (execution.status, execution.attempts) == ("failed", 3)
    with Session(small.engine) as session:
        notice = session.scalar(select(Notice).where(Notice.kind == "job-failed"))
        assert notice is not None and spec.id in notice.message_en
        stored = session.scalar(select(func.count()).select_from(StoredStatement))
    assert stored > 0  # kept once, whatever the retries
    # Asked to run now, a job that failed for good is tried again (and fails again here).
    assert runner.run_now(small.engine, spec.id, period=period, mailer=closed).status == "retrying"
