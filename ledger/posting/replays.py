"""Idempotency: what a key already posted is answered again (same content) or refused (different)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from ledger.accounts import AccountKey
from ledger.errors import (
    IdempotencyConflict,
    InvalidEntry,
)
from ledger.models import (
    Account,
    Branch,
    Disbursement,
    LedgerTransaction,
    Posting,
)
from ledger.months import Month
from ledger.posting.entries import DisbursementKey, Entry, Leg, Posted, chunks

# --- idempotency ------------------------------------------------------------------------


def find_replays(session: Session, entries: Sequence[Entry]) -> dict[int, Posted]:
    """Entries whose idempotency key was already posted, checked to carry the same content."""
    keyed: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if entry.idempotency_key is None:
            continue
        if entry.idempotency_key in keyed:
            raise InvalidEntry(f"idempotency key {entry.idempotency_key!r} appears twice in one batch")
        keyed[entry.idempotency_key] = index
    if not keyed:
        return {}
    replays: dict[int, Posted] = {}
    for chunk in chunks(list(keyed), 500):
        for txn in session.scalars(select(LedgerTransaction).where(col(LedgerTransaction.idempotency_key).in_(chunk))):
            assert txn.idempotency_key is not None
            index = keyed[txn.idempotency_key]
            if stored_entry(session, txn).fingerprint() != entries[index].fingerprint():
                raise IdempotencyConflict(txn.idempotency_key, txn.id)
            replays[index] = Posted(txn.id, txn.seq, txn.hash, txn.effective_date, created=False)
    return replays


def stored_entry(session: Session, txn: LedgerTransaction) -> Entry:
    """The entry a stored transaction was posted from."""
    legs = tuple(
        Leg(AccountKey(branch, code), amount, currency)
        for branch, code, amount, currency in session.execute(
            select(Branch.code, Account.code, Posting.amount, Posting.currency)
            .join(Account, col(Account.id) == Posting.account_id)
            .join(Branch, col(Branch.id) == Account.branch_id)
            .where(col(Posting.transaction_id) == txn.id)
            .order_by(col(Posting.line))
        )
    )
    disbursement = session.get(Disbursement, txn.id)
    return Entry(
        effective_date=txn.effective_date,
        description=txn.description,
        legs=legs,
        posted_by=txn.posted_by,
        idempotency_key=txn.idempotency_key,
        metadata=txn.meta,
        kind=txn.kind,
        reverses_id=txn.reverses_id,
        disbursement=(
            DisbursementKey(disbursement.child_code, disbursement.program, Month.of(disbursement.month))
            if disbursement
            else None
        ),
    )
