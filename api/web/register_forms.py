"""Forms that add or correct one child, sponsor, pledge or enrolment, and a child's consent withdrawn.

Each form is one row of the import (``ledger.people.forms``): checked as a file would be, refused field
by field in the reader's language, said back before it is recorded (it changes whom money follows).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.deps import SessionDep, in_own_transaction, off_the_loop, rehearsed
from api.web.guards import ask_first, home_branch, require_staff, writer
from api.web.session import WebUser, page, reader_lang, say, web_user
from ledger.errors import InvalidEntry
from ledger.ground.programs import CATEGORIES
from ledger.months import Month, today_in_vietnam
from ledger.people.forms import (
    FORM_KINDS,
    current_row,
    form_fields,
    record_from_form,
    required_fields,
    suggested_code,
)  # fmt: skip
from ledger.register import consent
from ledger.register.importing import ImportRejected
from ledger.told import explain
from pdf_templates.render import day_text

router = APIRouter(include_in_schema=False)
Kind = Annotated[str, Path(pattern="^(" + "|".join(FORM_KINDS) + ")$")]
DATES = {"date_of_birth", "in_school_until", "health_card_valid_until", "consent_guardian_on", "consent_child_on",
         "decision_date", "end_date"}  # fmt: skip
MONTHS = {"start_month", "end_month"}
CHOICES = {
    "gender": ("F", "M"), "kind": ("individual", "organisation"), "language": ("vi", "en"),
    "frequency": ("monthly", "quarterly", "yearly"), "program": ("social-allowance",),
}  # fmt: skip
NEW_DEFAULTS = {"frequency": "monthly", "language": "vi", "kind": "individual", "program": "social-allowance"}
KEYS = {"children": "code", "sponsors": "code", "pledges": "code", "enrolments": "decision_number"}


@router.get("/register/forms/{kind}", response_class=HTMLResponse)
async def register_form(
    request: Request,
    db: SessionDep,
    kind: Kind,
    code: Annotated[str, Query(max_length=64)] = "",
    child: Annotated[str, Query(max_length=64)] = "",
    sponsor: Annotated[str, Query(max_length=64)] = "",
    program: Annotated[str, Query(max_length=64)] = "",
    decision: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """A new record's form (with what the page it came from already knows), or an existing one's to correct."""
    user = web_user(request)
    require_staff(user)
    if code:  # correcting a record
        values = await off_the_loop(db, current_row, db, user.scope, kind, code)
    elif kind == "enrolments" and child and decision:  # an enrolment's end, or its decision corrected
        values = await off_the_loop(db, current_row, db, user.scope, kind, child, program=program, decision=decision)
    else:  # a new one, with what the page it came from knows
        known = {"child": child, "sponsor": sponsor, "branch": home_branch(db, user, None).code,
                 "code": suggested_code(db, kind), **NEW_DEFAULTS}  # fmt: skip
        values = {name: known[name] for name in form_fields(kind) if known.get(name)}
    editing = bool(code) or bool(values.get("decision_number"))
    return _form(request, user, kind, values, editing)


@router.post("/register/forms/{kind}", response_class=HTMLResponse)
async def register_form_sent(request: Request, db: SessionDep, kind: Kind) -> Response:
    form = await request.form(max_fields=100)
    user = writer(request, str(form.get("csrf", "")))
    lang = reader_lang(request)
    fields = form_fields(kind)
    cells = {name: str(form.get(name, "")) for name in fields}
    if "categories" in fields and "categories" not in form:
        cells["categories"] = ""
    if form.getlist("category"):
        cells["categories"] = ";".join(str(c) for c in form.getlist("category") if str(c) in CATEGORIES)
    editing = form.get("editing") == "yes"
    today = today_in_vietnam()

    def work(session: Session) -> object:
        return record_from_form(session, user.scope, kind, cells, today=today)

    try:
        if form.get("confirmed") != "yes":
            report = await rehearsed(request, db, work)
            title = say(lang, f"form_title.{kind}.{'edit' if editing else 'new'}") + f": {cells[KEYS[kind]]}"
            shown = [f"{say(lang, 'field.' + n)}: {_shown(lang, n, cells[n])}" for n in fields if cells.get(n)]
            if getattr(report, "unchanged", 0):
                shown.insert(0, say(lang, "form_nothing_changes"))
            return ask_first(
                request, lang, user, action=f"/register/forms/{kind}", title=title, lines=shown,
                fields={**cells, "csrf": str(form.get("csrf", "")), "editing": "yes" if editing else ""},
                back=_back(kind, cells), the_month=str(Month.of(today)),
            )  # fmt: skip
        await in_own_transaction(request, db, work)
    except ImportRejected as rejected:
        problems = {e.column: (e.vi if lang == "vi" else e.en) for e in rejected.errors}
        return _form(request, user, kind, cells, editing, problems, 422)
    except InvalidEntry as refused:
        return _form(request, user, kind, cells, editing, {"": explain(refused, lang) or str(refused)}, 422)
    done = say(lang, "form_done", code=cells[KEYS[kind]])
    target = _back(kind, cells)
    return RedirectResponse(f"{target}{'&' if '?' in target else '?'}done={quote(done)}", status_code=303)


def _back(kind: str, cells: dict[str, str]) -> str:
    if kind == "sponsors":
        return f"/register/sponsors/{quote(cells.get('code', ''))}"
    if kind == "children":
        return f"/register/children/{quote(cells.get('code', ''))}"
    return f"/register/children/{quote(cells.get('child', ''))}"


def _shown(lang: str, name: str, value: str) -> str:
    if name in DATES:
        try:
            return day_text(lang, date.fromisoformat(value).isoformat())
        except ValueError:
            return value
    return value


def _form(
    request: Request, user: WebUser, kind: str, values: dict[str, str], editing: bool,
    problems: dict[str, str] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    return page(
        request, "register_form.html", reader_lang(request), status, user=user, kind=kind, fields=form_fields(kind),
        required=required_fields(kind), values=values, editing=editing, problems=problems or {}, key=KEYS[kind],
        dates=DATES, months=MONTHS, choices=CHOICES, categories=CATEGORIES,
        the_month=str(Month.of(today_in_vietnam())),
    )  # fmt: skip


@router.post("/register/children/{code}/consent-withdrawal", response_class=HTMLResponse)
async def consent_withdrawal(
    request: Request,
    db: SessionDep,
    code: Annotated[str, Path(max_length=64)],
    on: Annotated[date, Form()],
    csrf: Annotated[str, Form(max_length=64)],
    reason: Annotated[str, Form(max_length=500)] = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """The guardian withdraws consent: the child's personal data is anonymised from then on, for good."""
    user = writer(request, csrf)
    lang = reader_lang(request)

    def work(session: Session) -> object:
        return consent.withdraw_consent(session, child=code, on=on, actor=user.scope, reason=reason)

    if confirmed != "yes":
        await rehearsed(request, db, work)
        return ask_first(
            request, lang, user, action=f"/register/children/{quote(code)}/consent-withdrawal",
            title=say(lang, "consent_withdraw_title", child=code, day=day_text(lang, on.isoformat())),
            lines=[say(lang, "consent_withdraw_means")], fields={"on": on.isoformat(), "reason": reason, "csrf": csrf},
            back=f"/register/children/{quote(code)}", warning=say(lang, "consent_withdraw_warning"),
            the_month=str(Month.of(today_in_vietnam())),
        )  # fmt: skip
    await in_own_transaction(request, db, work)
    done = say(lang, "consent_withdrawn_done")
    return RedirectResponse(f"/register/children/{quote(code)}?done={quote(done)}", status_code=303)
