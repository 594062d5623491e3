"""Sổ chi tiết: account by account, the balance when the period opens, every movement with its
voucher and its contra account (tài khoản đối ứng), and the running balance in the Nợ or Có
column (docs/books.md).

Three books share this shape:
- the general ledger of a branch subtree (``general-ledger``): every account that held or moved
  anything, or those under one of our codes (``request.account``: ``assets:cash``,
  ``liabilities:fund:child:``);
- a child's ledger (``child-ledger``): her fund and what is payable to her guardian;
- a sponsor's ledger (``sponsor-ledger``): everything she gave, to the accounts it reached (a
  child's fund, a program's, suspense until it was placed), and every correction of it. A sponsor
  has no account of her own; her payments' credit side is her ledger, its debit side the contra.

The contra accounts of a line are the accounts its transaction moved the other way: the monthly
run's line on a program fund has hundreds, so three are named and the rest counted. Cash and bank
lines carry their voucher (``vouchers``); every line names its ledger transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Select, func
from sqlmodel import Session, col, select

from ledger.errors import AccountNotFound, ChildNotFound, InvalidEntry, SponsorNotFound
from ledger.models import Account, Branch, LedgerTransaction, Posting
from ledger.register.models import Child, Payment, Sponsor
from ledger.statements.document import (
    Document,
    Period,
    StatementRequest,
    Subtree,
    branch_heading,
    chain_head,
    child_names,
    envelope,
    subtree,
)
from ledger.statements.numbers import AccountNumbers, numbers_for
from ledger.statements.vouchers import voucher_numbers

NAMED_CONTRAS = 3


@dataclass(frozen=True, slots=True)
class _Line:
    account_id: int
    day: date
    transaction: int
    description: str
    amount: int


def detail_ledger(
    session: Session, request: StatementRequest, *, issued_on: date, numbers: AccountNumbers | None = None
) -> Document:
    """The ``general-ledger``, ``child-ledger`` or ``sponsor-ledger`` the request asks for."""
    period = request.period
    if request.kind == "general-ledger":
        tree = subtree(session, request.subject)
        heading, home = tree.heading, tree.root.id
        accounts = _under(session, tree, request.account)
        about: dict[str, Any] = {"account": request.account}
    elif request.kind == "child-ledger":
        child = session.scalar(select(Child).where(col(Child.code) == request.subject))
        if child is None:
            raise ChildNotFound(request.subject)
        accounts = [child.fund_account_id, child.payable_account_id]
        heading, home = _heading(session, child.branch_id), child.branch_id
        about = {"child": {"code": child.code, "name": child.full_name, "born": child.date_of_birth.isoformat()}}
    elif request.kind == "sponsor-ledger":
        sponsor = session.scalar(select(Sponsor).where(col(Sponsor.code) == request.subject))
        if sponsor is None:
            raise SponsorNotFound(request.subject)
        heading, home = _heading(session, sponsor.branch_id), sponsor.branch_id
        about = {"sponsor": {"code": sponsor.code, "name": sponsor.name}}
        accounts = []
    else:
        raise InvalidEntry(f"a detail ledger is a general-ledger, child-ledger or sponsor-ledger, not {request.kind}")
    numbers = numbers or numbers_for(session, home)
    if request.kind == "sponsor-ledger":
        books = [_sponsor_book(session, about["sponsor"], period, numbers)]
    else:
        books = account_books(session, accounts, period, numbers, every=request.kind == "child-ledger")
    body = {"period": period.to_json(), "numbers": numbers.to_json(), **about, "books": books}
    return envelope(request, issued_on=issued_on, chain=chain_head(session), branch=heading, body=body)


def _heading(session: Session, branch_id: int) -> dict[str, Any]:
    branches = {b.id: b for b in session.scalars(select(Branch))}
    return branch_heading(branches, branch_id)


def _under(session: Session, tree: Subtree, code: str | None) -> list[int]:
    if not code:
        return list(session.scalars(tree.accounts))
    chosen = select(Account.id).where(col(Account.id).in_(tree.accounts))
    if code.endswith(":"):
        chosen = chosen.where(col(Account.code).startswith(code, autoescape=True))
    else:
        chosen = chosen.where(col(Account.code) == code)
    found = list(session.scalars(chosen))
    if not found:
        raise AccountNotFound(tree.root.code, code)
    return found


def account_books(
    session: Session,
    account_ids: Sequence[int] | Select[Any],
    period: Period,
    numbers: AccountNumbers,
    *,
    every: bool = False,
) -> list[dict[str, Any]]:
    """Every account among ``account_ids`` (ids, or a query of them) that held or moved anything (``every``:
    all of them, as a child's ledger shows her fund and payable even in a quiet month)."""
    opening = _opening(session, account_ids, period)
    lines: dict[int, list[_Line]] = defaultdict(list)
    for line in _lines_of(session, col(Posting.account_id).in_(_ids(account_ids)), period):
        lines[line.account_id].append(line)
    shown = set(lines) | {a for a, total in opening.items() if total}
    if every and not isinstance(account_ids, Select):
        shown |= set(account_ids)
    accounts = _accounts(session, shown)
    contras = _contras(session, [line for a in sorted(shown) for line in lines[a]], numbers)
    children = child_names(session, [account.code for account, _ in accounts.values()])
    books = []
    for account_id in sorted(shown):
        account, branch = accounts[account_id]
        vouchers = _vouchers(session, account, period)
        book = _book(opening.get(account_id, 0), lines[account_id], contras, vouchers)
        books.append({"account": account.code, "branch": branch, "number": numbers.number_of(account.code),
                      "name": account.name, "child": children.get(account.code, ""), **book})  # fmt: skip
    books.sort(key=lambda b: (b["number"] or "~", b["account"], b["branch"]))
    return books


def _sponsor_book(session: Session, sponsor: dict[str, Any], period: Period, numbers: AccountNumbers) -> dict[str, Any]:
    """Her payments' credit side, and the debit side of their reversals, as one account."""
    paid = select(Payment.transaction_id).join(Sponsor, col(Sponsor.id) == Payment.sponsor_id)
    paid = paid.where(col(Sponsor.code) == sponsor["code"])
    reversed_ = select(LedgerTransaction.id).where(col(LedgerTransaction.reverses_id).in_(paid))
    gave = (col(Posting.transaction_id).in_(paid) & (col(Posting.amount) < 0)) | (
        col(Posting.transaction_id).in_(reversed_) & (col(Posting.amount) > 0)
    )
    opening = session.scalar(
        select(func.coalesce(func.sum(Posting.amount), 0)).where(gave, col(Posting.effective_date) < period.start)
    )
    lines = _lines_of(session, gave, period)
    # The contra of her line is where the money came from (bank, cash, suspense); the line itself
    # names the account it reached, which the book shows in its description column.
    contras = _contras(session, lines, numbers)
    reached = _accounts(session, sorted({line.account_id for line in lines}))
    children = child_names(session, [account.code for account, _ in reached.values()])
    book = _book(int(opening or 0), lines, contras, {})
    for line, shown in zip(lines, book["lines"], strict=True):
        account, branch = reached[line.account_id]
        shown["reached"] = {"account": account.code, "branch": branch, "number": numbers.number_of(account.code),
                            "child": children.get(account.code, "")}  # fmt: skip
    return {"account": f"sponsor:{sponsor['code']}", "branch": "", "number": "", "name": sponsor["name"],
            "child": "", **book}  # fmt: skip


def _lines_of(session: Session, which: Any, period: Period) -> list[_Line]:
    """The postings ``which`` selects within the period, in the order the books list them."""
    return [
        _Line(*row)
        for row in session.execute(
            sa.select(
                col(Posting.account_id),
                col(Posting.effective_date),
                col(Posting.transaction_id),
                col(LedgerTransaction.description),
                col(Posting.amount),
            )
            .join(LedgerTransaction, col(LedgerTransaction.id) == Posting.transaction_id)
            .where(which, col(Posting.effective_date) >= period.start, col(Posting.effective_date) <= period.end)
            .order_by(col(Posting.effective_date), col(LedgerTransaction.seq), col(Posting.line))
        )
    ]


def _book(opening: int, lines: Sequence[_Line], contras: dict[tuple[int, int], dict[str, Any]],
          vouchers: dict[int, str]) -> dict[str, Any]:  # fmt: skip
    running, shown = opening, []
    for line in lines:
        running += line.amount
        shown.append(
            {
                "date": line.day.isoformat(),
                "voucher": vouchers.get(line.transaction, ""),
                "transaction": line.transaction,
                "description": line.description,
                **contras[(line.transaction, line.account_id if line.amount > 0 else -line.account_id)],
                "debit": max(line.amount, 0),
                "credit": max(-line.amount, 0),
                "balance_debit": max(running, 0),
                "balance_credit": max(-running, 0),
            }
        )
    return {
        "opening_debit": max(opening, 0),
        "opening_credit": max(-opening, 0),
        "lines": shown,
        "debit": sum(x["debit"] for x in shown),
        "credit": sum(x["credit"] for x in shown),
        "closing_debit": max(running, 0),
        "closing_credit": max(-running, 0),
    }


def _contras(
    session: Session, lines: Sequence[_Line], numbers: AccountNumbers
) -> dict[tuple[int, int], dict[str, Any]]:
    """(transaction, ±account) → the accounts moved the other way: numbers where the branch has them, else codes.
    The key's account is negative for a credit line, so a transaction moving an account both ways has both."""
    transactions = sorted({line.transaction for line in lines})
    sides: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for i in range(0, len(transactions), 1_000):
        for txn, account_id, amount in session.execute(
            sa.select(col(Posting.transaction_id), col(Posting.account_id), col(Posting.amount))
            .where(col(Posting.transaction_id).in_(transactions[i : i + 1_000]))
            .order_by(col(Posting.transaction_id), col(Posting.line))
        ):
            sides[txn].append((account_id, amount))
    codes = {
        a: account.code for a, (account, _) in _accounts(session, {a for s in sides.values() for a, _ in s}).items()
    }
    found: dict[tuple[int, int], dict[str, Any]] = {}
    for line in lines:
        debit = line.amount > 0
        key = (line.transaction, line.account_id if debit else -line.account_id)
        if key in found:
            continue
        other: list[str] = []
        for account_id, amount in sides[line.transaction]:
            if account_id != line.account_id and (amount < 0 if debit else amount > 0):
                shown = numbers.number_of(codes[account_id]) or codes[account_id]
                if shown not in other:
                    other.append(shown)
        found[key] = {"contra": other[:NAMED_CONTRAS], "contra_more": max(len(other) - NAMED_CONTRAS, 0)}
    return found


def _ids(account_ids: Sequence[int] | Select[Any]) -> list[int] | Select[Any]:
    return account_ids if isinstance(account_ids, Select) else list(account_ids)


def _opening(session: Session, account_ids: Sequence[int] | Select[Any], period: Period) -> dict[int, int]:
    """Each account's balance when the period opens: its cached balance less what was posted from then on
    (the period and after), so the cost follows recent history, not all of it."""
    since = dict(
        session.execute(
            sa.select(col(Posting.account_id), func.sum(Posting.amount))
            .where(col(Posting.account_id).in_(_ids(account_ids)), col(Posting.effective_date) >= period.start)
            .group_by(col(Posting.account_id))
        ).all()
    )
    cached = session.execute(
        sa.select(col(Account.id), col(Account.balance)).where(col(Account.id).in_(_ids(account_ids)))
    )
    return {account_id: int(now) - int(since.get(account_id, 0)) for account_id, now in cached}


def _accounts(session: Session, account_ids: Collection[int]) -> dict[int, tuple[Account, str]]:
    found: dict[int, tuple[Account, str]] = {}
    ids = sorted(account_ids)
    for i in range(0, len(ids), 1_000):
        for account, branch in session.execute(
            select(Account, Branch.code)
            .join(Branch, col(Branch.id) == Account.branch_id)
            .where(col(Account.id).in_(ids[i : i + 1_000]))
        ):
            found[account.id] = (account, branch)
    return found


def _vouchers(session: Session, account: Account, period: Period) -> dict[int, str]:
    kind = "cash" if account.code == "assets:cash" else "bank" if account.code.startswith("assets:bank:") else None
    return voucher_numbers(session, account.id, kind, period.years) if kind else {}
