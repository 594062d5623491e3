"""Reading the journal: one transaction as its reader sees it, and pages of them, newest first.

What a reader may see is the transactions that touch one of their branches (administrators:
all). A transaction is shown with its postings and, once corrected, the reversal that undid it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists
from sqlmodel import Session, col, select

from ledger.access.actor import Actor
from ledger.errors import TransactionNotFound
from ledger.models import Account, Branch, LedgerTransaction, Posting


@dataclass(frozen=True, slots=True)
class PostingLine:
    line: int
    branch: str
    account: str
    amount: int


@dataclass(frozen=True, slots=True)
class TransactionView:
    id: int
    seq: int
    effective_date: date
    recorded_at: datetime
    description: str
    kind: str
    posted_by: str
    reverses: int | None
    reversed_by: int | None
    metadata: dict[str, Any]
    hash: str
    postings: list[PostingLine]


def _touches(actor: Actor) -> Any:
    """SQL: the transaction has a posting on an account of one of the actor's branches."""
    return exists(
        select(Posting.transaction_id)
        .join(Account, col(Account.id) == Posting.account_id)
        .where(col(Posting.transaction_id) == LedgerTransaction.id, col(Account.branch_id).in_(actor.branch_ids or ()))
    )


def visible(session: Session, actor: Actor, transaction_id: int) -> LedgerTransaction:
    actor.require_staff()
    query = select(LedgerTransaction).where(col(LedgerTransaction.id) == transaction_id)
    if actor.branch_ids is not None:
        query = query.where(_touches(actor))
    found = session.scalar(query)
    if found is None:
        raise TransactionNotFound(transaction_id)
    return found


def view(session: Session, txn: LedgerTransaction) -> TransactionView:
    rows = session.execute(
        select(Posting.line, Branch.code, Account.code, Posting.amount)
        .join(Account, col(Account.id) == Posting.account_id)
        .join(Branch, col(Branch.id) == Account.branch_id)
        .where(col(Posting.transaction_id) == txn.id)
        .order_by(col(Posting.line))
    ).all()
    reversed_by = session.scalar(select(LedgerTransaction.id).where(col(LedgerTransaction.reverses_id) == txn.id))
    return TransactionView(
        id=txn.id, seq=txn.seq, effective_date=txn.effective_date, recorded_at=txn.recorded_at,
        description=txn.description, kind=txn.kind, posted_by=txn.posted_by, reverses=txn.reverses_id,
        reversed_by=reversed_by, metadata=dict(txn.meta), hash=txn.hash,
        postings=[PostingLine(*row) for row in rows],
    )  # fmt: skip


def page(
    session: Session,
    actor: Actor,
    *,
    account_id: int | None = None,
    branch_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    kind: str | None = None,
    before_seq: int | None = None,
    limit: int = 50,
) -> tuple[list[TransactionView], bool]:
    """Up to ``limit`` transactions the actor sees, newest first, and whether older ones follow."""
    actor.require_staff()
    query = select(LedgerTransaction).order_by(col(LedgerTransaction.seq).desc()).limit(limit + 1)
    if actor.branch_ids is not None:
        query = query.where(_touches(actor))
    if account_id is not None:
        query = query.where(
            exists(
                select(Posting.line).where(
                    col(Posting.transaction_id) == LedgerTransaction.id, col(Posting.account_id) == account_id
                )
            )  # fmt: skip
        )
    elif branch_id is not None:
        query = query.where(
            exists(
                select(Posting.line)
                .join(Account, col(Account.id) == Posting.account_id)
                .where(col(Posting.transaction_id) == LedgerTransaction.id, col(Account.branch_id) == branch_id)
            )
        )
    if start is not None:
        query = query.where(col(LedgerTransaction.effective_date) >= start)
    if end is not None:
        query = query.where(col(LedgerTransaction.effective_date) <= end)
    if kind is not None:
        query = query.where(col(LedgerTransaction.kind) == kind)
    if before_seq is not None:
        query = query.where(col(LedgerTransaction.seq) < before_seq)
    found = list(session.scalars(query))
    return [view(session, txn) for txn in found[:limit]], len(found) > limit


def accounts_of(session: Session, branch_id: int) -> list[Account]:
    """A branch's accounts with their balances now, by code."""
    return list(session.scalars(select(Account).where(col(Account.branch_id) == branch_id).order_by(col(Account.code))))
