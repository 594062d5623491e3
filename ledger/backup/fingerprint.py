"""What a ledger is, in two lines: its chain head and a digest of its trial balance.

The digest is SHA-256 over every account's balance summed from its postings (branch code,
account code, currency, amount, in that order): two databases with the same digest hold the
same money in the same places. Only tables the ledger has had since its first schema version
are read, so the fingerprint of a copy taken by an older version is comparable after upgrade.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from ledger.chain import canonical_json
from ledger.disbursement.models import Evidence
from ledger.models import GENESIS_HASH, Account, Branch, ChainHead, LedgerTransaction, Posting, total


@dataclass(frozen=True, slots=True)
class Fingerprint:
    chain_seq: int
    chain_hash: str
    trial_balance_digest: str
    transactions: int
    accounts: int
    evidence_files: int
    evidence_bytes: int
    top_branches: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["top_branches"] = list(self.top_branches)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fingerprint:
        return cls(**{**data, "top_branches": tuple(data["top_branches"])})


def trial_balance_digest(session: Session) -> tuple[str, int]:
    rows = session.execute(
        select(Branch.code, Account.code, Posting.currency, total(Posting.amount))
        .join(Account, col(Account.id) == Posting.account_id)
        .join(Branch, col(Branch.id) == Account.branch_id)
        .group_by(col(Branch.code), col(Account.code), col(Posting.currency))
        .order_by(col(Branch.code), col(Account.code), col(Posting.currency))
    ).all()
    document = [[branch, account, currency, int(amount)] for branch, account, currency, amount in rows]
    return hashlib.sha256(canonical_json(document).encode()).hexdigest(), len(rows)


def fingerprint(session: Session) -> Fingerprint:
    """Read in one transaction (the caller's), so that it describes one moment of the ledger."""
    head = session.execute(select(ChainHead.seq, ChainHead.hash).where(col(ChainHead.id) == 1)).first()
    seq, head_hash = (int(head[0]), head[1]) if head else (0, GENESIS_HASH)
    digest, accounts = trial_balance_digest(session)
    transactions = session.scalar(select(func.count()).select_from(LedgerTransaction)) or 0
    files, size = session.execute(select(func.count(), func.coalesce(func.sum(Evidence.size), 0))).one()
    tops = tuple(session.scalars(select(Branch.code).where(col(Branch.parent_id).is_(None)).order_by(col(Branch.code))))
    return Fingerprint(seq, head_hash, digest, int(transactions), accounts, int(files), int(size), tops)


def evidence_intact(session: Session) -> list[str]:
    """Evidence files whose bytes no longer match their SHA-256 (the photos of signed slips)."""
    bad = []
    for evidence_id, expected, content in session.execute(select(Evidence.id, Evidence.sha256, Evidence.content)):
        if hashlib.sha256(content).hexdigest() != expected:
            bad.append(f"evidence {evidence_id}")
    return bad
