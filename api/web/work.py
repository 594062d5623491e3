"""The treasurer's work pages: importing a spreadsheet, the monthly run, handovers, the bank, closing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from api.deps import SessionDep, in_own_transaction, off_the_loop
from api.web.guards import back_to, home_branch, require_staff, writer, writer_at_home
from api.web.session import page, reader_lang, say, web_user
from ledger.access import rights
from ledger.disbursement import run
from ledger.disbursement.handover import EvidenceFile, record_handovers
from ledger.disbursement.planning import Planned, Summary
from ledger.disbursement.stored import decisions_seen_by, month_state, summary_seen_by
from ledger.errors import InvalidEntry
from ledger.ground.messages import has_message
from ledger.money import format_vnd
from ledger.months import Month, today_in_vietnam

router = APIRouter(include_in_schema=False)
SUMMARY = {"decisions", "children_paid", "paid_total", "catch_up_total", "shortfalls", "shortfall_total"}
MAX_UPLOAD = 20 * 1024 * 1024


async def saved(upload: UploadFile, folder: str, allowed: tuple[str, ...]) -> Path:
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in allowed:
        raise InvalidEntry(f"choose a {' or '.join(allowed)} file")
    content = await upload.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise InvalidEntry("a file may be at most 20 MB")
    path = Path(folder) / (Path(upload.filename or "file").name or f"file{suffix}")
    path.write_bytes(content)
    return path


# --- the monthly run ---------------------------------------------------------------------------------


@router.get("/treasurer/run", response_class=HTMLResponse)
async def run_preview(
    request: Request,
    db: SessionDep,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    done: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """The month's state and decisions: those kept by its run, or (not run yet) a preview with nothing posted."""
    user = web_user(request)
    require_staff(user)
    home = home_branch(db, user, None)
    today = today_in_vietnam()
    wanted = Month.parse(month) if month else Month.of(today)
    state = month_state(db, user.scope, home.code, wanted, today=today)
    summary: Any = None
    decisions: list[Any] = []
    if state.run is not None:
        summary = Summary(**{k: v for k, v in summary_seen_by(db, state.run, user.scope).items() if k in SUMMARY})
        decisions = decisions_seen_by(db, user.scope, state.run.id)
    elif state.begun:
        seen: list[Planned] = []
        preview = await off_the_loop(
            db, run.run_month, request.app.state.engine, wanted, actor=user.scope, branch=home.code, dry_run=True,
            show=seen.append,
        )  # fmt: skip
        summary, decisions = preview.summary, seen
    return page(
        request, "run.html", reader_lang(request), user=user, branch=home, the_month=str(wanted), summary=summary,
        job=None, state=state, decisions=decisions, may_write=user.scope.may_write(home.id), done=done,
        names=rights.child_names(db, user.scope, [d.child for d in decisions]),
        may_approve=state.status == "prepared" and state.run is not None
        and state.run.prepared_by.casefold() != user.scope.user.casefold() and user.scope.may_write(home.id),
    )  # fmt: skip


@router.post("/treasurer/run/{run_id}/approve")
async def run_approve(
    run_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    request: Request,
    db: SessionDep,
    month: Annotated[str, Form(pattern=r"^\d{4}-\d{2}$")],
    csrf: Annotated[str, Form(max_length=64)],
) -> Response:
    """A second person approves a prepared run (four eyes); it is posted at once."""
    user, _ = writer_at_home(request, db, csrf)
    result = await off_the_loop(db, run.approve_run, request.app.state.engine, run_id, actor=user.scope)
    lang = reader_lang(request)
    paid = format_vnd(result.summary.paid_total, lang)
    return back_to(f"/treasurer/run?month={month}", say(lang, "run_approved", amount=paid))


@router.post("/treasurer/run")
async def run_start(
    request: Request,
    db: SessionDep,
    month: Annotated[str, Form(pattern=r"^\d{4}-\d{2}$")],
    csrf: Annotated[str, Form(max_length=64)],
) -> Response:
    user, home = writer_at_home(request, db, csrf)
    job = request.app.state.run_jobs.start(month=Month.parse(month), actor=user.scope, branch=home.code, dry_run=False)
    return RedirectResponse(f"/treasurer/run/{job.id}", status_code=303)


@router.get("/treasurer/run/{job_id}", response_class=HTMLResponse)
async def run_progress(job_id: str, request: Request, db: SessionDep) -> Response:
    """The run's progress: the page refreshes itself every two seconds until the run ends."""
    user = web_user(request)
    require_staff(user)
    job = request.app.state.run_jobs.get(job_id)
    if job is None or job.started_by != user.scope.user:
        raise InvalidEntry("this run is not one you started on this server; see the runs in the audit log")
    home = home_branch(db, user, None)
    summary = job.result.summary if job.result is not None else None
    lang = reader_lang(request)
    return page(
        request, "run.html", lang, user=user, branch=home, the_month=job.month, summary=summary,
        job=job, may_write=False, said_now=_run_said(job, lang),
    )  # fmt: skip


@router.get("/treasurer/run/{job_id}/now")
async def run_progress_now(job_id: str, request: Request) -> Response:
    """How far a run has come, for its page to say without reloading."""
    user = web_user(request)
    require_staff(user)
    job = request.app.state.run_jobs.get(job_id)
    if job is None or job.started_by != user.scope.user:
        raise InvalidEntry("this run is not one you started on this server; see the runs in the audit log")
    return JSONResponse({"state": job.state, "done": job.done, "said": _run_said(job, reader_lang(request))})


def _run_said(job: Any, lang: str) -> str:
    stage = say(lang, f"run_stage.{job.stage}") if has_message(f"web:run_stage.{job.stage}") else say(lang, "running")
    return f"{stage} {job.done}/{job.total}"


# --- handovers, the bank, closing the month -----------------------------------------------------------


@router.post("/treasurer/handover")
async def handover_one(
    request: Request,
    db: SessionDep,
    child: Annotated[str, Form(max_length=64)],
    received_by: Annotated[str, Form(max_length=200)],
    month: Annotated[str, Form(pattern=r"^\d{4}-\d{2}$")],
    csrf: Annotated[str, Form(max_length=64)],
    method: Annotated[str, Form(pattern="^(cash|bank)$")] = "cash",
    bank_account: Annotated[str, Form(max_length=64)] = "",
    evidence: UploadFile | None = None,
) -> Response:
    """One guardian received the month's money and signed the slip (its photo kept as evidence)."""
    user = writer(request, csrf)
    code = child.strip()
    content = await evidence.read(MAX_UPLOAD + 1) if evidence is not None and evidence.filename else b""
    if len(content) > MAX_UPLOAD:
        raise InvalidEntry("a photo may be at most 20 MB")
    slip = EvidenceFile(evidence.filename or "slip.jpg", content) if content and evidence is not None else None
    home = home_branch(db, user, None)  # her cash box pays, as for the whole branch

    def work(session: Session) -> None:
        record_handovers(
            session, month=Month.parse(month), on=today_in_vietnam(), actor=user.scope, children=[code],
            method=method, bank_account=bank_account or None if method == "bank" else None,
            received_by=received_by.strip(), evidence=slip,
            cash_from=home.code if method == "cash" and user.scope.may_write(home.id) else None,
        )  # fmt: skip

    await in_own_transaction(request, db, work)
    lang = reader_lang(request)
    return back_to("/treasurer", say(lang, "handed_one", child=code))
