"""Verified checkpoints: proving the ledger intact without reading all of its history every time.

A full ``verify`` reads every transaction since the genesis; with years of history it takes
seconds, and every auditor's page would wait for it. When a verification passes, it leaves a
checkpoint: the chain's sequence number and hash at that point, a digest of every account's
balance there, when and by whom. ``verify_since`` then checks only what came after the newest
checkpoint: that the transaction at the checkpoint still has the hash it had (its successors
link to it), every later transaction's content, link and balance, the chain head, and that each
account's cached balance minus the later postings still gives the checkpoint's digest. Its cost
follows what is new, not the whole history. A full ``verify`` stays the command and the nightly
job, and still finds a change anywhere (``godmother verify``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from ledger.models import LedgerTransaction, Posting, VerifiedCheckpoint
from ledger.verify import Problem, VerifyReport, check_balances_now, check_chain, verify


@dataclass(frozen=True, slots=True)
class Verified:
    """What a page shows: the report, and the checkpoint it reached ("verified through #N")."""

    report: VerifyReport
    through: int
    since: int  # the checkpoint it started from (0: the genesis)
    full: bool


def digest(balances: dict[int, int]) -> str:
    text = ";".join(f"{account}:{amount}" for account, amount in sorted(balances.items()) if amount)
    return hashlib.sha256(text.encode()).hexdigest()


def latest(session: Session) -> VerifiedCheckpoint | None:
    return session.scalar(select(VerifiedCheckpoint).order_by(col(VerifiedCheckpoint.id).desc()).limit(1))


def verify_fully(session: Session, *, by: str, now: datetime | None = None) -> Verified:
    """The whole ledger from the genesis; a pass leaves a checkpoint at the head."""
    report = verify(session)
    if report.ok:
        sums = dict(
            session.execute(
                select(Posting.account_id, func.sum(Posting.amount)).group_by(col(Posting.account_id))
            ).all()
        )
        _keep(session, report, {a: int(s) for a, s in sums.items()}, full=True, by=by, now=now)
    return Verified(report, report.head_seq if report.ok else 0, 0, True)


def verify_since(session: Session, *, by: str, now: datetime | None = None) -> Verified:
    """What came after the newest checkpoint (everything, when there is none); a pass leaves a new one."""
    anchor = latest(session)
    if anchor is None:
        return verify_fully(session, by=by, now=now)
    report = VerifyReport()
    at_anchor = session.scalar(select(LedgerTransaction.hash).where(col(LedgerTransaction.seq) == anchor.seq))
    if anchor.seq and at_anchor != anchor.hash:
        report.problems.append(
            Problem(
                f"the transaction verified as #{anchor.seq} has changed or gone since it was verified", None, anchor.seq
            )  # fmt: skip
        )
    check_chain(session, report, after_seq=anchor.seq, after_hash=anchor.hash)
    report.transactions += anchor.transactions
    cached = check_balances_now(session, report)
    since = select(LedgerTransaction.id).where(col(LedgerTransaction.seq) > anchor.seq)  # by the seq index
    later = dict(
        session.execute(
            select(Posting.account_id, func.sum(Posting.amount))
            .where(col(Posting.transaction_id).in_(since))  # then by the postings' own key: never a full scan
            .group_by(col(Posting.account_id))
        ).all()
    )
    then = {account: amount - int(later.get(account, 0)) for account, amount in cached.items()}
    if digest(then) != anchor.balances_digest:
        report.problems.append(
            Problem(f"the balances at #{anchor.seq} no longer add up to what was verified there: postings changed")
        )
    if report.ok:
        _keep(session, report, cached, full=False, by=by, now=now)
    return Verified(report, report.head_seq if report.ok else anchor.seq, anchor.seq, False)


def _keep(
    session: Session, report: VerifyReport, balances: dict[int, int], *, full: bool, by: str, now: datetime | None
) -> None:
    last = latest(session)
    if last is not None and last.seq == report.head_seq and not full:
        return  # nothing new since: no second checkpoint at the same place
    session.add(
        VerifiedCheckpoint(
            seq=report.head_seq, hash=report.head_hash, balances_digest=digest(balances),
            transactions=report.transactions, full=full, verified_at=now or datetime.now(UTC), verified_by=by,
        )
    )  # fmt: skip
    session.flush()
