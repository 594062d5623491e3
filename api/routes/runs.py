"""Monthly runs and guardians' receipts over HTTP."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from sqlmodel import Session, col, select

from api import scoping
from api.deps import CurrentUser, Language, SessionDep, in_own_transaction, off_the_loop
from api.run_jobs import RunJob, RunJobs
from api.schemas import runs as schemas
from api.schemas.common import MONTH_PATTERN
from ledger.access.actor import Actor
from ledger.disbursement import checking, run, stored
from ledger.disbursement.handover import record_handovers
from ledger.disbursement.models import Run
from ledger.disbursement.planning import Summary
from ledger.errors import NotFound, RunNotFound
from ledger.models import Branch
from ledger.months import Month, today_in_vietnam
from ledger.register.models import Child

router = APIRouter(tags=["monthly run"])
RunId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _jobs(request: Request) -> RunJobs:
    return request.app.state.run_jobs


def summary_out(summary: Summary) -> schemas.RunSummaryOut:
    return schemas.RunSummaryOut(
        decisions=summary.decisions,
        children_paid=summary.children_paid,
        total_paid=summary.paid_total,
        catch_up=summary.catch_up_total,
        shortfalls=summary.shortfalls,
        shortfall_total=summary.shortfall_total,
        aged_out=list(summary.aged_out),
        left_school=list(summary.left_school),
        pledges_ended=list(summary.pledges_ended),
    )


def job_out(job: RunJob) -> schemas.RunJobOut:
    result = job.result
    return schemas.RunJobOut(
        job=job.id,
        month=job.month,
        branch=job.branch,
        dry_run=job.dry_run,
        state=job.state,
        stage=job.stage,
        done=job.done,
        total=job.total,
        started_by=job.started_by,
        run_id=result.run_id if result else None,
        status=result.status if result else None,
        summary=summary_out(result.summary) if result else None,
        error=job.error,
    )


def _run_branch(db: Session, scope: Actor, branch: str | None) -> str | None:
    """The branch a run covers: yours by default; every branch only for administrators."""
    if branch is not None:
        scoping.branch(db, scope, branch)
        return branch
    if scope.is_admin:
        return None
    home = db.get(Branch, scope.home_branch_id)
    assert home is not None
    return home.code


@router.post(
    "/runs",
    response_model=schemas.RunJobOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses={200: {"model": schemas.RunJobOut, "description": "a dry run, finished: its preview"}},
)
async def start_run(
    body: schemas.RunStart, request: Request, response: Response, db: SessionDep, scope: CurrentUser
) -> schemas.RunJobOut:
    """Start the monthly run of a branch and below (202: poll ``/runs/jobs/{job}``), or with
    ``dry_run`` get the preview of what would be paid and every shortfall (200), nothing posted."""
    scope.require_staff()
    branch = _run_branch(db, scope, body.branch)
    month = Month.parse(body.month)
    if body.dry_run:
        result = await off_the_loop(
            db, run.run_month, request.app.state.engine, month, actor=scope, branch=branch, dry_run=True, on=body.on
        )
        response.status_code = status.HTTP_200_OK
        job = RunJob("dry-run", str(month), branch, True, scope.user, state="finished", stage="done", result=result)
        return job_out(job)
    scope.require_writer()
    if branch is not None:  # refused here too, so the answer is 403/404 rather than a failed job
        scoping.writable_branch(db, scope, branch)
    job = _jobs(request).start(month=month, actor=scope, branch=branch, dry_run=False, on=body.on)
    response.headers["Location"] = f"/api/v1/runs/jobs/{job.id}"
    return job_out(job)


@router.get("/runs/jobs/{job_id}", response_model=schemas.RunJobOut)
async def run_job(
    job_id: Annotated[str, Path(max_length=64)],
    request: Request,
    scope: CurrentUser,
    wait: Annotated[float, Query(ge=0, le=30, description="seconds to wait for the job to finish")] = 0,
) -> schemas.RunJobOut:
    """Progress of a run started here: stage (prepare, post), done of total, then the result."""
    job = _jobs(request).get(job_id)
    if job is None or (job.started_by != scope.user and not scope.is_admin):
        raise NotFound(f"run job {job_id!r} does not exist (progress is kept by the server that started it)")
    if wait:
        await asyncio.to_thread(job.finished.wait, wait)
    return job_out(job)


def run_out(db: Session, r: Run, scope: Actor) -> schemas.RunOut:
    branch = db.get(Branch, r.branch_id) if r.branch_id else None
    assert r.id is not None
    return schemas.RunOut(
        id=r.id,
        month=f"{r.month:%Y-%m}",
        branch=branch.code if branch else None,
        status=r.status,
        posted_on=r.posted_on,
        prepared_by=r.prepared_by,
        prepared_at=r.prepared_at,
        approved_by=r.approved_by,
        approved_at=r.approved_at,
        finished_at=r.finished_at,
        summary=stored.summary_seen_by(db, r, scope),
    )


def visible_run(db: Session, scope: Actor, run_id: int) -> Run:
    scope.require_staff()
    found = db.get(Run, run_id)
    # A run over every branch (branch_id None) concerns every branch: its decisions are filtered.
    if found is None or not (found.branch_id is None or scope.sees_branch(found.branch_id)):
        raise RunNotFound(run_id)
    return found


@router.get("/runs", response_model=list[schemas.RunOut])
async def list_runs(
    db: SessionDep, scope: CurrentUser, month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None
) -> list[schemas.RunOut]:
    """Runs newest first: those over every branch, and those of your branches."""
    scope.require_staff()
    found = stored.runs(db, Month.parse(month) if month else None)
    return [run_out(db, r, scope) for r in found if r.branch_id is None or scope.sees_branch(r.branch_id)]


@router.get("/runs/check", response_model=schemas.CheckOut)
async def check_run(
    db: SessionDep,
    scope: CurrentUser,
    month: Annotated[str, Query(pattern=MONTH_PATTERN)],
    branch: Annotated[str | None, Query(max_length=64)] = None,
) -> schemas.CheckOut:
    """Re-derive a month with today's code and register and list every difference from what was paid."""
    scope.require_staff()
    branch = _run_branch(db, scope, branch)
    checked, differences = await off_the_loop(db, checking.check_month, db, Month.parse(month), branch=branch)
    return schemas.CheckOut(
        month=month,
        decisions_checked=checked,
        differences=[{"child": d.child, "program": d.program, "run": d.run_id, "what": d.what} for d in differences],
    )


@router.get("/runs/{run_id}", response_model=schemas.RunOut)
async def get_run(run_id: RunId, db: SessionDep, scope: CurrentUser) -> schemas.RunOut:
    return run_out(db, visible_run(db, scope, run_id), scope)


@router.get("/runs/{run_id}/decisions", response_model=list[schemas.DecisionOut])
async def run_decisions(
    run_id: RunId,
    db: SessionDep,
    scope: CurrentUser,
    lang: Language,
    child: Annotated[str | None, Query(max_length=64)] = None,
) -> list[schemas.DecisionOut]:
    """A run's decisions, each with its amounts and its reasons (in the reader's language)."""
    visible_run(db, scope, run_id)
    if child is not None:
        scoping.child(db, scope, child)
    decisions = stored.decisions_of(db, run_id, child=child)
    if not scope.is_admin:
        visible = set(db.scalars(select(Child.code).where(col(Child.branch_id).in_(scope.branch_ids or ()))))
        decisions = [d for d in decisions if d.child in visible]
    return [
        schemas.DecisionOut(
            child=d.child,
            program=d.program,
            month=str(d.month),
            eligible=d.eligible,
            due=d.due,
            catch_up=d.catch_up,
            paid=d.paid,
            shortfall=d.shortfall,
            reasons=[{**r, "text": r.get(lang, r.get("en", ""))} for r in d.reasons],
        )
        for d in decisions
    ]


@router.post("/runs/{run_id}/approval", response_model=schemas.RunJobOut)
async def approve_run(run_id: RunId, request: Request, db: SessionDep, scope: CurrentUser) -> schemas.RunJobOut:
    """Four eyes: approve a prepared run (not its preparer) and post it."""
    visible_run(db, scope, run_id)
    result = await off_the_loop(db, run.approve_run, request.app.state.engine, run_id, actor=scope)
    job = RunJob(
        f"approval-{run_id}", str(result.month), None, False, scope.user, state="finished", stage="done", result=result
    )
    return job_out(job)


@router.post("/handovers", response_model=list[schemas.HandoverOut], status_code=status.HTTP_201_CREATED)
async def handover(
    body: schemas.HandoverIn, request: Request, db: SessionDep, scope: CurrentUser
) -> list[schemas.HandoverOut]:
    """Record that guardians received a month's money (payable → cash or bank): named children, or a whole branch."""
    if not body.children and body.branch is None:
        body.branch = _run_branch(db, scope, None)

    def work(session: Session) -> list[schemas.HandoverOut]:
        done = record_handovers(
            session,
            month=Month.parse(body.month),
            on=body.on or today_in_vietnam(),
            actor=scope,
            children=body.children,
            branch=body.branch,
            method=body.method,
            bank_account=body.bank_account,
            received_by=body.received_by,
        )
        codes = dict(
            session.execute(select(Child.id, Child.code).where(col(Child.id).in_([h.child_id for h in done]))).all()
        )
        return [
            schemas.HandoverOut(
                child=codes[h.child_id],
                month=body.month,
                amount=h.amount,
                method=h.method,
                transaction=h.transaction_id,
            )
            for h in done
        ]

    return await in_own_transaction(request, db, work)
