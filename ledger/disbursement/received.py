"""What reached children: the disbursements credited to their guardians' payables, net of reversals."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from ledger.models import Disbursement, LedgerTransaction, Posting
from ledger.months import Month
from ledger.register.models import Child


def received(
    session: Session,
    *,
    children: Collection[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    programs: Collection[str] | None = None,
    branch_ids: Collection[int] | None = None,
) -> dict[tuple[str, Month, str], int]:
    """(child code, month, program) → đồng disbursed for that month, after any reversal of it."""
    query = (
        select(
            col(Disbursement.child_code), col(Disbursement.month), col(Disbursement.program), -func.sum(Posting.amount)
        )
        .join(
            LedgerTransaction,
            or_(
                col(LedgerTransaction.id) == Disbursement.transaction_id,
                col(LedgerTransaction.reverses_id) == Disbursement.transaction_id,
            ),
        )
        .join(Posting, col(Posting.transaction_id) == LedgerTransaction.id)
        .join(Child, col(Child.code) == Disbursement.child_code)
        .where(col(Posting.account_id) == Child.payable_account_id)
        .group_by(col(Disbursement.child_code), col(Disbursement.month), col(Disbursement.program))
    )
    if children is not None:
        query = query.where(col(Disbursement.child_code).in_(list(children)))
    if branch_ids is not None:
        query = query.where(col(Child.branch_id).in_(list(branch_ids)))
    if programs is not None:
        query = query.where(col(Disbursement.program).in_(list(programs)))
    if start is not None:
        query = query.where(col(Disbursement.month) >= start)
    if end is not None:
        query = query.where(col(Disbursement.month) <= end)
    return {(code, Month.of(month), program): int(amount) for code, month, program, amount in session.execute(query)}
