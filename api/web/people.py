"""A child's page and a sponsor's, for the staff of their branches, with the forms that change them."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.deps import SessionDep, in_own_transaction, in_read_transaction, rehearsed
from api.web.guards import ask_first, require_staff, writer
from api.web.session import WebUser, page, reader_lang, say, web_user
from ledger.errors import EntryRefused, InvalidEntry
from ledger.ground.programs import CATEGORIES
from ledger.money import format_vnd, parse_vnd
from ledger.months import Month, today_in_vietnam
from ledger.people.child import child_record, handover_slip
from ledger.people.sponsor import sponsor_record
from ledger.register.categories import change_categories
from ledger.register.pledges import change_pledge
from ledger.told import explain, month_text
from pdf_templates.render import day_text

router = APIRouter(include_in_schema=False)
Code = Annotated[str, PathParam(max_length=64)]


@router.get("/register/children/{code}", response_class=HTMLResponse)
async def child_page(request: Request, db: SessionDep, code: Code) -> Response:
    user = web_user(request)
    require_staff(user)
    return await _child_page(request, db, user, code)


async def _child_page(
    request: Request, db: Session, user: WebUser, code: str, *, status: int = 200, problem: dict[str, str] | None = None
) -> Response:
    today = today_in_vietnam()
    record = await in_read_transaction(request, db, lambda s: child_record(s, user.scope, code, today=today))
    return page(
        request, "child.html", reader_lang(request), status, user=user, r=record, categories=CATEGORIES,
        today=today, the_month=str(Month.of(today)), problem=problem or {},
    )  # fmt: skip


@router.post("/register/children/{code}/categories", response_class=HTMLResponse)
async def categories_form(
    request: Request,
    db: SessionDep,
    code: Code,
    from_date: Annotated[date, Form()],
    csrf: Annotated[str, Form(max_length=64)],
    categories: Annotated[list[str], Form()] = [],  # noqa: B006  (FastAPI reads a form's repeated field so)
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """The child's categories from a day on, said back before they are recorded (they decide money)."""
    user = writer(request, csrf)
    lang = reader_lang(request)
    today = today_in_vietnam()

    def work(session: Session) -> bool:
        return change_categories(session, user.scope, child=code, categories=categories, from_date=from_date,
                                 today=today)  # fmt: skip

    try:
        if confirmed != "yes":
            await rehearsed(request, db, work)
            named = ", ".join(say(lang, f"category.{c}") for c in categories) or say(lang, "no_category")
            title = say(lang, "categories_title", child=code, day=day_text(lang, from_date.isoformat()))
            return ask_first(
                request, lang, user, action=f"/register/children/{quote(code)}/categories", title=title,
                lines=[named, say(lang, "categories_money")],
                fields={"from_date": from_date.isoformat(), "csrf": csrf, "categories": categories},
                back=f"/register/children/{quote(code)}", the_month=str(Month.of(today)),
            )  # fmt: skip
        changed = await in_own_transaction(request, db, work)
    except InvalidEntry as refused:
        return await _refused(request, db, user, code, "categories", refused)
    done = say(lang, "categories_done" if changed else "categories_same")
    return RedirectResponse(f"/register/children/{quote(code)}?done={quote(done)}#categories", status_code=303)


@router.post("/register/pledges/{pledge}/change", response_class=HTMLResponse)
async def pledge_form(
    request: Request,
    db: SessionDep,
    pledge: Code,
    child: Annotated[str, Form(max_length=64)],
    kind: Annotated[str, Form(max_length=8)],
    from_month: Annotated[str, Form(max_length=7)],
    csrf: Annotated[str, Form(max_length=64)],
    until_month: Annotated[str, Form(max_length=7)] = "",
    amount: Annotated[str, Form(max_length=20)] = "",
    to_child: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Pause, change the amount of, move or end a pledge from a month: said back first, it changes money ahead."""
    user = writer(request, csrf)
    lang = reader_lang(request)
    today = today_in_vietnam()
    try:
        first = _month(from_month, "from_month")
        last = _month(until_month, "until_month") if until_month else None
        money = parse_vnd(amount) if kind == "amount" else None
    except InvalidEntry as refused:
        return await _refused(request, db, user, child, f"pledge:{pledge}", refused)

    def work(session: Session) -> None:
        change_pledge(session, pledge=pledge, kind=kind, from_month=first, actor=user.scope, reason=reason,
                      until_month=last, amount=money, child=to_child.strip() or None)  # fmt: skip

    try:
        if confirmed != "yes":
            await rehearsed(request, db, work)
            title = say(lang, f"pledge_change_title.{kind}", pledge=pledge, month=month_text(first, lang),
                        until=month_text(last, lang) if last else "",
                        amount=format_vnd(money, lang) if money else "", child=to_child)  # fmt: skip
            fields = {"child": child, "kind": kind, "from_month": from_month, "until_month": until_month,
                      "amount": amount, "to_child": to_child, "reason": reason, "csrf": csrf}  # fmt: skip
            return ask_first(
                request, lang, user, action=f"/register/pledges/{quote(pledge)}/change", title=title,
                lines=[say(lang, "reason") + ": " + reason if reason else say(lang, "pledge_change_money")],
                fields=fields, back=f"/register/children/{quote(child)}#pledges", the_month=str(Month.of(today)),
            )  # fmt: skip
        await in_own_transaction(request, db, work)
    except InvalidEntry as refused:
        return await _refused(request, db, user, child, f"pledge:{pledge}", refused)
    done = say(lang, "pledge_change_done", pledge=pledge)
    return RedirectResponse(f"/register/children/{quote(child)}?done={quote(done)}#pledges", status_code=303)


def _month(text: str, field: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError:
        raise EntryRefused("month-unreadable", f"{text!r} is not a month", field=field, text=text) from None


async def _refused(
    request: Request, db: Session, user: WebUser, code: str, form: str, refused: InvalidEntry
) -> Response:
    """The page again, the refusal beside the form and the field it is about."""
    lang = reader_lang(request)
    text = explain(refused, lang) or str(refused)
    field = refused.field if isinstance(refused, EntryRefused) else ""
    return await _child_page(request, db, user, code, status=422, problem={"form": form, "field": field, "text": text})


@router.get("/register/children/{code}/slips/{evidence_id}")
async def slip(
    request: Request, db: SessionDep, code: Code, evidence_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)]
) -> Response:
    """The signed slip of one of the child's handovers, as it was uploaded."""
    user = web_user(request)
    require_staff(user)
    found = handover_slip(db, user.scope, code, evidence_id)
    return Response(
        found.content,
        media_type=found.content_type,
        headers={"Content-Disposition": f'attachment; filename="{quote(found.filename)}"'},
    )


@router.get("/register/sponsors/{code}", response_class=HTMLResponse)
async def sponsor_page(request: Request, db: SessionDep, code: Code) -> Response:
    user = web_user(request)
    require_staff(user)
    today = today_in_vietnam()
    record = await in_read_transaction(request, db, lambda s: sponsor_record(s, user.scope, code, today=today))
    return page(
        request, "sponsor_record.html", reader_lang(request), user=user, r=record, today=today,
        the_month=str(Month.of(today)),
    )  # fmt: skip
