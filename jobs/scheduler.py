"""APScheduler 3 wired to the project's database: the job store, the timetable, the housekeeping.

The job store keeps each job's next run time across restarts. APScheduler 3 does not promise
that two schedulers sharing a store run a job once (docs/stack.md: they run it twice), so it is only
the clock here: the exactly-once guarantee is the claim in ``ledger.schedule.executions``.
"""

from __future__ import annotations

import logging
import threading

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlmodel import Session

from jobs import runner
from ledger.months import VIETNAM
from ledger.schedule.plans import job_specs

log = logging.getLogger("godmother.jobs")
HOUSEKEEPING = "housekeeping"
RESYNC = "resync"


def build(engine: Engine) -> BaseScheduler:
    runner.bind(engine)
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename="apscheduler_jobs")},
        timezone=VIETNAM,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600},
    )


def sync(scheduler: BaseScheduler, engine: Engine) -> None:
    """Make the scheduler's jobs those the branches' settings ask for (run again every few minutes)."""
    with Session(engine) as session:
        specs = {spec.id: spec for spec in job_specs(session)}
    for spec in specs.values():
        scheduler.add_job(
            "jobs.runner:tick", CronTrigger(**spec.when.cron()), args=[spec.id], id=spec.id, name=spec.id,
            replace_existing=True,
        )  # fmt: skip
    for job in scheduler.get_jobs():
        if job.id not in specs and job.id not in (HOUSEKEEPING, RESYNC):
            scheduler.remove_job(job.id)
    scheduler.add_job("jobs.runner:housekeeping", IntervalTrigger(seconds=30), id=HOUSEKEEPING, replace_existing=True)
    scheduler.add_job("jobs.scheduler:resync", IntervalTrigger(minutes=5), id=RESYNC, replace_existing=True)


_current: BaseScheduler | None = None


def resync() -> None:
    if _current is not None and runner._engine is not None:
        sync(_current, runner._engine)


def start(engine: Engine) -> BaseScheduler:
    """Keep time in a background thread (``shutdown()`` to stop), after catching up in another:
    what was missed while no worker was up runs at once, without holding up the caller."""
    global _current
    scheduler = build(engine)
    _current = scheduler
    scheduler.start(paused=True)
    sync(scheduler, engine)
    threading.Thread(target=_catch_up_then_resume, args=(scheduler, engine), name="catch-up", daemon=True).start()
    return scheduler


def _catch_up_then_resume(scheduler: BaseScheduler, engine: Engine) -> None:
    from jobs.mail import Mailer

    try:
        for outcome in runner.catch_up(engine, mailer=Mailer.from_settings()):
            log.info("caught up %s for %s: %s", outcome.job, outcome.period, outcome.status)
        runner.retry_due(engine, mailer=Mailer.from_settings())
    finally:
        if scheduler.running:
            scheduler.resume()
