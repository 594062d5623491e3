"""Statements and books for the staff to download, as PDF or spreadsheet (docs/books.md).

One address per format, ``/statements/{kind}.pdf`` and ``/statements/{kind}.xlsx``, the book named by
its kind and what it is about: a branch (``branch=``) for the branch books, a child (``child=``) or a
sponsor (``sponsor=``) for their ledgers; a period of months (``from``, ``to``). The domain gathers
the document for a reader who may have it (``ledger.statements.issue``); this door only reads the
query and shapes the file. The account numbers the books show (111, 112, …) are kept here too:
the branch's table, its history, and a form to change them (``ledger.statements.numbers``).
"""

from __future__ import annotations

import functools
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from api import scoping
from api.deps import SessionDep, in_own_transaction, off_the_loop
from api.issuing import issue_pdf, issue_xlsx
from api.pack_jobs import STAGES, PackJob
from api.positions import read_after
from api.web.guards import back_to, home_branch, reader_form, require_staff, writer
from api.web.session import WebUser, page, reader_lang, say, web_user
from ledger.errors import LedgerError, NotFound
from ledger.months import Month, today_in_vietnam
from ledger.statements.document import Period, StatementRequest
from ledger.statements.issue import may_issue
from ledger.statements.kept import kept_for
from ledger.statements.numbers import KNOWN, number_history, numbers_in_force, set_account_number
from ledger.told import explain, fallback
from pdf_templates.books import XLSX_KINDS, account_name

router = APIRouter(include_in_schema=False)
MONTH = r"^\d{4}-\d{2}$"
BRANCH_PDFS = ("audit", "treasurer", "guardian", "trial-balance", "payment-list", "cash-book", "bank-book",
               "general-ledger")  # fmt: skip
SPANS = ("audit", "trial-balance", "cash-book", "bank-book", "general-ledger", "child-ledger", "sponsor-ledger")


@router.get("/statements/sponsor.pdf")
async def staff_sponsor_statement(
    request: Request,
    db: SessionDep,
    sponsor: Annotated[str, Query(max_length=64)],
    month: Annotated[str, Query(pattern=MONTH)],
) -> Response:
    """A sponsor's statement, for the staff of the sponsor's branch."""
    user = web_user(request)
    require_staff(user)
    found = scoping.sponsor(db, user.scope, sponsor.strip())
    wanted = StatementRequest("sponsor", found.code, Period.month(Month.parse(month)))
    return await issue_pdf(request, db, user.scope, wanted, reader_lang(request))


@router.get("/statements/{kind}.{form}")
async def book_file(
    kind: str,
    form: Literal["pdf", "xlsx"],
    request: Request,
    db: SessionDep,
    start: Annotated[str, Query(alias="from", pattern=MONTH)],
    end: Annotated[str | None, Query(alias="to", pattern=MONTH)] = None,
    branch: Annotated[str, Query(max_length=64)] = "",
    child: Annotated[str, Query(max_length=64)] = "",
    sponsor: Annotated[str, Query(max_length=64)] = "",
    account: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """A statement or book as PDF, or a book as a spreadsheet with the same figures as its PDF and page."""
    user = web_user(request)
    require_staff(user)
    if kind not in (XLSX_KINDS if form == "xlsx" else (*BRANCH_PDFS, "child-ledger", "sponsor-ledger")):
        raise LedgerError(f"there is no {kind} {'spreadsheet' if form == 'xlsx' else 'statement'}")
    wanted = _wanted(db, user, kind, start, end, branch=branch, child=child, sponsor=sponsor, account=account)
    issue = issue_xlsx if form == "xlsx" else issue_pdf
    return await issue(request, db, user.scope, wanted, reader_lang(request))


def _wanted(
    db: Session, user: WebUser, kind: str, start: str, end: str | None, *, branch: str, child: str, sponsor: str,
    account: str,
) -> StatementRequest:  # fmt: skip
    last = end or start
    period = Period(Month.parse(start), Month.parse(last)) if kind in SPANS else Period.month(Month.parse(start))
    if kind == "child-ledger":
        return StatementRequest(kind, scoping.child(db, user.scope, child.strip()).code, period)
    if kind == "sponsor-ledger":
        return StatementRequest(kind, scoping.sponsor(db, user.scope, sponsor.strip()).code, period)
    found = scoping.branch(db, user.scope, branch.strip())
    chosen = account.strip() or None if kind == "general-ledger" else None
    return StatementRequest(kind, found.code, period, account=chosen)


@router.get("/books/numbers", response_class=HTMLResponse)
async def numbers_page(
    request: Request,
    db: SessionDep,
    branch: Annotated[str, Query(max_length=64)] = "",
    done: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """The account numbers a branch files our accounts under (111, 112, …), where each comes from, and their history."""
    user = web_user(request)
    require_staff(user)
    home = home_branch(db, user, branch.strip() or None)
    in_force = numbers_in_force(db, home.code, user.scope)
    history = number_history(db, home.id)
    lang = reader_lang(request)
    return page(
        request, "numbers.html", lang, user=user, branch=home, in_force=in_force, history=history, known=KNOWN,
        may_write=user.scope.may_write(home.id), done=done, account_name=functools.partial(account_name, lang),
        the_month=str(Month.of(today_in_vietnam())),
    )  # fmt: skip


@router.post("/books/numbers")
async def set_number(
    request: Request,
    db: SessionDep,
    branch: Annotated[str, Form(max_length=64)],
    prefix: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=64)],
    number: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    user = writer(request, csrf)

    def work(session: Session) -> None:
        set_account_number(session, branch=branch, prefix=prefix, number=number, actor=user.scope)

    await in_own_transaction(request, db, work)
    lang = reader_lang(request)
    told = say(lang, "number_set", prefix=prefix.strip(), number=number.strip() or "—")
    return back_to(f"/books/numbers?branch={quote(branch)}", told)


# --- statements made in the background ---------------------------------------------------------------


@router.post("/statements/audit/background")
async def pack_in_background(
    request: Request,
    db: SessionDep,
    branch: Annotated[str, Form(max_length=64)],
    start: Annotated[str, Form(alias="from", pattern=MONTH)],
    end: Annotated[str, Form(alias="to", pattern=MONTH)],
    csrf: Annotated[str, Form(max_length=64)],
) -> Response:
    """Start an audit pack too large to wait for; the reader follows it on its own page."""
    user = reader_form(request, csrf)
    wanted = _wanted(db, user, "audit", start, end, branch=branch, child="", sponsor="", account="")
    await off_the_loop(db, may_issue, db, user.scope, wanted)  # refused at once, not minutes later
    job = request.app.state.pack_jobs.start(
        wanted, actor=user.scope, lang=reader_lang(request), after=read_after(request)
    )
    return RedirectResponse(f"/statements/jobs/{job.id}", status_code=303)


@router.get("/statements/jobs/{job_id}", response_class=HTMLResponse)
async def pack_progress(job_id: Annotated[str, PathParam(max_length=64)], request: Request) -> Response:
    """A background statement's progress: the page refreshes itself until it is kept, then offers it."""
    user, job = _own_job(request, job_id)
    lang = reader_lang(request)
    failed = "" if job.failure is None else (explain(job.failure, lang) or fallback(400, str(job.failure), lang))
    return page(request, "pack.html", lang, user=user, job=job, stages=STAGES, failed=failed, said_now=_said(job, lang))


@router.get("/statements/jobs/{job_id}/now")
async def pack_progress_now(job_id: Annotated[str, PathParam(max_length=64)], request: Request) -> Response:
    """How far a background statement has come, for its page to say without reloading."""
    _, job = _own_job(request, job_id)
    return JSONResponse({"state": job.state, "done": job.done, "said": _said(job, reader_lang(request))})


def _own_job(request: Request, job_id: str) -> tuple[WebUser, PackJob]:
    user = web_user(request)
    require_staff(user)
    job = request.app.state.pack_jobs.get(job_id)
    if job is None or job.started_by != user.scope.user:
        raise NotFound(f"statement job {job_id} is not one you started on this server")
    return user, job


def _said(job: PackJob, lang: str) -> str:
    return f"{say(lang, f'pack_stage.{job.stage}')} ({say(lang, 'pack_seconds').format(job.seconds)})"


@router.get("/statements/kept/{statement_id}.pdf")
async def kept_pdf(
    statement_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)], request: Request, db: SessionDep
) -> Response:
    """A statement made in the background, exactly as it was kept."""
    user = web_user(request)
    require_staff(user)
    found = await off_the_loop(db, kept_for, db, user.scope, statement_id)
    return Response(
        found.pdf, media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )  # fmt: skip
