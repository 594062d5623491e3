"""What a ledger holds that a copy does not: the entries a restore of that copy would lose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ledger.backup.manifest import Manifest
from ledger.models import LedgerTransaction


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    transaction_id: int
    effective_date: date
    kind: str
    description: str
    posted_by: str


@dataclass(frozen=True, slots=True)
class SinceCopy:
    descends: bool  # the ledger's chain passes through the copy's head: the copy is its past
    entries: list[Entry]


def since_copy(session: Session, manifest: Manifest) -> SinceCopy:
    head = manifest.ledger
    if head.chain_seq == 0:
        descends = True
    else:
        at_head = session.scalar(select(LedgerTransaction.hash).where(col(LedgerTransaction.seq) == head.chain_seq))
        descends = at_head == head.chain_hash
    rows = session.execute(
        sa.select(
            col(LedgerTransaction.seq), col(LedgerTransaction.id), col(LedgerTransaction.effective_date),
            col(LedgerTransaction.kind), col(LedgerTransaction.description), col(LedgerTransaction.posted_by),
        )
        .where(col(LedgerTransaction.seq) > head.chain_seq)
        .order_by(col(LedgerTransaction.seq))
    ).all()  # fmt: skip
    return SinceCopy(descends, [Entry(*row) for row in rows])
