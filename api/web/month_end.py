"""The treasurer's month end in the browser: the cash box, suspense, handovers, undoing, closing.

Every act that posts or closes shows what it will do and asks once (``confirm.html``), after
rehearsing the act (``api.deps.rehearsed``); the form comes back with ``confirmed=yes`` and only
then is the domain function called for good. The whole month end: docs/month-end.md.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.deps import SessionDep, in_own_transaction, off_the_loop, rehearsed
from api.web.guards import ask_first, back_to, home_branch, require_staff, writer, writer_at_home
from api.web.session import page, reader_lang, say, web_user
from ledger import cash, transactions
from ledger.access import rights
from ledger.closing import close_month, closing_preview
from ledger.disbursement.handover import handover_proposal, record_handovers
from ledger.errors import NotEnoughCash
from ledger.ground.words import side
from ledger.journal import reverse_by_hand
from ledger.money import format_vnd, parse_vnd
from ledger.months import Month, today_in_vietnam
from ledger.posting import Posted
from ledger.reconciliation.suspense import clear_suspense, refund_suspense, suspense_items
from ledger.told import explain
from ledger.transactions import view, visible

router = APIRouter(include_in_schema=False)
MONTH = r"^\d{4}-\d{2}$"


def _month(text: str | None) -> Month:
    return Month.parse(text) if text else Month.of(today_in_vietnam())


def _label(month: Month, lang: str) -> str:
    return f"{month.month:02d}/{month.year}" if lang == "vi" else str(month)


# --- the cash box -----------------------------------------------------------------------------------


@router.get("/treasurer/cash", response_class=HTMLResponse)
async def cash_page(
    request: Request,
    db: SessionDep,
    month: Annotated[str | None, Query(pattern=MONTH)] = None,
    amount: Annotated[int | None, Query(ge=1, le=10**13)] = None,
    direction: Annotated[str, Query(pattern="^(withdraw|deposit)$")] = "withdraw",
    done: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """The month's cash book, and the forms that move money between the bank and the cash box."""
    user = web_user(request)
    require_staff(user)
    home = home_branch(db, user, None)
    wanted = _month(month)
    book = await off_the_loop(db, cash.cash_book, db, user.scope, home.code, wanted)
    return page(
        request, "cash.html", reader_lang(request), user=user, branch=home, the_month=str(wanted), book=book,
        on_hand=cash.cash_on_hand(db, user.scope, home.code), done=done, proposed=amount, direction=direction,
        bank_accounts=rights.bank_accounts_seen_by(db, user.scope, [home.id]), may_write=user.scope.may_write(home.id),
        today=today_in_vietnam().isoformat(),
    )  # fmt: skip


@router.post("/treasurer/cash")
async def cash_move(
    request: Request,
    db: SessionDep,
    direction: Annotated[str, Form(pattern="^(withdraw|deposit)$")],
    bank_account: Annotated[str, Form(max_length=64)],
    amount: Annotated[str, Form(max_length=20)],
    on: Annotated[date, Form()],
    month: Annotated[str, Form(pattern=MONTH)],
    csrf: Annotated[str, Form(max_length=64)],
    note: Annotated[str, Form(max_length=200)] = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    user, home = writer_at_home(request, db, csrf)
    lang = reader_lang(request)
    money = parse_vnd(amount)
    move: cash.Direction = "withdraw" if direction == "withdraw" else "deposit"
    what = say(lang, f"cash_{move}_what", amount=format_vnd(money, lang), account=bank_account)

    def work(session: Session) -> object:
        return cash.move_cash(
            session, branch=home.code, bank_account=bank_account, amount=money, direction=move, on=on,
            actor=user.scope, note=note,
        )  # fmt: skip

    if confirmed != "yes":
        await rehearsed(request, db, work)
        fields = {"direction": move, "bank_account": bank_account, "amount": str(money), "on": on.isoformat(),
                  "month": month, "csrf": csrf, "note": note}  # fmt: skip
        held = cash.cash_on_hand(db, user.scope, home.code)
        after = held + money if move == "withdraw" else held - money
        lines = [what, say(lang, "cash_after", amount=format_vnd(after, lang))]
        return ask_first(request, lang, user, action="/treasurer/cash", title=what, lines=lines, fields=fields,
                         back=f"/treasurer/cash?month={month}", the_month=month)  # fmt: skip
    await in_own_transaction(request, db, work)
    return back_to(f"/treasurer/cash?month={month}", what)


# --- suspense -------------------------------------------------------------------------------------


@router.get("/treasurer/suspense", response_class=HTMLResponse)
async def suspense_page(
    request: Request,
    db: SessionDep,
    month: Annotated[str | None, Query(pattern=MONTH)] = None,
    done: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    user = web_user(request)
    require_staff(user)
    home = home_branch(db, user, None)
    scope = sorted(user.scope.branch_ids) if user.scope.branch_ids is not None else None
    items = suspense_items(db, scope)
    return page(
        request, "suspense.html", reader_lang(request), user=user, branch=home, the_month=str(_month(month)),
        items=items, total=sum(i.amount for i in items), today=today_in_vietnam(), done=done,
        may_write=user.scope.may_write(home.id),
    )  # fmt: skip


@router.post("/treasurer/suspense/{transaction_id}")
async def suspense_clear(
    transaction_id: Annotated[int, PathParam(ge=1, le=2**62)],
    request: Request,
    db: SessionDep,
    action: Annotated[str, Form(pattern="^(sponsor|fund|refund)$")],
    reason: Annotated[str, Form(max_length=300)],
    month: Annotated[str, Form(pattern=MONTH)],
    csrf: Annotated[str, Form(max_length=64)],
    sponsor: Annotated[str, Form(max_length=64)] = "",
    pledge: Annotated[str, Form(max_length=64)] = "",
    account: Annotated[str, Form(max_length=200)] = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    user = writer(request, csrf)
    lang = reader_lang(request)
    scope = sorted(user.scope.branch_ids) if user.scope.branch_ids is not None else None
    item = next((i for i in suspense_items(db, scope) if i.transaction_id == transaction_id), None)
    back = f"/treasurer/suspense?month={month}"
    if item is None:
        return back_to(back, say(lang, "suspense_gone"))
    money = format_vnd(item.amount, lang)
    if action == "sponsor":
        payer = rights.sponsor(db, user.scope, sponsor.strip())
        what = say(lang, "suspense_to_sponsor", amount=money, sponsor=payer.code, name=payer.name)
        what += f" ({pledge.strip()})" if pledge.strip() else ""
    elif action == "fund":
        what = say(lang, "suspense_to_fund", amount=money, account=account)
    else:
        what = say(lang, "suspense_refund", amount=money)

    def work(session: Session) -> int:
        if action == "sponsor":
            return clear_suspense(session, transaction_id=transaction_id, actor=user.scope, reason=reason,
                                  sponsor=sponsor.strip(), pledge=pledge.strip() or None)  # fmt: skip
        if action == "fund":
            return clear_suspense(session, transaction_id=transaction_id, actor=user.scope, reason=reason,
                                  account=account, on=today_in_vietnam())  # fmt: skip
        return refund_suspense(session, transaction_id=transaction_id, actor=user.scope, reason=reason,
                               on=today_in_vietnam())  # fmt: skip

    if confirmed != "yes":
        await rehearsed(request, db, work)
        fields = {"action": action, "reason": reason, "month": month, "csrf": csrf, "sponsor": sponsor,
                  "pledge": pledge, "account": account}  # fmt: skip
        return ask_first(request, lang, user, action=f"/treasurer/suspense/{transaction_id}", title=what,
                         lines=[what, side(item.description, lang), reason], fields=fields, back=back,
                         the_month=month)  # fmt: skip

    await in_own_transaction(request, db, work)
    return back_to(back, what)


# --- one transaction, and undoing it ---------------------------------------------------------------


@router.get("/treasurer/transactions", response_class=HTMLResponse)
async def transactions_page(
    request: Request,
    db: SessionDep,
    month: Annotated[str | None, Query(pattern=MONTH)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """The month's transactions in the treasurer's branches, newest first, 50 a page: each one opens on
    its own page, where it can be reversed."""
    user = web_user(request)
    require_staff(user)
    wanted = _month(month)
    found, more = transactions.page(
        db, user.scope, start=wanted.first_day, end=wanted.last_day, kind=kind or None, before_seq=before, limit=50
    )
    return page(
        request, "transactions.html", reader_lang(request), user=user, the_month=str(wanted), found=found,
        older=found[-1].seq if more and found else None, kind=kind or "",
    )  # fmt: skip


@router.get("/treasurer/transactions/{transaction_id}", response_class=HTMLResponse)
async def transaction_page(
    transaction_id: Annotated[int, PathParam(ge=1, le=2**62)],
    request: Request,
    db: SessionDep,
    month: Annotated[str | None, Query(pattern=MONTH)] = None,
    done: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    user = web_user(request)
    require_staff(user)
    txn = view(db, visible(db, user.scope, transaction_id))
    touched = rights.branches_of_transaction(db, transaction_id)
    return page(
        request, "transaction.html", reader_lang(request), user=user, txn=txn, the_month=str(_month(month)),
        done=done, may_write=all(user.scope.may_write(b) for b in touched),
    )  # fmt: skip


@router.post("/treasurer/transactions/{transaction_id}/reverse")
async def transaction_reverse(
    transaction_id: Annotated[int, PathParam(ge=1, le=2**62)],
    request: Request,
    db: SessionDep,
    reason: Annotated[str, Form(min_length=1, max_length=300)],
    month: Annotated[str, Form(pattern=MONTH)],
    csrf: Annotated[str, Form(max_length=64)],
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    user = writer(request, csrf)
    lang = reader_lang(request)
    txn = view(db, visible(db, user.scope, transaction_id))
    back = f"/treasurer/transactions/{transaction_id}?month={month}"

    def work(session: Session) -> Posted:
        return reverse_by_hand(session, transaction_id, actor=user.scope, reason=reason.strip())

    if confirmed != "yes":
        await rehearsed(request, db, work)
        moved = sum(p.amount for p in txn.postings if p.amount > 0)
        what = say(lang, "reverse_title", transaction=transaction_id, description=side(txn.description, lang))
        lines = [what, say(lang, "amount_line", amount=format_vnd(moved, lang)), reason]
        return ask_first(request, lang, user, action=f"/treasurer/transactions/{transaction_id}/reverse",
                         title=what, lines=lines, fields={"reason": reason, "month": month, "csrf": csrf},
                         back=back, the_month=month)  # fmt: skip
    posted = await in_own_transaction(request, db, work)
    done = say(lang, "reversed_done", transaction=posted.id)
    return back_to(back, done)


# --- handing over, closing --------------------------------------------------------------------------


@router.post("/treasurer/handovers")
async def handovers(
    request: Request,
    db: SessionDep,
    month: Annotated[str, Form(pattern=MONTH)],
    method: Annotated[str, Form(pattern="^(cash|bank)$")],
    csrf: Annotated[str, Form(max_length=64)],
    bank_account: Annotated[str, Form(max_length=64)] = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Every guardian of the branch received the month's money (cash at a meeting, or one bank transfer)."""
    user, home = writer_at_home(request, db, csrf)
    lang = reader_lang(request)
    wanted = Month.parse(month)

    def work(session: Session) -> int:
        done = record_handovers(
            session, month=wanted, on=today_in_vietnam(), actor=user.scope, branch=home.code,
            method=method, bank_account=bank_account or None if method == "bank" else None, cash_from=home.code,
        )  # fmt: skip
        return len(done)

    if confirmed != "yes":
        proposal = handover_proposal(db, actor=user.scope, branch=home.code, month=wanted, cash_from=home.code)
        how = say(lang, "handover_cash") if method == "cash" else say(lang, "handover_bank_from", account=bank_account)
        title = say(lang, "handover_title", month=_label(wanted, lang), count=len(proposal.waiting))
        lines = [f"{title}: {format_vnd(proposal.total, lang)} ({how})"]
        lines += [f"{code} {name}: {format_vnd(amount, lang)}" for code, name, amount in proposal.waiting[:200]]
        fields = {"month": month, "method": method, "csrf": csrf, "bank_account": bank_account}
        short = next(
            (NotEnoughCash(b, proposal.held.get(b, 0), need) for b, need in proposal.needed.items()
             if method == "cash" and need > proposal.held.get(b, 0)),
            None,
        )  # fmt: skip
        if short is None:
            await rehearsed(request, db, work)
        return ask_first(request, lang, user, action="/treasurer/handovers", title=title, lines=lines, fields=fields,
                         back=f"/treasurer?month={month}", the_month=month,
                         refusal=explain(short, lang) if short else None)  # fmt: skip

    count = await in_own_transaction(request, db, work)
    return back_to(f"/treasurer?month={month}", say(lang, "handovers_done", count=count))


@router.post("/treasurer/close")
async def close(
    request: Request,
    db: SessionDep,
    month: Annotated[str, Form(pattern=MONTH)],
    csrf: Annotated[str, Form(max_length=64)],
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    user, home = writer_at_home(request, db, csrf)
    lang = reader_lang(request)
    wanted = Month.parse(month)

    def work(session: Session) -> date:
        event = close_month(session, branch=home.code, month=wanted, actor=user.scope)
        assert event.closed_through is not None  # a close always closes through its month's last day
        return event.closed_through

    if confirmed != "yes":
        preview = closing_preview(db, branch=home.code, month=wanted, actor=user.scope)
        labels = ", ".join(_label(m, lang) for m in preview.months)
        title = say(lang, "close_title", month=_label(wanted, lang))
        lines = [say(lang, "close_months", count=len(preview.months), months=labels), say(lang, "close_final")]
        await rehearsed(request, db, work)
        warning = None
        if preview.earlier:
            warning = say(lang, "close_earlier", months=", ".join(_label(m, lang) for m in preview.earlier))
        return ask_first(request, lang, user, action="/treasurer/close", title=title, lines=lines,
                         fields={"month": month, "csrf": csrf}, back=f"/treasurer?month={month}", warning=warning,
                         the_month=month)  # fmt: skip

    through = await in_own_transaction(request, db, work)
    return back_to(
        f"/treasurer?month={month}",
        say(lang, "closed_through", day=f"{through:%d/%m/%Y}" if lang == "vi" else f"{through:%d %b %Y}"),
    )
