"""Posting transactions: the only way money moves in the ledger.

``post_many`` is the one path for a single transaction and for a batch of thousands:
1. validate each entry on its own (at least two postings, whole đồng, sum zero);
2. return what an idempotency key already posted (same content) or refuse it (different);
3. lock the accounts involved, in ascending id order so concurrent writers cannot deadlock,
   then check they are open, that no branch has closed the month, and that no account that
   may not go negative would;
4. write the postings, update the cached balances, then the transaction rows that seal
   them into the hash chain. All of it happens in the caller's database transaction: the
   authoritative balance is never outside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exists
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from ledger.accounts import AccountKey
from ledger.db import is_sqlite
from ledger.errors import AlreadyReversed, TransactionNotFound
from ledger.models import Account, Branch, LedgerTransaction, Posting
from ledger.months import today_in_vietnam
from ledger.periods import closed_through
from ledger.posting.bulk import copy_rows
from ledger.posting.entries import MAX_AMOUNT, MAX_POSTINGS, DisbursementKey, Entry, Leg, Posted, validate
from ledger.posting.replays import find_replays, stored_entry
from ledger.posting.single import is_plain, post_one
from ledger.posting.write import post_new

__all__ = [
    "MAX_AMOUNT",
    "MAX_POSTINGS",
    "DisbursementKey",
    "Entry",
    "Leg",
    "Posted",
    "copy_rows",
    "post",
    "post_many",
    "reverse",
    "standing",
    "stored_entry",
    "validate",
]


def post(session: Session, entry: Entry, *, now: datetime | None = None) -> Posted:
    """Post one transaction (see ``post_many``)."""
    return post_many(session, [entry], now=now)[0]


def post_many(session: Session, entries: Sequence[Entry], *, now: datetime | None = None) -> list[Posted]:
    """Post ``entries`` in order, all or none, in the caller's database transaction."""
    for entry in entries:
        validate(entry)
    results: list[Posted | None] = [None] * len(entries)
    replays = find_replays(session, entries)
    for index, posted in replays.items():
        results[index] = posted
    todo = [i for i in range(len(entries)) if i not in replays]
    if len(todo) == 1 and is_plain(entries[todo[0]]) and not is_sqlite(session):
        results[todo[0]] = post_one(session, entries[todo[0]], now or datetime.now(UTC))  # one round trip
    elif todo:
        fresh = post_new(session, [entries[i] for i in todo], now or datetime.now(UTC))
        for index, posted in zip(todo, fresh, strict=True):
            results[index] = posted
    return [r for r in results if r is not None]


def reverse(
    session: Session,
    transaction_id: int,
    *,
    posted_by: str,
    effective_date: date | None = None,
    description: str | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Posted:
    """Post the mirror image of a transaction, linked to it.

    Dated like the original unless that month is closed for a branch it touched, in which
    case it is dated today (UTC+7) unless ``effective_date`` says otherwise.
    """
    original = session.get(LedgerTransaction, transaction_id)
    if original is None:
        raise TransactionNotFound(transaction_id)
    reversal_id = session.scalar(
        select(LedgerTransaction.id).where(col(LedgerTransaction.reverses_id) == transaction_id)
    )
    if reversal_id is not None:
        if idempotency_key is not None:
            replay = session.scalar(
                select(LedgerTransaction).where(col(LedgerTransaction.idempotency_key) == idempotency_key)
            )
            if replay is not None and replay.id == reversal_id:
                return Posted(replay.id, replay.seq, replay.hash, replay.effective_date, created=False)
        raise AlreadyReversed(transaction_id, reversal_id)
    rows = session.execute(
        sa.select(
            col(Branch.code), col(Account.code), col(Account.branch_id), col(Posting.amount), col(Posting.currency)
        )
        .join(Account, col(Account.id) == Posting.account_id)
        .join(Branch, col(Branch.id) == Account.branch_id)
        .where(col(Posting.transaction_id) == transaction_id)
        .order_by(col(Posting.line))
    ).all()
    if effective_date is None:
        effective_date = original.effective_date
        closed = closed_through(session, {row[2] for row in rows})
        if any(through >= effective_date for through in closed.values()):
            effective_date = today_in_vietnam(now)
    entry = Entry(
        effective_date=effective_date,
        description=description
        or f"Đảo giao dịch {transaction_id} / Reversal of transaction {transaction_id}: {original.description}"[:500],
        legs=tuple(Leg(AccountKey(b, a), -amount, currency) for b, a, _, amount, currency in rows),
        posted_by=posted_by,
        idempotency_key=idempotency_key,
        kind="reversal",
        reverses_id=transaction_id,
    )
    return post(session, entry, now=now)


def standing(transaction_id: Any) -> Any:
    """A condition: the transaction in ``transaction_id`` (a column) has not been reversed."""
    reversal = aliased(LedgerTransaction)
    return ~exists().where(reversal.reverses_id == transaction_id)
