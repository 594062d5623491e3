"""Proving the ledger intact: the hash chain, every transaction's balance, every cached balance.

``verify`` reads everything and recomputes it, so it finds rows changed, removed or inserted
with raw SQL, even where the database's own triggers were dropped first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from ledger import chain
from ledger.models import (
    GENESIS_HASH,
    Account,
    AccountType,
    Branch,
    ChainHead,
    Disbursement,
    LedgerTransaction,
    Posting,
    total,
)

BATCH = 2000


@dataclass(frozen=True, slots=True)
class Problem:
    message: str
    transaction_id: int | None = None
    seq: int | None = None


@dataclass(slots=True)
class VerifyReport:
    transactions: int = 0
    postings: int = 0
    accounts: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad(self) -> Problem | None:
        return self.problems[0] if self.problems else None


def verify(session: Session) -> VerifyReport:
    """Check invariants 1, 3, 4, 6 and 8 over the whole ledger, in chain order."""
    report = VerifyReport()
    _verify_chain(session, report)
    _verify_orphans(session, report)
    _verify_balances(session, report)
    return report


_CHAINED: tuple[Any, ...] = (
    col(LedgerTransaction.id),
    col(LedgerTransaction.seq),
    col(LedgerTransaction.idempotency_key),
    col(LedgerTransaction.effective_date),
    col(LedgerTransaction.recorded_at),
    col(LedgerTransaction.description),
    col(LedgerTransaction.meta).label("meta"),
    col(LedgerTransaction.reverses_id),
    col(LedgerTransaction.posted_by),
    col(LedgerTransaction.kind),
    col(LedgerTransaction.content_hash),
    col(LedgerTransaction.prev_hash),
    col(LedgerTransaction.hash),
)


def _transactions(
    session: Session, after_seq: int = -1
) -> Iterator[tuple[sa.Row[Any], list[tuple[str, str, int, str]]]]:
    """Each transaction's chained fields (plain rows: nothing to track) with its postings, in chain order."""
    last_seq = after_seq
    while True:
        batch = session.execute(
            sa.select(*_CHAINED)
            .where(col(LedgerTransaction.seq) > last_seq)
            .order_by(col(LedgerTransaction.seq))
            .limit(BATCH)
        ).all()
        if not batch:
            return
        postings: dict[int, list[tuple[str, str, int, str]]] = {txn.id: [] for txn in batch}
        for txn_id, branch, account, amount, currency in session.execute(
            sa.select(
                col(Posting.transaction_id),
                col(Branch.code),
                col(Account.code),
                col(Posting.amount),
                col(Posting.currency),
            )
            .join(Account, col(Account.id) == Posting.account_id)
            .join(Branch, col(Branch.id) == Account.branch_id)
            .where(col(Posting.transaction_id).in_(list(postings)))
            .order_by(col(Posting.transaction_id), col(Posting.line))
        ):
            postings[txn_id].append((branch, account, amount, currency))
        for txn in batch:
            yield txn, postings[txn.id]
        last_seq = batch[-1].seq


def _verify_chain(session: Session, report: VerifyReport) -> None:
    check_chain(session, report, after_seq=0, after_hash=GENESIS_HASH)


def check_chain(session: Session, report: VerifyReport, *, after_seq: int, after_hash: str) -> None:
    """Every transaction after ``after_seq`` (whose hash is ``after_hash``), in chain order, and the head."""
    prev, expected_seq = after_hash, after_seq + 1
    # From the genesis, read every row (a forged row #0 too); after a checkpoint, only what follows it.
    for txn, postings in _transactions(session, after_seq if after_seq else -1):
        report.transactions += 1
        report.postings += len(postings)

        def problem(message: str, txn: sa.Row[Any] = txn) -> None:
            report.problems.append(Problem(f"transaction {txn.id} (#{txn.seq}): {message}", txn.id, txn.seq))

        if txn.seq != expected_seq:
            problem(f"the chain jumps from #{expected_seq - 1} to #{txn.seq}: transactions were removed")
        if txn.prev_hash != prev:
            problem("does not link to the transaction before it: a transaction was inserted, removed or altered")
        recomputed = chain.content_hash(
            transaction_id=txn.id,
            idempotency_key=txn.idempotency_key,
            effective_date=txn.effective_date,
            recorded_at=txn.recorded_at,
            description=txn.description,
            metadata=txn.meta,
            reverses_id=txn.reverses_id,
            posted_by=txn.posted_by,
            kind=txn.kind,
            postings=[chain.HashedPosting(*p) for p in postings],
        )
        if recomputed != txn.content_hash:
            problem("its content or postings were changed after posting")
        if chain.link_hash(txn.prev_hash, txn.content_hash) != txn.hash:
            problem("its hash does not match its content and link")
        sums: dict[str, int] = {}
        for _, _, amount, currency in postings:
            sums[currency] = sums.get(currency, 0) + amount
        if len(postings) < 2 or any(sums.values()):
            problem(f"its {len(postings)} postings do not balance: {sums}")
        prev, expected_seq = txn.hash, txn.seq + 1
    head = session.get(ChainHead, 1)
    report.head_seq, report.head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head is None or head.seq != expected_seq - 1 or head.hash != prev:
        report.problems.append(
            Problem(
                f"the chain head (#{report.head_seq}) does not match the last transaction (#{expected_seq - 1}): "
                "the latest transactions were removed or appended outside the ledger"
            )
        )


def _verify_orphans(session: Session, report: VerifyReport) -> None:
    orphans = session.execute(
        select(Posting.transaction_id, func.count())
        .outerjoin(LedgerTransaction, col(LedgerTransaction.id) == Posting.transaction_id)
        .where(col(LedgerTransaction.id).is_(None))
        .group_by(col(Posting.transaction_id))
    ).all()
    for txn_id, count in orphans:
        report.problems.append(
            Problem(f"{count} postings belong to transaction {txn_id}, which does not exist", txn_id)
        )
    for (txn_id,) in session.execute(
        select(Disbursement.transaction_id)
        .outerjoin(LedgerTransaction, col(LedgerTransaction.id) == Disbursement.transaction_id)
        .where(col(LedgerTransaction.id).is_(None))
    ):
        report.problems.append(Problem(f"a disbursement refers to transaction {txn_id}, which does not exist", txn_id))


def check_balances_now(session: Session, report: VerifyReport) -> dict[int, int]:
    """Every account's cached balance, each refused where it may not go negative and does; by account id."""
    cached: dict[int, int] = {}
    for account, branch in session.execute(
        select(Account, Branch.code).join(Branch, col(Branch.id) == Account.branch_id)
    ):
        report.accounts += 1
        cached[account.id] = account.balance
        if not account.may_go_negative and AccountType(account.type).normal_sign * account.balance < 0:
            report.problems.append(
                Problem(
                    f"account {account.code!r} of branch {branch!r} may not go negative but stands at "
                    f"{account.balance:,}"
                )  # fmt: skip
            )
    return cached


def _verify_balances(session: Session, report: VerifyReport) -> None:
    sums = dict(
        session.execute(select(Posting.account_id, total(Posting.amount)).group_by(col(Posting.account_id))).all()
    )
    for account, branch in session.execute(
        select(Account, Branch.code).join(Branch, col(Branch.id) == Account.branch_id)
    ):
        report.accounts += 1
        posted = sums.get(account.id, 0)
        where = f"account {account.code!r} of branch {branch!r}"
        if account.balance != posted:
            report.problems.append(
                Problem(f"{where}: cached balance {account.balance:,} ≠ sum of its postings {posted:,}")
            )
        if not account.may_go_negative and AccountType(account.type).normal_sign * posted < 0:
            report.problems.append(Problem(f"{where} may not go negative but stands at {posted:,}"))
