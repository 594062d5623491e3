"""The auditor pack: everything an inspection reads, for a branch subtree and a period.

The trial balance with the period's movements (``trial_balance``), every child's fund and payable
among its rows; the general ledger of the branches' own accounts (cash, bank, program funds,
suspense, …), line by line with contra accounts and running balances (``detail``); each child's
opening, received, disbursed, closing and handed over (her lines are her own ledger, the
``child-ledger`` book, and the ``general-ledger`` book holds every account's); per-sponsor totals;
the journal, each transaction with what it moved and its place and hash in the chain; and the
ledger's own check as it stood when the pack was issued (from the newest verified checkpoint,
``checkpoints.verify_since``, so a pack does not re-read years of history).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from ledger.checkpoints import verify_since
from ledger.models import Account, Branch, LedgerTransaction, Posting
from ledger.register.models import Child
from ledger.statements.detail import account_books
from ledger.statements.document import Document, Period, StatementRequest, chain_head, envelope, subtree
from ledger.statements.numbers import AccountNumbers, numbers_for
from ledger.statements.sponsor import sponsor_statements
from ledger.statements.trial_balance import COLUMNS, trial_balance_book

CHILD_FUND, GUARDIAN_PAYABLE = "liabilities:fund:child:", "liabilities:payable:guardian:"


def audit_pack(
    session: Session, *, branch: str, period: Period, issued_on: date, numbers: AccountNumbers | None = None
) -> Document:
    tree = subtree(session, branch)
    numbers = numbers or numbers_for(session, tree.root.id)
    balance = trial_balance_book(session, branch=branch, period=period, issued_on=issued_on, numbers=numbers)["body"]
    own = tree.accounts.where(
        ~col(Account.code).startswith(CHILD_FUND, autoescape=True),
        ~col(Account.code).startswith(GUARDIAN_PAYABLE, autoescape=True),
    )
    general_ledger = account_books(session, own, period, numbers)
    journal = _journal(session, tree.accounts, period)
    row_of = {(row["branch"], row["account"]): row for row in balance["rows"]}
    nothing = dict.fromkeys(COLUMNS, 0)
    child_rows = []
    for child, branch_code in session.execute(
        select(Child, Branch.code)
        .join(Branch, col(Branch.id) == Child.branch_id)
        .where(col(Child.branch_id).in_(tree.ids))
        .order_by(col(Child.code))
    ):
        fund = row_of.get((branch_code, f"{CHILD_FUND}{child.code}"), nothing)
        payable = row_of.get((branch_code, f"{GUARDIAN_PAYABLE}{child.code}"), nothing)
        child_rows.append(
            {
                "child": child.code,
                "name": child.full_name,
                "opening": fund["opening_credit"] - fund["opening_debit"],
                "received": fund["credit"],
                "disbursed": fund["debit"],
                "closing": fund["closing_credit"] - fund["closing_debit"],
                "handed_over": payable["debit"],
            }
        )
    sponsor_rows = [
        {
            "sponsor": statement["body"]["sponsor"]["code"],
            "name": statement["body"]["sponsor"]["name"],
            **statement["body"]["totals"],
        }
        for statement in sponsor_statements(session, period=period, issued_on=issued_on, branch_ids=tree.ids)
    ]
    check = verify_since(session, by="audit pack").report
    body = {
        "period": period.to_json(),
        "numbers": numbers.to_json(),
        "trial_balance": {"rows": balance["rows"], "totals": balance["totals"]},
        "general_ledger": general_ledger,
        "journal": journal,
        "children": child_rows,
        "sponsors": sponsor_rows,
        "verify": {"ok": check.ok, "problems": [p.message for p in check.problems[:20]]},
    }
    return envelope(
        StatementRequest("audit", tree.root.code, period),
        issued_on=issued_on,
        chain=chain_head(session),
        branch=tree.heading,
        body=body,
    )


def _journal(session: Session, accounts: Any, period: Period) -> list[dict[str, Any]]:
    """Every transaction of the period that moved an account of the subtree, in chain order: one line
    each, with what it moved (its debits) and its hash. Its postings are the general ledger's lines."""
    moved = select(Posting.transaction_id).where(
        col(Posting.account_id).in_(accounts),
        col(Posting.effective_date) >= period.start,
        col(Posting.effective_date) <= period.end,
    )
    debits = (
        select(Posting.transaction_id, func.sum(Posting.amount).label("moved"))
        .where(col(Posting.amount) > 0, col(Posting.transaction_id).in_(moved))
        .group_by(col(Posting.transaction_id))
        .subquery()
    )
    return [
        {
            "seq": seq,
            "transaction": txn,
            "date": day.isoformat(),
            "kind": kind,
            "description": description,
            "reverses": reverses,
            "amount": int(amount or 0),
            "hash": hash_,
        }  # fmt: skip
        for seq, txn, day, kind, description, reverses, amount, hash_ in session.execute(
            sa.select(
                col(LedgerTransaction.seq),
                col(LedgerTransaction.id),
                col(LedgerTransaction.effective_date),
                col(LedgerTransaction.kind),
                col(LedgerTransaction.description),
                col(LedgerTransaction.reverses_id),
                debits.c.moved,
                col(LedgerTransaction.hash),
            )
            .join(debits, debits.c.transaction_id == LedgerTransaction.id)
            .order_by(col(LedgerTransaction.seq))
        )
    ]
