"""The bank in the browser: a statement imported and matched, a line resolved by hand, and the
columns of a statement no known bank wrote named once per account (``ledger.reconciliation.mapping``)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api import scoping
from api.deps import SessionDep, in_own_transaction, off_the_loop, rehearsed
from api.web.guards import ask_first, back_to, require_staff, writer
from api.web.session import WebUser, page, reader_lang, say, web_user
from api.web.work import saved
from ledger.access import rights
from ledger.errors import InvalidEntry
from ledger.money import format_vnd, parse_vnd
from ledger.months import Month, today_in_vietnam
from ledger.reconciliation import by_hand, mapping, reconcile
from ledger.reconciliation.candidates import candidates_for
from ledger.reconciliation.formats import StatementNotRecognised
from ledger.reconciliation.importing import import_statement
from ledger.reconciliation.reconcile import open_lines
from ledger.reconciliation.report import report_for
from ledger.reconciliation.suspense import suspense_items

router = APIRouter(include_in_schema=False)
PAGE = 50
MONTH = r"^\d{4}-\d{2}$"


@router.get("/treasurer/bank", response_class=HTMLResponse)
async def bank_page(
    request: Request,
    db: SessionDep,
    account: Annotated[str | None, Query(max_length=64)] = None,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    done: Annotated[str | None, Query(max_length=300)] = None,
    every: Annotated[bool, Query(alias="all")] = False,
) -> Response:
    """A bank account's month: the report, what is unmatched grouped by why with the total of each
    group (the first 50 of each unless all are asked for), and what waits in suspense."""
    user = web_user(request)
    require_staff(user)
    accounts = rights.bank_accounts_seen_by(db, user.scope)
    chosen = scoping.bank_account(db, user.scope, account) if account else (accounts[0] if accounts else None)
    wanted = Month.parse(month) if month else Month.of(today_in_vietnam()).previous()
    report = await off_the_loop(db, report_for, db, chosen, wanted) if chosen is not None else None
    waiting = suspense_items(db, [chosen.branch_id]) if chosen is not None else []
    return page(
        request, "bank.html", reader_lang(request), user=user, accounts=accounts, chosen=chosen,
        the_month=str(wanted), report=report, done=done, shown=None if every else PAGE,
        in_suspense=sum(i.amount for i in waiting), suspense_count=len(waiting),
    )  # fmt: skip


@router.post("/treasurer/bank/statement")
async def bank_statement(
    request: Request,
    db: SessionDep,
    file: UploadFile,
    account: Annotated[str, Form(max_length=64)],
    month: Annotated[str, Form(pattern=MONTH)],
    csrf: Annotated[str, Form(max_length=64)],
) -> Response:
    """Import the statement and match it at once; what is left is on the page. A file of a bank the
    product does not know goes to the page that names its columns."""
    user = writer(request, csrf)
    bank = scoping.writable_bank_account(db, user.scope, account)
    with tempfile.TemporaryDirectory() as folder:
        path = await saved(file, folder, (".csv", ".xlsx", ".xml"))
        try:
            new, matched = await in_own_transaction(request, db, lambda s: _import_and_match(s, path, bank.code, user))
        except StatementNotRecognised:
            content = path.read_bytes()
            kept = await in_own_transaction(
                request, db, lambda s: mapping.keep_pending(
                    s, actor=user.scope, account=bank.code, filename=path.name, content=content
                ),
            )  # fmt: skip
            return RedirectResponse(f"/treasurer/bank/columns/{kept}?month={month}", status_code=303)
    lang = reader_lang(request)
    done = say(lang, "statement_done", new=new, matched=matched)
    return back_to(f"/treasurer/bank?account={bank.code}&month={month}", done)


def _import_and_match(
    session: Session, path: Path, account: str, user: WebUser, named: str | None = None
) -> tuple[int, int]:
    imported = import_statement(session, path=path, account=account, actor=user.scope, mapping=named)
    matched = reconcile.auto_match(session, account=account, actor=user.scope)
    return imported.new_lines, matched.matched_lines


@router.get("/treasurer/bank/columns/{pending_id}", response_class=HTMLResponse)
async def columns_page(
    pending_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    request: Request,
    db: SessionDep,
    month: Annotated[str | None, Query(pattern=MONTH)] = None,
) -> Response:
    """The file's first rows, and a choice of its own headers for each thing the import needs."""
    user = web_user(request)
    require_staff(user)
    kept, bank = mapping.pending(db, user.scope, pending_id)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / kept.filename
        path.write_bytes(kept.content)
        table = mapping.preview(path)
    return page(
        request, "columns.html", reader_lang(request), user=user, kept=kept, bank=bank, table=table,
        the_month=month or str(Month.of(today_in_vietnam())), roles=mapping.ROLES,
    )  # fmt: skip


@router.post("/treasurer/bank/columns/{pending_id}")
async def columns_named(
    pending_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    request: Request,
    db: SessionDep,
    month: Annotated[str, Form(pattern=MONTH)],
    csrf: Annotated[str, Form(max_length=64)],
    date: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=200)] = "",
    amount: Annotated[str, Form(max_length=200)] = "",
    debit: Annotated[str, Form(max_length=200)] = "",
    credit: Annotated[str, Form(max_length=200)] = "",
    balance: Annotated[str, Form(max_length=200)] = "",
    reference: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Read the kept file with the columns she named, remember them for the account, import and match."""
    user = writer(request, csrf)
    kept, bank = mapping.pending(db, user.scope, pending_id)
    named = mapping.as_mapping({"date": date, "description": description, "amount": amount, "debit": debit,
                                "credit": credit, "balance": balance, "reference": reference})  # fmt: skip
    filename, content = kept.filename, kept.content
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / filename
        path.write_bytes(content)

        def work(session: Session) -> tuple[int, int]:
            found = _import_and_match(session, path, bank.code, user, named)
            mapping.remember(session, actor=user.scope, account=bank.code, mapping=named)
            mapping.drop_pending(session, pending_id)
            return found

        new, matched = await in_own_transaction(request, db, work)
    lang = reader_lang(request)
    done = say(lang, "statement_done_named", new=new, matched=matched, account=bank.code)
    return back_to(f"/treasurer/bank?account={bank.code}&month={month}", done)


@router.get("/treasurer/bank/lines/{line_id}", response_class=HTMLResponse)
async def line_page(
    line_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    request: Request,
    db: SessionDep,
    month: Annotated[str | None, Query(pattern=MONTH)] = None,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """One bank line and the transactions it could be: pick them (several for a batch, part of the line
    for a split) instead of typing numbers."""
    user = web_user(request)
    require_staff(user)
    bank = by_hand.account_of_line(db, user.scope, line_id)
    line, found = candidates_for(db, user.scope, line_id, search=q)
    return page(
        request, "line.html", reader_lang(request), user=user, bank=bank, line=line, found=found, q=q,
        the_month=month or str(Month.of(today_in_vietnam())), may_write=user.scope.may_write(bank.branch_id),
    )  # fmt: skip


@router.post("/treasurer/bank/lines/{line_id}")
async def bank_line(
    line_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    request: Request,
    db: SessionDep,
    action: Annotated[str, Form(pattern="^(book|match)$")],
    month: Annotated[str, Form(pattern=MONTH)],
    csrf: Annotated[str, Form(max_length=64)],
    account: Annotated[str, Form(max_length=200)] = "",
    transaction: Annotated[str, Form(max_length=20)] = "",
    entry: Annotated[list[int] | None, Form()] = None,
    part: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """One bank line by hand: book it (a fee, interest, cash drawn) or match it with ledger transactions
    (all of the line, or ``part`` of it: a split, the rest left to match elsewhere)."""
    user = writer(request, csrf)
    lang = reader_lang(request)
    bank = by_hand.account_of_line(db, user.scope, line_id)
    picked = list(entry or [])
    if transaction.strip():
        if not (transaction.strip().isdigit() and int(transaction) < 2**62):
            raise InvalidEntry("give the ledger transaction's number to match the line with")
        picked.append(int(transaction))
    if action == "match" and not picked:
        raise InvalidEntry("choose the ledger transactions the line is the same money as")
    share = parse_vnd(part) if part.strip() else None
    back = f"/treasurer/bank?account={bank.code}&month={month}"

    def work(session: Session) -> None:
        if action == "book":
            by_hand.book_line(session, line_id=line_id, account=account, description=reason, actor=user.scope)
            return
        line = next(o for o in open_lines(session, bank) if o.id == line_id) if share else None
        signed = None if share is None or line is None else (share if line.amount > 0 else -share)
        by_hand.match(
            session, account=bank.code, lines=[(line_id, signed)], entries=[(t, None) for t in picked],
            reason=reason, actor=user.scope,
        )  # fmt: skip

    if confirmed != "yes":
        await rehearsed(request, db, work)
        if action == "book":
            title = say(lang, "book_title", line=line_id, account=account)
        else:
            numbers = ", ".join(str(t) for t in picked)
            whole = "" if share is None else f" ({format_vnd(share, lang)})"
            title = say(lang, "match_title", line=line_id, part=whole, transactions=numbers)
        fields: dict[str, str | list[str]] = {
            "action": action, "month": month, "csrf": csrf, "account": account, "reason": reason, "part": part,
            "entry": [str(t) for t in picked],
        }  # fmt: skip
        return ask_first(request, lang, user, action=f"/treasurer/bank/lines/{line_id}", title=title,
                         lines=[title, reason], fields=fields, back=back, the_month=month)  # fmt: skip

    await in_own_transaction(request, db, work)
    return back_to(back, say(lang, "line_done", line=line_id))
