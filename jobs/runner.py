"""Running scheduled jobs exactly once: on time, caught up at start, retried after failures.

``tick`` is what APScheduler calls at each due moment (it only knows the job's id, so that the
job store can keep it); ``catch_up`` runs, at a worker's start, every due moment the job missed
while no worker was up; ``retry_due`` runs failed executions whose backoff has passed. All three
go through ``run_job``, which claims the (job, period) first: whichever worker claims it runs it,
the others skip it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from jobs.mail import Mailer
from jobs.tasks import TASKS
from ledger.backup.status import notice_if_stale
from ledger.db import run_in_transaction
from ledger.errors import LedgerError
from ledger.schedule import executions
from ledger.schedule.models import JobExecution
from ledger.schedule.plans import JobSpec, job_specs, missed, spec_of
from ledger.schedule.timetable import parse_when, period_of
from ledger.settings import Settings

log = logging.getLogger("godmother.jobs")
_engine: Engine | None = None  # the engine of this process's scheduler (job store entries hold only ids)


def bind(engine: Engine) -> None:
    global _engine
    _engine = engine


@dataclass(frozen=True, slots=True)
class Outcome:
    job: str
    period: str
    status: str  # succeeded, retrying, failed, or skipped (another worker has it)
    counts: dict[str, Any]


def run_job(
    engine: Engine, spec: JobSpec, period: str, *, scheduled_for: datetime, trigger: str, mailer: Mailer | None
) -> Outcome:
    claim = executions.claim(engine, job=spec.id, period=period, scheduled_for=scheduled_for, trigger=trigger)
    if claim is None:
        return Outcome(spec.id, period, "skipped", {})
    return _execute(engine, spec, claim, mailer)


def _execute(engine: Engine, spec: JobSpec, claim: executions.Claim, mailer: Mailer | None) -> Outcome:
    log.info("running %s for %s (attempt %s)", claim.job, claim.period, claim.attempt)
    status, counts = executions.execute(
        engine, claim, lambda: TASKS[spec.kind](engine, spec, claim.period, mailer), branch=spec.branch
    )
    log.info("%s for %s: %s %s", claim.job, claim.period, status, counts)
    return Outcome(claim.job, claim.period, status, counts)


def catch_up(engine: Engine, *, now: datetime | None = None, mailer: Mailer | None = None) -> list[Outcome]:
    """Every due moment missed since each job's last execution, oldest first."""
    now = now or datetime.now(UTC)
    with Session(engine) as session:
        plans = [(spec, missed(session, spec, now)) for spec in job_specs(session)]
    outcomes = []
    for spec, due in plans:
        for moment in due:
            outcomes.append(
                run_job(
                    engine, spec, period_of(spec.kind, moment), scheduled_for=moment, trigger="catch-up", mailer=mailer
                )
            )
    return outcomes


def retry_due(engine: Engine, *, now: datetime | None = None, mailer: Mailer | None = None) -> list[Outcome]:
    outcomes = []
    while (claim := executions.claim_retry(engine, now)) is not None:
        with Session(engine) as session:
            try:
                spec = spec_of(session, claim.job)
            except LedgerError as exc:  # switched off since: the failure stays recorded
                executions.fail(engine, claim, exc, branch=None)
                continue
        outcomes.append(_execute(engine, spec, claim, mailer))
    return outcomes


def run_now(engine: Engine, job: str, *, period: str | None = None, mailer: Mailer | None = None) -> Outcome:
    """Run a job for a period (by default the one of its latest due moment) at once.

    A period already done is not done again; one that failed for good is retried.
    """
    now = datetime.now(UTC)
    with Session(engine) as session:
        spec = spec_of(session, job)
        due = spec.when.previous_due(now) or now
        period = period or period_of(spec.kind, due)
        existing = session.scalar(
            select(JobExecution).where(col(JobExecution.job) == job, col(JobExecution.period) == period)
        )
    if existing is not None and existing.status == "failed":
        claim = executions.reopen(engine, existing.id)
        if claim is not None:
            return _execute(engine, spec, claim, mailer)
    return run_job(engine, spec, period, scheduled_for=now, trigger="run-now", mailer=mailer)


def tick(job: str) -> None:
    """APScheduler's entry point for a due moment of ``job``."""
    assert _engine is not None, "jobs.runner.bind(engine) first"
    now = datetime.now(UTC)
    with Session(_engine) as session:
        try:
            spec = spec_of(session, job)
        except LedgerError:
            log.warning("job %s is no longer scheduled; skipped", job)
            return
    due = spec.when.previous_due(now) or now
    run_job(
        _engine, spec, period_of(spec.kind, due), scheduled_for=due, trigger="schedule", mailer=Mailer.from_settings()
    )


def housekeeping() -> None:
    """Every half minute: retries whose time has come; a notice when the last good backup is too old."""
    assert _engine is not None
    retry_due(_engine, mailer=Mailer.from_settings())
    if parse_when(Settings().backup_schedule, "day", "02:00") is not None:
        run_in_transaction(_engine, notice_if_stale)
