"""The treasurer's work pages: importing a spreadsheet, the monthly run, handovers, the bank, closing."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api import scoping
from api.deps import SessionDep, in_own_transaction, off_the_loop
from api.web.guards import back_to, home_branch, require_staff, writer, writer_at_home
from api.web.session import page, reader_lang, web_user
from ledger.access import rights
from ledger.closing import close_month
from ledger.disbursement import run
from ledger.disbursement.handover import EvidenceFile, record_handovers
from ledger.errors import InvalidEntry
from ledger.months import Month, today_in_vietnam
from ledger.reconciliation import by_hand, reconcile
from ledger.reconciliation.importing import import_statement
from ledger.reconciliation.report import report_for
from ledger.register import importing
from ledger.register.spreadsheets import UnreadableFile

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 20 * 1024 * 1024


async def _saved(upload: UploadFile, folder: str, allowed: tuple[str, ...]) -> Path:
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in allowed:
        raise InvalidEntry(f"choose a {' or '.join(allowed)} file")
    content = await upload.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise InvalidEntry("a file may be at most 20 MB")
    path = Path(folder) / (Path(upload.filename or "file").name or f"file{suffix}")
    path.write_bytes(content)
    return path


# --- spreadsheets ---------------------------------------------------------------------------------


@router.get("/treasurer/import", response_class=HTMLResponse)
async def import_form(request: Request, done: Annotated[str | None, Query(max_length=300)] = None) -> Response:
    user = web_user(request)
    require_staff(user)
    return page(
        request,
        "import.html",
        reader_lang(request),
        user=user,
        kinds=importing.KINDS,
        done=done,
        errors=None,
        chosen=None,
    )


@router.post("/treasurer/import", response_class=HTMLResponse)
async def import_spreadsheet(
    request: Request,
    db: SessionDep,
    file: UploadFile,
    kind: Annotated[str, Form(max_length=32)],
    csrf: Annotated[str, Form(max_length=64)],
) -> Response:
    user = writer(request, csrf)
    lang = reader_lang(request)
    if kind not in importing.KINDS:
        raise InvalidEntry(f"choose what the file holds: {', '.join(importing.KINDS)}")
    with tempfile.TemporaryDirectory() as folder:
        path = await _saved(file, folder, (".csv", ".xlsx"))
        try:
            report = await in_own_transaction(
                request, db, lambda session: importing.import_file(session, kind, path, actor=user.scope)
            )
        except importing.ImportRejected as rejected:
            errors = [(e.row, e.column, e.vi if lang == "vi" else e.en) for e in rejected.errors]
            return page(
                request,
                "import.html",
                lang,
                422,
                user=user,
                kinds=importing.KINDS,
                done=None,
                errors=errors,
                chosen=kind,
            )
        except UnreadableFile as exc:
            raise InvalidEntry(str(exc)) from None
    counts = (report.rows, report.created, report.updated, report.unchanged)
    done = "{} dòng: {} mới, {} cập nhật, {} không đổi" if lang == "vi" else "{} rows: {} new, {} updated, {} unchanged"
    done = done.format(*counts)
    return back_to("/treasurer/import", done)


# --- the monthly run ---------------------------------------------------------------------------------


@router.get("/treasurer/run", response_class=HTMLResponse)
async def run_preview(
    request: Request, db: SessionDep, month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None
) -> Response:
    """What the month's run would pay (a dry run: nothing posted), and the button to run it."""
    user = web_user(request)
    require_staff(user)
    home = home_branch(db, user, None)
    wanted = Month.parse(month) if month else Month.of(today_in_vietnam())
    preview = await off_the_loop(
        db, run.run_month, request.app.state.engine, wanted, actor=user.scope, branch=home.code, dry_run=True
    )
    return page(
        request, "run.html", reader_lang(request), user=user, branch=home, the_month=str(wanted),
        summary=preview.summary, job=None, may_write=user.scope.may_write(home.id),
    )  # fmt: skip


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
    return page(
        request, "run.html", reader_lang(request), user=user, branch=home, the_month=job.month, summary=summary,
        job=job, may_write=False,
    )  # fmt: skip


# --- handovers, the bank, closing the month -----------------------------------------------------------


@router.post("/treasurer/handovers")
async def handovers(
    request: Request,
    db: SessionDep,
    month: Annotated[str, Form(pattern=r"^\d{4}-\d{2}$")],
    method: Annotated[str, Form(pattern="^(cash|bank)$")],
    csrf: Annotated[str, Form(max_length=64)],
    bank_account: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Every guardian of the branch received the month's money (cash at a meeting, or one bank transfer)."""
    user, home = writer_at_home(request, db, csrf)

    def work(session: Session) -> int:
        done = record_handovers(
            session, month=Month.parse(month), on=today_in_vietnam(), actor=user.scope, branch=home.code,
            method=method, bank_account=bank_account or None if method == "bank" else None,
        )  # fmt: skip
        return len(done)

    count = await in_own_transaction(request, db, work)
    lang = reader_lang(request)
    return back_to("/treasurer", f"{count} người giám hộ đã nhận" if lang == "vi" else f"{count} guardians received")


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

    def work(session: Session) -> None:
        record_handovers(
            session, month=Month.parse(month), on=today_in_vietnam(), actor=user.scope, children=[code],
            method=method, bank_account=bank_account or None if method == "bank" else None,
            received_by=received_by.strip(), evidence=slip,
        )  # fmt: skip

    await in_own_transaction(request, db, work)
    lang = reader_lang(request)
    return back_to("/treasurer", f"{code}: đã giao" if lang == "vi" else f"{code}: handed over")


@router.get("/treasurer/bank", response_class=HTMLResponse)
async def bank_page(
    request: Request,
    db: SessionDep,
    account: Annotated[str | None, Query(max_length=64)] = None,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    done: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """A bank account's month: the report, and every line or transaction still unmatched."""
    user = web_user(request)
    require_staff(user)
    accounts = rights.bank_accounts_seen_by(db, user.scope)
    chosen = scoping.bank_account(db, user.scope, account) if account else (accounts[0] if accounts else None)
    wanted = Month.parse(month) if month else Month.of(today_in_vietnam()).previous()
    report = await off_the_loop(db, report_for, db, chosen, wanted) if chosen is not None else None
    return page(
        request, "bank.html", reader_lang(request), user=user, accounts=accounts, chosen=chosen,
        the_month=str(wanted), report=report, done=done,
    )  # fmt: skip


@router.post("/treasurer/bank/statement")
async def bank_statement(
    request: Request,
    db: SessionDep,
    file: UploadFile,
    account: Annotated[str, Form(max_length=64)],
    month: Annotated[str, Form(pattern=r"^\d{4}-\d{2}$")],
    csrf: Annotated[str, Form(max_length=64)],
) -> Response:
    """Import the statement and match it at once; what is left is on the page."""
    user = writer(request, csrf)
    bank = scoping.writable_bank_account(db, user.scope, account)
    with tempfile.TemporaryDirectory() as folder:
        path = await _saved(file, folder, (".csv", ".xlsx", ".xml"))

        def work(session: Session) -> tuple[int, int]:
            imported = import_statement(session, path=path, account=bank.code, actor=user.scope)
            matched = reconcile.auto_match(session, account=bank.code, actor=user.scope)
            return imported.new_lines, matched.matched_lines

        new, matched = await in_own_transaction(request, db, work)
    lang = reader_lang(request)
    done = f"{new} dòng mới, {matched} dòng đã khớp" if lang == "vi" else f"{new} new lines, {matched} matched"
    return back_to(f"/treasurer/bank?account={bank.code}&month={month}", done)


@router.post("/treasurer/bank/lines/{line_id}")
async def bank_line(
    line_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    request: Request,
    db: SessionDep,
    action: Annotated[str, Form(pattern="^(book|match)$")],
    month: Annotated[str, Form(pattern=r"^\d{4}-\d{2}$")],
    csrf: Annotated[str, Form(max_length=64)],
    account: Annotated[str, Form(max_length=200)] = "",
    transaction: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """One bank line by hand: book it (a fee, interest) or match it with a ledger transaction."""
    user = writer(request, csrf)
    bank = by_hand.account_of_line(db, user.scope, line_id)
    if action == "match" and not (transaction.strip().isdigit() and int(transaction) < 2**31):
        raise InvalidEntry("give the ledger transaction's number to match the line with")

    def work(session: Session) -> None:
        if action == "book":
            by_hand.book_line(session, line_id=line_id, account=account, description=reason, actor=user.scope)
        else:
            by_hand.match(
                session, account=bank.code, lines=[(line_id, None)], entries=[(int(transaction), None)],
                reason=reason, actor=user.scope,
            )  # fmt: skip

    await in_own_transaction(request, db, work)
    lang = reader_lang(request)
    return back_to(
        f"/treasurer/bank?account={bank.code}&month={month}", f"#{line_id} ✓" if lang == "vi" else f"#{line_id} done"
    )


@router.post("/treasurer/close")
async def close(
    request: Request,
    db: SessionDep,
    month: Annotated[str, Form(pattern=r"^\d{4}-\d{2}$")],
    csrf: Annotated[str, Form(max_length=64)],
) -> Response:
    user, home = writer_at_home(request, db, csrf)

    def work(session: Session) -> date:
        event = close_month(session, branch=home.code, month=Month.parse(month), actor=user.scope)
        assert event.closed_through is not None  # a close always closes through its month's last day
        return event.closed_through

    through = await in_own_transaction(request, db, work)
    lang = reader_lang(request)
    return back_to(
        "/treasurer", f"Đã khóa sổ đến {through:%d/%m/%Y}" if lang == "vi" else f"Closed through {through:%d %b %Y}"
    )
