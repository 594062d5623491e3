"""Scheduled jobs over HTTP: what is scheduled, what ran, running one now; notices; stored statements."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api import scoping
from api.deps import CurrentUser, SessionDep, engine_of, in_own_transaction
from api.schemas import jobs as schemas
from ledger.access.actor import Actor
from ledger.errors import NotFound
from ledger.models import Branch
from ledger.schedule.executions import history
from ledger.schedule.models import StoredStatement
from ledger.schedule.notices import dismiss, notices_for
from ledger.schedule.plans import JobSpec, job_specs, spec_of

router = APIRouter(tags=["scheduled jobs"])
log = logging.getLogger("godmother.jobs")
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _visible(db: Session, scope: Actor, spec: JobSpec) -> bool:
    branch_id = db.scalar(select(Branch.id).where(col(Branch.code) == spec.branch))
    return scope.sees_branch(branch_id)


@router.get("/jobs", response_model=list[schemas.JobOut])
async def list_jobs(db: SessionDep, scope: CurrentUser) -> list[schemas.JobOut]:
    """The scheduled jobs of the caller's branches, with their schedule (Vietnam time) and next due moment."""
    scope.require_staff()
    now = datetime.now(UTC)
    out = []
    for spec in job_specs(db):
        if _visible(db, scope, spec):
            upcoming = spec.when.due_times(now, now + timedelta(days=40))
            out.append(
                schemas.JobOut(
                    job=spec.id,
                    kind=spec.kind,
                    branch=spec.branch,
                    schedule=str(spec.when),
                    every=spec.when.every,
                    next_due=upcoming[0] if upcoming else None,
                )  # fmt: skip
            )
    return out


@router.get("/jobs/history", response_model=list[schemas.JobExecutionOut])
async def job_history(
    db: SessionDep,
    scope: CurrentUser,
    job: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[schemas.JobExecutionOut]:
    """Executions, newest first: due, started, finished, outcome, counts, error."""
    scope.require_staff()
    branches = {b.code: b.id for b in db.scalars(select(Branch))}
    rows = [r for r in history(db, job=job, limit=limit) if scope.sees_branch(branches.get(r.job.partition(":")[2]))]
    return [schemas.JobExecutionOut.model_validate(r, from_attributes=True) for r in rows]


@router.post("/jobs/{job}/run", response_model=schemas.JobStartedOut, status_code=202)
async def run_job_now(
    job: Annotated[str, Path(max_length=100)], request: Request, db: SessionDep, scope: CurrentUser
) -> schemas.JobStartedOut:
    """Run a job now for its latest period (once: a period already done is not done again); see the history."""
    spec = spec_of(db, job)
    if not _visible(db, scope, spec):
        raise NotFound(f"job {job!r} is not scheduled")
    scope.require_writer()
    threading.Thread(target=_run_now, args=(engine_of(request), job), name=f"run-now {job}", daemon=True).start()
    return schemas.JobStartedOut(job=job, started=True)


def _run_now(engine: Engine, job: str) -> None:
    from jobs.mail import Mailer
    from jobs.runner import run_now

    try:
        run_now(engine, job, mailer=Mailer.from_settings())
    except Exception:  # the execution's own failures are recorded; this is the database gone away
        log.exception("running %s now failed", job)


@router.get("/notices", response_model=list[schemas.NoticeOut])
async def notices(
    db: SessionDep, scope: CurrentUser, include_dismissed: Annotated[bool, Query()] = False
) -> list[schemas.NoticeOut]:
    """What the caller's branches should act on: children ageing out, cards expiring, pledges ending, failures."""
    return [
        schemas.NoticeOut(
            id=n.id,
            branch=code,
            kind=n.kind,
            subject=n.subject,
            due_on=n.due_on,
            message_vi=n.message_vi,
            message_en=n.message_en,
            dismissed=n.dismissed_at is not None,
        )  # fmt: skip
        for n, code in notices_for(db, scope, include_dismissed=include_dismissed)
    ]


@router.post("/notices/{notice_id}/dismissal", status_code=204)
async def dismiss_notice(notice_id: Id, request: Request, db: SessionDep, scope: CurrentUser) -> Response:
    await in_own_transaction(request, db, lambda s: dismiss(s, scope, notice_id))
    return Response(status_code=204)


@router.get("/sponsors/{code}/statements", response_model=list[schemas.StoredStatementOut])
async def stored_statements(
    code: Annotated[str, Path(min_length=1, max_length=64)], db: SessionDep, scope: CurrentUser
) -> list[schemas.StoredStatementOut]:
    """The monthly statements issued to the sponsor by the scheduler, newest first."""
    sponsor = scoping.sponsor(db, scope, code)
    rows = db.scalars(
        select(StoredStatement)
        .where(col(StoredStatement.kind) == "sponsor", col(StoredStatement.subject) == sponsor.code)
        .order_by(col(StoredStatement.period).desc())
    )
    return [
        schemas.StoredStatementOut(
            id=r.id,
            period=r.period,
            lang=r.lang,
            code=r.code,
            filename=r.filename,
            created_at=r.created_at,
            emailed_to=r.emailed_to or None,
            emailed_at=r.emailed_at,
        )  # fmt: skip
        for r in rows
    ]


@router.get(
    "/stored-statements/{statement_id}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the stored PDF"}},
)
async def stored_statement(statement_id: Id, db: SessionDep, scope: CurrentUser) -> Response:
    found = db.get(StoredStatement, statement_id)
    if found is None:
        raise NotFound(f"stored statement {statement_id} does not exist")
    try:
        scoping.sponsor(db, scope, found.subject)
    except NotFound:
        raise NotFound(f"stored statement {statement_id} does not exist") from None
    return Response(
        found.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"', "X-Verification-Code": found.code},
    )
