"""Bảng cân đối số phát sinh: every account of a branch subtree with its opening balance, its
movements in the period and its closing balance, each in the debit (Nợ) or credit (Có) column.

This is the trial balance Vietnamese accounting reads (docs/books.md): a credit balance is a
positive figure in the Có column, never a negative number; movements are the gross debits and
credits of the period (a reversal moves both); on every row opening + debits − credits = closing,
and the totals row balances column against column. The account's number in the accounting
regime the branch keeps (``numbers``: 111 cash, 112 bank deposits, …) stands beside our code, which stays the key;
its name is told in the reader's language when the document is rendered (``account_name``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import case, func
from sqlmodel import Session, col, select

from ledger.models import Account, Posting
from ledger.statements.document import (
    Document,
    Period,
    StatementRequest,
    chain_head,
    child_names,
    envelope,
    subtree,
)
from ledger.statements.numbers import AccountNumbers, numbers_for

COLUMNS = ("opening_debit", "opening_credit", "debit", "credit", "closing_debit", "closing_credit")


def trial_balance_book(
    session: Session, *, branch: str, period: Period, issued_on: date, numbers: AccountNumbers | None = None
) -> Document:
    tree = subtree(session, branch)
    numbers = numbers or numbers_for(session, tree.root.id)
    start, end = period.start, period.end
    # From the cached balances back: what moved after the period and in it, never the years before
    # it, so the book costs the same whatever the ledger's age (docs/books.md).
    moved = session.execute(
        sa.select(
            col(Posting.account_id),
            func.sum(case((col(Posting.effective_date) > end, Posting.amount), else_=0)),
            func.sum(case(((col(Posting.effective_date) <= end) & (col(Posting.amount) > 0), Posting.amount), else_=0)),
            func.sum(
                case(((col(Posting.effective_date) <= end) & (col(Posting.amount) < 0), -col(Posting.amount)), else_=0)
            ),
        )
        .where(col(Posting.account_id).in_(tree.accounts), col(Posting.effective_date) >= start)
        .group_by(col(Posting.account_id))
    ).all()
    after = {
        account_id: (int(later or 0), int(debit or 0), int(credit or 0)) for account_id, later, debit, credit in moved
    }
    accounts = {a.id: a for a in session.scalars(select(Account).where(col(Account.id).in_(tree.accounts)))}
    sums = []
    for account_id, account in accounts.items():
        later, debit, credit = after.get(account_id, (0, 0, 0))
        closing = account.balance - later
        sums.append((account_id, closing - debit + credit, debit, credit))
    children = child_names(session, [a.code for a in accounts.values()])
    rows: list[dict[str, Any]] = []
    for account_id, opening, debit, credit in sums:
        opening, debit, credit = int(opening or 0), int(debit or 0), int(credit or 0)
        if not (opening or debit or credit):
            continue
        account = accounts[account_id]
        closing = opening + debit - credit
        rows.append(
            {
                "number": numbers.number_of(account.code),
                "account": account.code,
                "branch": tree.branches[account.branch_id].code,
                "name": account.name,
                "child": children.get(account.code, ""),
                "opening_debit": max(opening, 0),
                "opening_credit": max(-opening, 0),
                "debit": debit,
                "credit": credit,
                "closing_debit": max(closing, 0),
                "closing_credit": max(-closing, 0),
            }
        )
    rows.sort(key=lambda r: (r["number"] or "~", r["account"], r["branch"]))
    totals = {column: sum(r[column] for r in rows) for column in COLUMNS}
    request = StatementRequest("trial-balance", branch, period)
    body = {"period": period.to_json(), "numbers": numbers.to_json(), "rows": rows, "totals": totals}
    return envelope(request, issued_on=issued_on, chain=chain_head(session), branch=tree.heading, body=body)


def balanced(body: dict[str, Any]) -> bool:
    """The book's own check: each pair of columns equal in the totals, and every row adding up."""
    t = body["totals"]
    rows_add_up = all(
        r["opening_debit"] - r["opening_credit"] + r["debit"] - r["credit"] == r["closing_debit"] - r["closing_credit"]
        for r in body["rows"]
    )
    pairs = (t["opening_debit"], t["debit"], t["closing_debit"]) == (
        t["opening_credit"],
        t["credit"],
        t["closing_credit"],
    )
    return rows_add_up and pairs
