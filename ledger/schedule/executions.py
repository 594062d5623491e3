"""Each (job, period) once: claimed in the database, recorded, retried with backoff, reported.

A worker that wants to do a job for a period first *claims* it: it inserts the execution row,
and the unique (job, period) key lets only one insert through, whichever worker or process it
comes from. The one that claimed it runs it and records success (with counts) or failure. A
failure is retried after the next delay of ``RETRY_DELAYS`` (claimed again atomically, by any
worker); after the last, it stays failed and a notice tells the branch's treasurers.
"""

from __future__ import annotations

import os
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from ledger.db import is_sqlite, run_in_transaction
from ledger.ground.columns import table_of
from ledger.models import Branch
from ledger.schedule.models import JobExecution, Notice
from ledger.schedule.notices import deployment_notice

RETRY_DELAYS = (60.0, 300.0, 1500.0)  # seconds: 1, 5 and 25 minutes


def retry_delays() -> tuple[float, ...]:
    """``GODMOTHER_JOB_RETRY_SECONDS=60,300,1500`` overrides the delays (tests use short ones)."""
    text = os.environ.get("GODMOTHER_JOB_RETRY_SECONDS")
    return tuple(float(x) for x in text.split(",") if x.strip()) if text else RETRY_DELAYS


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


@dataclass(frozen=True, slots=True)
class Claim:
    execution_id: int
    job: str
    period: str
    attempt: int


def claim(
    engine: Engine, *, job: str, period: str, scheduled_for: datetime, trigger: str, now: datetime | None = None
) -> Claim | None:
    """Take (job, period) for this worker; None if it was already taken (done, running or failed)."""
    now = now or datetime.now(UTC)
    values = {
        "job": job,
        "period": period,
        "scheduled_for": scheduled_for,
        "started_at": now,
        "status": "running",
        "attempts": 1,
        "counts": {},
        "error": "",
        "worker": worker_name(),
        "trigger": trigger,
    }

    def work(session: Session) -> int | None:
        dialect = sqlite if is_sqlite(session) else postgresql
        statement = (
            dialect.insert(table_of(JobExecution))
            .values(**values)
            .on_conflict_do_nothing(index_elements=["job", "period"])
            .returning(table_of(JobExecution).c.id)
        )
        return session.execute(statement).scalar()

    execution_id = run_in_transaction(engine, work)
    return Claim(execution_id, job, period, 1) if execution_id is not None else None


def claim_retry(engine: Engine, now: datetime | None = None) -> Claim | None:
    """Take one failed execution whose retry is due (atomically: one worker gets it)."""
    now = now or datetime.now(UTC)

    def work(session: Session) -> Claim | None:
        due = session.scalars(
            select(JobExecution)
            .where(col(JobExecution.status) == "retrying", col(JobExecution.next_retry_at) <= now)
            .order_by(col(JobExecution.next_retry_at))
            .limit(5)
        ).all()
        for execution in due:
            attempt = execution.attempts + 1  # read first: the update below refreshes the object
            taken = cast(
                CursorResult[Any],
                session.execute(
                    update(JobExecution)
                    .where(col(JobExecution.id) == execution.id, col(JobExecution.status) == "retrying")
                    .values(status="running", attempts=JobExecution.attempts + 1, started_at=now, worker=worker_name())
                ),
            ).rowcount
            if taken == 1:
                return Claim(execution.id, execution.job, execution.period, attempt)
        return None

    return run_in_transaction(engine, work)


def reopen(engine: Engine, execution_id: int, now: datetime | None = None) -> Claim | None:
    """Take a failed-for-good execution again (someone asked to run it now)."""
    now = now or datetime.now(UTC)

    def work(session: Session) -> Claim | None:
        execution = session.get(JobExecution, execution_id)
        taken = cast(
            CursorResult[Any],
            session.execute(
                update(JobExecution)
                .where(col(JobExecution.id) == execution_id, col(JobExecution.status) == "failed")
                .values(status="running", attempts=1, started_at=now, worker=worker_name(), trigger="run-now")
            ),
        ).rowcount
        return Claim(execution_id, execution.job, execution.period, 1) if taken == 1 and execution else None

    return run_in_transaction(engine, work)


def succeed(engine: Engine, claim: Claim, counts: dict[str, Any], now: datetime | None = None) -> None:
    run_in_transaction(
        engine,
        lambda s: s.execute(
            update(JobExecution)
            .where(col(JobExecution.id) == claim.execution_id)
            .values(
                status="succeeded", finished_at=now or datetime.now(UTC), counts=counts, error="", next_retry_at=None
            )
        ),
    )


def fail(engine: Engine, claim: Claim, error: BaseException, *, branch: str | None, now: datetime | None = None) -> str:
    """Record a failed attempt: retried after the next delay, or failed for good (with a notice)."""
    now = now or datetime.now(UTC)
    delays = retry_delays()
    text = "".join(traceback.format_exception_only(type(error), error)).strip()[:4000]
    final = claim.attempt > len(delays)
    status = "failed" if final else "retrying"
    retry_at = None if final else now + timedelta(seconds=delays[claim.attempt - 1])

    def work(session: Session) -> None:
        session.execute(
            update(JobExecution)
            .where(col(JobExecution.id) == claim.execution_id)
            .values(status=status, finished_at=now, error=text, next_retry_at=retry_at)
        )
        if not final or branch is None:
            return
        vi = f"Việc tự động {claim.job} kỳ {claim.period} thất bại sau {claim.attempt} lần: " + text
        en = f"Scheduled job {claim.job} for {claim.period} failed after {claim.attempt} attempts: {text}"
        about = f"{claim.job}:{claim.period}"
        if branch == "":  # a job of the whole deployment (the backup): every top branch hears of it
            deployment_notice(session, kind="job-failed", subject=about, vi=vi, en=en, now=now)
            return
        branch_id = session.scalar(select(Branch.id).where(col(Branch.code) == branch))
        if branch_id is not None:
            session.add(
                Notice(branch_id=branch_id, kind="job-failed", subject=about[:100], due_on=now.date(),
                       message_vi=vi, message_en=en, created_at=now)
            )  # fmt: skip

    run_in_transaction(engine, work)
    return status


def execute(
    engine: Engine, claim: Claim, work: Callable[[], dict[str, Any]], *, branch: str | None
) -> tuple[str, dict[str, Any]]:
    """Run claimed work and record its outcome; returns (status, counts)."""
    try:
        counts = work()
    except Exception as exc:  # a job catches everything: the failure is recorded and retried, never lost
        return fail(engine, claim, exc, branch=branch), {}
    succeed(engine, claim, counts)
    return "succeeded", counts


def history(session: Session, *, job: str | None = None, limit: int = 50) -> list[JobExecution]:
    query = select(JobExecution).order_by(col(JobExecution.id).desc()).limit(limit)
    if job is not None:
        query = query.where(col(JobExecution.job) == job)
    return list(session.scalars(query))


def last_scheduled(session: Session, job: str) -> datetime | None:
    """When the job's last scheduled (or caught-up) execution was due; run-now ones do not count."""
    return session.scalar(
        select(JobExecution.scheduled_for)
        .where(col(JobExecution.job) == job, col(JobExecution.trigger) != "run-now")
        .order_by(col(JobExecution.scheduled_for).desc())
        .limit(1)
    )
