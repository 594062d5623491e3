"""The sponsor's own page: what she pledged and paid, what she owes and why, how to pay, her choices."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.deps import SessionDep, in_own_transaction, off_the_loop
from api.issuing import issue_pdf
from api.web.session import WebUser, csrf_ok, page, reader_lang, web_user
from ledger.access import rights
from ledger.access.scope import Forbidden
from ledger.errors import InvalidEntry, NotFound
from ledger.months import Month, today_in_vietnam
from ledger.people.sponsor import SponsorRecord, sponsor_record
from ledger.public_account import branch_path, set_anonymous
from ledger.register.models import Sponsor
from ledger.register.preferences import set_preferences
from ledger.statements.document import Period, StatementRequest
from ledger.statements.issue import gather
from ledger.statements.kept import kept_for_sponsor
from ledger.told import explain
from pdf_templates.render import qr_png

router = APIRouter(include_in_schema=False)


def _herself(request: Request, db: Session) -> tuple[WebUser, Sponsor]:
    user = web_user(request)
    return user, rights.own_sponsor(db, user.scope)


async def _this_year(db: Session, sponsor: Sponsor) -> dict[str, object]:
    today = today_in_vietnam()
    wanted = StatementRequest("sponsor", sponsor.code, Period(Month(today.year, 1), Month.of(today)))
    document = await off_the_loop(db, gather, db, wanted, issued_on=today)
    body: dict[str, object] = document["body"]
    return body


@router.get("/sponsor", response_class=HTMLResponse)
async def sponsor_page(request: Request, db: SessionDep, problem: str = "") -> Response:
    user, sponsor = _herself(request, db)
    today = today_in_vietnam()
    body = await _this_year(db, sponsor)
    record: SponsorRecord = await off_the_loop(db, sponsor_record, db, user.scope, sponsor.code, today=today)
    return page(
        request, "sponsor.html", reader_lang(request), user=user, body=body, r=record, stored=record.statements,
        this_month=str(Month.of(today)), last_month=str(Month.of(today).previous()), year=today.year,
        anonymous=sponsor.anonymous, public_branch=branch_path(db, sponsor.branch_id)[0], problem=problem,
    )  # fmt: skip


@router.get("/sponsor/vietqr.png")
async def sponsor_vietqr(request: Request, db: SessionDep) -> Response:
    """The VietQR of what she owes now and next month, as a picture to keep or share with her bank app."""
    _, sponsor = _herself(request, db)
    body = await _this_year(db, sponsor)
    upcoming = body["next"]
    assert isinstance(upcoming, dict)
    if not upcoming.get("vietqr"):
        raise NotFound("nothing is due: there is no code to pay with")
    return Response(
        qr_png(upcoming["vietqr"]),
        media_type="image/png",
        headers={"Content-Disposition": f'attachment; filename="vietqr-{upcoming["reference"]}.png"'},
    )


@router.post("/sponsor/preferences")
async def sponsor_preferences(
    request: Request,
    db: SessionDep,
    language: Annotated[str, Form(max_length=2)],
    csrf: Annotated[str, Form(max_length=64)],
    email: Annotated[str, Form(max_length=200)] = "",
    reminders: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    user, sponsor = _herself(request, db)
    if not csrf_ok(csrf, user.token):
        raise Forbidden("this form is a sponsor's own")

    def work(session: Session) -> Sponsor:
        return set_preferences(session, user.scope, sponsor=sponsor.code, language=language, email=email,
                               reminders=reminders == "yes")  # fmt: skip

    try:
        await in_own_transaction(request, db, work)
    except InvalidEntry as refused:
        told = explain(refused, reader_lang(request)) or str(refused)
        return RedirectResponse(f"/sponsor?problem={quote(told[:200])}#preferences", status_code=303)
    response = RedirectResponse("/sponsor?saved=yes#preferences", status_code=303)
    response.set_cookie("lang", language, max_age=365 * 86400, samesite="lax")
    return response


@router.post("/sponsor/privacy")
async def sponsor_privacy(
    request: Request, db: SessionDep, anonymous: Annotated[str, Form(max_length=5)], csrf: Annotated[str, Form()] = ""
) -> Response:
    """The sponsor's own choice: named in the public account, or counted among the anonymous."""
    user, sponsor = _herself(request, db)
    if not csrf_ok(csrf, user.token):
        raise Forbidden("this form is a sponsor's own")
    await in_own_transaction(
        request, db, lambda s: set_anonymous(s, actor=user.scope, sponsor=sponsor.code, anonymous=anonymous == "true")
    )
    return RedirectResponse("/sponsor#privacy", status_code=303)


@router.get("/sponsor/statement.pdf")
async def sponsor_statement(
    request: Request,
    db: SessionDep,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    user, sponsor = _herself(request, db)
    period = Period.year(year) if year else Period.month(Month.parse(month or str(Month.of(today_in_vietnam()))))
    wanted = StatementRequest("sponsor", sponsor.code, period)
    return await issue_pdf(request, db, user.scope, wanted, reader_lang(request))


@router.get("/sponsor/stored/{statement_id}.pdf")
async def stored_statement(
    statement_id: Annotated[int, Path(ge=1, le=2**31 - 1)], request: Request, db: SessionDep
) -> Response:
    """A statement the scheduler issued and kept, exactly as it was sent."""
    found = kept_for_sponsor(db, web_user(request).scope, statement_id)
    return Response(
        found.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )
