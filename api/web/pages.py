"""The pages: signing in, the sponsor's page, the treasurer's month, the auditor's view."""

from __future__ import annotations

import functools
import secrets
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from api import scoping
from api.deps import (
    SessionDep,
    in_own_transaction,
    in_read_transaction,
    off_the_loop,
    reading_only,
    rehearsed,
    signed_in_users,
    signing_in,
)
from api.web.guards import ask_first, home_branch, require_staff
from api.web.session import (
    COOKIE,
    LANG_COOKIE,
    PRE_CSRF_COOKIE,
    SignInRequired,
    csrf_for,
    csrf_ok,
    page,
    pre_form_secret,
    reader_lang,
    say,
    secure,
    web_user,
)
from ledger.access import rights, users
from ledger.accounts import branch_and_descendants
from ledger.backup.status import backup_status
from ledger.cash import cash_on_hand
from ledger.checkpoints import verify_since
from ledger.disbursement.handover import handover_proposal
from ledger.errors import LedgerError
from ledger.models import Branch
from ledger.money import format_vnd, parse_vnd
from ledger.months import Month, today_in_vietnam
from ledger.register.finding import find_people
from ledger.register.payments import record_payment
from ledger.register.pledges import pledged_in_month
from ledger.register.unusual import UnusualAmount, unusual_amount
from ledger.statements.document import Period, StatementRequest
from ledger.statements.issue import gather, gather_for
from ledger.statements.kept import kept_packs
from ledger.todo import ToDo, things_to_do
from pdf_templates.books import account_name, short_account
from pdf_templates.render import day_text

router = APIRouter(include_in_schema=False)
HOME = {"sponsor": "/sponsor", "treasurer": "/treasurer", "auditor": "/auditor", "admin": "/admin"}


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@router.get("/")
async def home(request: Request) -> Response:
    try:
        user = web_user(request)
    except SignInRequired:
        return RedirectResponse("/sign-in", status_code=303)
    return RedirectResponse(HOME[user.scope.role], status_code=303)


@router.get("/lang/{lang}")
async def choose_language(lang: str, next: str = "/") -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if lang in ("vi", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, next: str = "/") -> Response:
    secret = pre_form_secret(request)
    response = page(request, "sign_in.html", reader_lang(request), csrf=csrf_for(secret), next=_safe_next(next))
    response.set_cookie(PRE_CSRF_COOKIE, secret, httponly=True, samesite="strict", secure=secure(request))
    return response


@router.post("/sign-in")
async def sign_in(
    request: Request,
    db: SessionDep,
    name: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    lang = reader_lang(request)
    secret = request.cookies.get(PRE_CSRF_COOKIE, "")
    if not secret or not csrf_ok(csrf, secret):
        return page(request, "sign_in.html", lang, 400, error="bad_form", csrf=csrf_for(secret or "x"), next=next)
    try:
        issued = await signing_in(request, db, name, password)
    except users.TooManyAttempts:
        return page(request, "sign_in.html", lang, 429, error="too_many", csrf=csrf_for(secret), next=next)
    except LedgerError:
        return page(request, "sign_in.html", lang, 401, error="bad_sign_in", csrf=csrf_for(secret), next=next)
    response = RedirectResponse(_safe_next(next) if next != "/" else "/", status_code=303)
    response.set_cookie(COOKIE, issued.token, httponly=True, samesite="lax", secure=secure(request), max_age=1800)
    response.delete_cookie(PRE_CSRF_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, db: SessionDep, csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
    # Always revoked, form token or not: ending a session is never harmful, and a session left
    # alive behind a deleted cookie is.
    token = request.cookies.get(COOKIE)
    if token:
        users.sign_out(db, token)
        db.commit()
        signed_in_users(request).forget(token=token)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE)
    return response


# --- treasurers ----------------------------------------------------------------------------------


@router.get("/treasurer", response_class=HTMLResponse)
async def treasurer_page(
    request: Request,
    db: SessionDep,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    branch: Annotated[str | None, Query(max_length=64)] = None,
    done: Annotated[str | None, Query(max_length=300)] = None,
    txn: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    user = web_user(request)
    require_staff(user)
    lang = reader_lang(request)
    home = home_branch(db, user, branch)
    wanted = Month.parse(month) if month else Month.of(today_in_vietnam())
    document = await off_the_loop(
        db, gather, db, StatementRequest("treasurer", home.code, Period.month(wanted)), issued_on=today_in_vietnam()
    )
    scope_ids = [b.id for b in branch_and_descendants(db, home.code)]
    today = today_in_vietnam()
    todo = await off_the_loop(db, things_to_do, db, user.scope, home.code, wanted, today=today)
    accounts = rights.bank_accounts_seen_by(db, user.scope, scope_ids)
    due = await off_the_loop(db, pledged_in_month, db, wanted, sponsor_branch_ids=scope_ids)
    return page(
        request, "treasurer.html", lang, user=user, branch=home, the_month=str(wanted), body=document["body"],
        todo=todo, link=todo_link, bank_accounts=accounts, csrf=user.csrf,
        done=done, today=today, due=due, may_write=user.scope.may_write(home.id),
        form_nonce=secrets.token_urlsafe(16), backup=backup_status(db), txn=txn,
        proposal=handover_proposal(db, actor=user.scope, branch=home.code, month=wanted, cash_from=home.code),
        on_hand=cash_on_hand(db, user.scope, home.code), close_default=str(min(wanted, Month.of(today).previous())),
    )  # fmt: skip


def todo_link(item: ToDo, month: str) -> str | None:
    """Where the treasurer deals with a thing on her list."""
    subject = quote(item.subject)
    if item.kind == "unreconciled":
        account, _, of_month = item.subject.partition(":")
        return f"/treasurer/bank?account={quote(account)}&month={of_month}"
    return {
        "suspense": f"/treasurer/suspense?month={month}#s{subject}",
        "bank-lines": f"/treasurer/bank?account={subject}",
        "run": f"/treasurer/run?month={month}",
        "approve": f"/treasurer/run?month={month}",
        "shortfalls": f"/treasurer/run?month={month}#decisions",
        "handovers": f"/treasurer?month={month}#handover",
        "cash": f"/treasurer/cash?month={month}&amount={item.amount or ''}",
        "close": f"/treasurer?month={month}#close",
    }.get(item.kind)


@router.post("/treasurer/payments")
async def treasurer_payment(
    request: Request,
    db: SessionDep,
    sponsor: Annotated[str, Form(max_length=64)],
    amount: Annotated[str, Form(max_length=20)],
    paid_on: Annotated[date, Form()],
    method: Annotated[str, Form(pattern="^(bank|cash)$")],
    csrf: Annotated[str, Form(max_length=64)],
    bank_account: Annotated[str, Form(max_length=64)] = "",
    reference: Annotated[str, Form(max_length=200)] = "",
    form_nonce: Annotated[str, Form(min_length=8, max_length=64)] = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Record a payment once the treasurer has seen what it will record (twice for an unusual amount);
    the form's one-time nonce makes a double click record it once, and two real receipts alike (same
    sponsor, amount and day) are two forms, so two payments."""
    user = web_user(request)
    lang = reader_lang(request)
    if not csrf_ok(csrf, user.token):
        return page(request, "message.html", lang, 400, user=user, message="bad_form")
    money = parse_vnd(amount)
    nonce = form_nonce or secrets.token_urlsafe(16)  # a form from before nonces: never a replay

    def work(session: Session) -> tuple[int, str, int]:
        payment = record_payment(
            session, sponsor=sponsor.strip(), amount=money, paid_on=paid_on, method=method,
            actor=user.scope, bank_account=bank_account or None if method == "bank" else None,
            reference=reference, idempotency_key=f"web-payment:{user.scope.user}:{nonce}",
        )  # fmt: skip
        return payment.amount, rights.sponsor(session, user.scope, sponsor.strip()).name, payment.transaction_id

    if confirmed != "yes":
        await rehearsed(request, db, work)
        payer = rights.sponsor(db, user.scope, sponsor.strip())
        unusual = unusual_amount(db, user.scope, sponsor=payer.code, amount=money, on=paid_on)
        how = t_method(method, bank_account, lang)
        title = say(lang, "payment_title", amount=format_vnd(money, lang), sponsor=payer.code, name=payer.name)
        lines = [title, f"{day_text(lang, paid_on.isoformat())} · {how}" + (f" · {reference}" if reference else "")]
        fields = {"sponsor": payer.code, "amount": str(money), "paid_on": paid_on.isoformat(), "method": method,
                  "csrf": csrf, "bank_account": bank_account, "reference": reference, "form_nonce": nonce}  # fmt: skip
        return ask_first(request, lang, user, action="/treasurer/payments", title=title, lines=lines, fields=fields,
                         back="/treasurer", warning=unusual_text(unusual, lang) if unusual else None,
                         the_month=str(Month.of(paid_on)))  # fmt: skip

    paid, payer_name, transaction_id = await in_own_transaction(request, db, work)
    done = say(lang, "payment_done", amount=format_vnd(paid, lang), name=payer_name, transaction=transaction_id)
    return RedirectResponse(f"/treasurer?done={quote(done)}&txn={transaction_id}", status_code=303)


def t_method(method: str, bank_account: str, lang: str) -> str:
    return say(lang, "method_cash") if method == "cash" else say(lang, "method_bank_into", account=bank_account)


def unusual_text(unusual: UnusualAmount, lang: str) -> str:
    """Why an amount is asked about again, with the figures it was measured against."""
    amount = format_vnd(unusual.amount, lang)
    if unusual.beyond_pledges:
        return say(lang, "unusual_pledges", amount=amount, monthly=format_vnd(unusual.monthly, lang))
    return say(lang, "unusual_ceiling", amount=amount, ceiling=format_vnd(unusual.ceiling, lang))


@router.get("/treasurer/search", response_class=HTMLResponse)
async def search(
    request: Request,
    db: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> Response:
    user = web_user(request)
    require_staff(user)
    found = await in_read_transaction(request, db, lambda s: find_people(s, user.scope, q, page=page_number))
    return page(
        request, "search.html", reader_lang(request), user=user, q=q, found=found,
        the_month=str(Month.of(today_in_vietnam())),
    )  # fmt: skip


# --- auditors ----------------------------------------------------------------------------------


@router.get("/auditor", response_class=HTMLResponse)
async def auditor_page(
    request: Request,
    db: SessionDep,
    branch: Annotated[str | None, Query(max_length=64)] = None,
    start: Annotated[str | None, Query(alias="from", pattern=r"^\d{4}-\d{2}$")] = None,
    end: Annotated[str | None, Query(alias="to", pattern=r"^\d{4}-\d{2}$")] = None,
) -> Response:
    user = web_user(request)
    require_staff(user)
    lang = reader_lang(request)
    home = home_branch(db, user, branch)
    this = Month.of(today_in_vietnam())
    period = Period(Month.parse(start) if start else this.previous(), Month.parse(end) if end else this.previous())
    wanted = StatementRequest("trial-balance", home.code, period)
    book = await reading_only(
        request, db, lambda s: gather_for(s, wanted, actor=user.scope, issued_on=today_in_vietnam())
    )
    # What came after the last verified checkpoint, not the whole history again (ledger.checkpoints).
    # The check reads the primary: it is the primary's chain an auditor vouches for.
    verified = await in_own_transaction(request, db, lambda s: verify_since(s, by=user.scope.user))
    check = verified.report
    visible = [b for b in db.scalars(select(Branch).order_by(col(Branch.code))) if user.scope.sees_branch(b.id)]
    kept = kept_packs(db, user.scope, [b.code for b in visible])
    return page(
        request, "auditor.html", lang, user=user, branch=home, branches=visible, period=period, kept=kept,
        book=book["body"], check=check, verified=verified, account_name=functools.partial(account_name, lang),
    )  # fmt: skip


@router.get("/auditor/account", response_class=HTMLResponse)
async def account_page(
    request: Request,
    db: SessionDep,
    branch: Annotated[str, Query(max_length=64)],
    code: Annotated[str, Query(max_length=200)],
    start: Annotated[str, Query(alias="from", pattern=r"^\d{4}-\d{2}$")],
    end: Annotated[str, Query(alias="to", pattern=r"^\d{4}-\d{2}$")],
) -> Response:
    """One account's sổ chi tiết for the period: opening, each line with voucher and contra, running balance."""
    user = web_user(request)
    require_staff(user)
    found = scoping.branch(db, user.scope, branch)
    period = Period(Month.parse(start), Month.parse(end))
    wanted = StatementRequest("general-ledger", found.code, period, account=code)
    book = await reading_only(
        request, db, lambda s: gather_for(s, wanted, actor=user.scope, issued_on=today_in_vietnam())
    )
    lang = reader_lang(request)
    return page(
        request, "account.html", lang, user=user, branch=found, code=code, period=period, books=book["body"]["books"],
        account_name=functools.partial(account_name, lang), short_account=functools.partial(short_account, lang),
    )  # fmt: skip
