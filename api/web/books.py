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
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api import scoping
from api.deps import SessionDep, in_own_transaction
from api.issuing import issue_pdf, issue_xlsx
from api.web.guards import back_to, home_branch, require_staff, writer
from api.web.session import WebUser, page, reader_lang, say, web_user
from ledger.errors import LedgerError
from ledger.months import Month, today_in_vietnam
from ledger.statements.document import Period, StatementRequest
from ledger.statements.numbers import KNOWN, number_history, numbers_in_force, set_account_number
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


@router.get("/statements/{kind}.pdf")
async def book_pdf(
    kind: str,
    request: Request,
    db: SessionDep,
    start: Annotated[str, Query(alias="from", pattern=MONTH)],
    end: Annotated[str | None, Query(alias="to", pattern=MONTH)] = None,
    branch: Annotated[str, Query(max_length=64)] = "",
    child: Annotated[str, Query(max_length=64)] = "",
    sponsor: Annotated[str, Query(max_length=64)] = "",
    account: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    user = web_user(request)
    require_staff(user)
    if kind not in (*BRANCH_PDFS, "child-ledger", "sponsor-ledger"):
        raise LedgerError(f"there is no {kind} statement")
    wanted = _wanted(db, user, kind, start, end, branch=branch, child=child, sponsor=sponsor, account=account)
    return await issue_pdf(request, db, user.scope, wanted, reader_lang(request))


@router.get("/statements/{kind}.xlsx")
async def book_sheet(
    kind: str,
    request: Request,
    db: SessionDep,
    start: Annotated[str, Query(alias="from", pattern=MONTH)],
    end: Annotated[str | None, Query(alias="to", pattern=MONTH)] = None,
    branch: Annotated[str, Query(max_length=64)] = "",
    child: Annotated[str, Query(max_length=64)] = "",
    sponsor: Annotated[str, Query(max_length=64)] = "",
    account: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """A book as a spreadsheet: the same figures as its PDF and page."""
    user = web_user(request)
    require_staff(user)
    if kind not in XLSX_KINDS:
        raise LedgerError(f"there is no {kind} spreadsheet")
    wanted = _wanted(db, user, kind, start, end, branch=branch, child=child, sponsor=sponsor, account=account)
    return await issue_xlsx(request, db, user.scope, wanted, reader_lang(request))


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
