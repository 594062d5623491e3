"""Statements made in the background: a thread of the API process gathers, renders and keeps one.

An audit pack for a province's year takes minutes to render, longer than a request should wait.
It is gathered on the read replica when there is one (``DATABASE_REPLICA_URL``) that has
replayed the reader's own last write.
The request starts the work and answers at once with a page that follows it; the statement is
gathered for the reader (who must be allowed to have it), rendered, and kept with a notice by
the domain (``ledger.statements.kept``). Only the progress lives in this process: a pack lost
with its process is simply asked for again.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy import Engine

from ledger.access.actor import Actor
from ledger.db import run_in_transaction
from ledger.errors import LedgerError
from ledger.months import today_in_vietnam
from ledger.replicas import Replica, run_reading
from ledger.statements.document import StatementRequest
from ledger.statements.issue import prepare_issue
from ledger.statements.kept import keep_statement
from pdf_templates.render import render_pdf

STAGES = ("gathering", "rendering", "keeping")
log = logging.getLogger("godmother.api")


@dataclass
class PackJob:
    id: str
    request: StatementRequest
    started_by: str
    started_ns: int = field(default_factory=time.monotonic_ns)
    state: str = "running"
    stage: str = STAGES[0]
    kept_id: int | None = None
    pages_kb: int = 0
    failure: LedgerError | None = None  # told to the reader in her language
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def done(self) -> int:
        return len(STAGES) if self.state != "running" else STAGES.index(self.stage)

    @property
    def seconds(self) -> int:
        return (time.monotonic_ns() - self.started_ns) // 1_000_000_000


class PackJobs:
    def __init__(self, engine: Engine, replica: Replica | None = None) -> None:
        self.engine, self.replica = engine, replica
        self.jobs: dict[str, PackJob] = {}
        self.lock = threading.Lock()

    def start(self, request: StatementRequest, *, actor: Actor, lang: str, after: int | None = None) -> PackJob:
        """Start gathering ``request`` for ``actor``: on the read replica, when there is one that has
        replayed ``after`` (the reader's own last write), else on the primary."""
        job = PackJob(uuid.uuid4().hex, request, actor.user)
        with self.lock:
            self.jobs[job.id] = job
        threading.Thread(
            target=self._work, args=(job, actor, lang, after), name=f"pack-{job.id[:8]}", daemon=True
        ).start()
        return job

    def _work(self, job: PackJob, actor: Actor, lang: str, after: int | None) -> None:
        try:
            ready = run_reading(  # a verified checkpoint the gathering left is kept, on the primary
                self.engine,
                self.replica,
                lambda s: prepare_issue(s, job.request, actor=actor, lang=lang, issued_on=today_in_vietnam()),
                after=after,
            )
            job.stage = "rendering"
            pdf = render_pdf(ready.document, ready.lang, ready.key)
            job.stage = "keeping"
            kept = run_in_transaction(
                self.engine,
                lambda s: keep_statement(
                    s, actor=actor, request=job.request, document=ready.document, lang=ready.lang, pdf=pdf,
                    key=ready.key,
                ).id,
            )  # fmt: skip
            job.kept_id, job.pages_kb, job.state = kept, len(pdf) // 1024, "finished"
        except LedgerError as exc:
            job.state, job.failure = "failed", exc
        except Exception:  # a bug or a lost database: the job says so rather than hanging, and the log says why
            log.exception("background statement %s %s failed", job.request.kind, job.request.subject)
            job.state = "failed"
        finally:
            job.finished.set()

    def get(self, job_id: str) -> PackJob | None:
        return self.jobs.get(job_id)
