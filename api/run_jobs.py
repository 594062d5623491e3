"""Monthly runs started over HTTP: each runs in a thread of the API process, reporting progress.

A run of 100,000 children takes most of a minute, longer than a request should wait. The
request starts it and returns at once (202) with a job to poll; the job's stage and counts
come from the run's own progress reports. The run itself is crash-safe and exclusive across
processes (``ledger.disbursement.run``), so a job lost with its process is finished by the
next run; only the progress of a job lives in the process that started it.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from ledger.access.actor import Actor
from ledger.disbursement import run
from ledger.errors import LedgerError
from ledger.months import Month


@dataclass
class RunJob:
    id: str
    month: str
    branch: str | None
    dry_run: bool
    started_by: str
    state: str = "running"
    stage: str = "waiting"
    done: int = 0
    total: int = 0
    result: run.RunResult | None = None
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    def report(self, stage: str, done: int, total: int) -> None:
        self.stage, self.done, self.total = stage, done, total


class RunJobs:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.jobs: dict[str, RunJob] = {}
        self.lock = threading.Lock()

    def start(self, *, month: Month, actor: Actor, branch: str | None, dry_run: bool, **options: Any) -> RunJob:
        job = RunJob(uuid.uuid4().hex, str(month), branch, dry_run, actor.user)
        with self.lock:
            self.jobs[job.id] = job
        threading.Thread(
            target=self._work, args=(job, month, actor, options), name=f"run-{job.id[:8]}", daemon=True
        ).start()
        return job

    def _work(self, job: RunJob, month: Month, actor: Actor, options: dict[str, Any]) -> None:
        try:
            job.result = run.run_month(
                self.engine,
                month,
                actor=actor,
                branch=job.branch,
                dry_run=job.dry_run,
                progress=job.report,
                **options,
            )
            job.state = "finished"
        except LedgerError as exc:
            job.state, job.error = "failed", str(exc)
        except Exception as exc:  # a bug or a lost database: the job says so rather than hanging
            job.state, job.error = (
                "failed",
                f"internal error ({type(exc).__name__}); nothing half-posted stays: run it again",
            )
        finally:
            job.finished.set()

    def get(self, job_id: str) -> RunJob | None:
        return self.jobs.get(job_id)
