"""What reached children: the disbursements credited to their guardians' payables, net of reversals."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import func, or_, select
from sqlmodel import Session

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
        select(Disbursement.child_code, Disbursement.month, Disbursement.program, -func.sum(Posting.amount))
        .join(
            LedgerTransaction,
            or_(
                LedgerTransaction.id == Disbursement.transaction_id,
                LedgerTransaction.reverses_id == Disbursement.transaction_id,
            ),
        )
        .join(Posting, Posting.transaction_id == LedgerTransaction.id)
        .join(Child, Child.code == Disbursement.child_code)
        .where(Posting.account_id == Child.payable_account_id)
        .group_by(Disbursement.child_code, Disbursement.month, Disbursement.program)
    )
    if children is not None:
        query = query.where(Disbursement.child_code.in_(list(children)))
    if branch_ids is not None:
        query = query.where(Child.branch_id.in_(list(branch_ids)))
    if programs is not None:
        query = query.where(Disbursement.program.in_(list(programs)))
    if start is not None:
        query = query.where(Disbursement.month >= start)
    if end is not None:
        query = query.where(Disbursement.month <= end)
    return {(code, Month.of(month), program): int(amount) for code, month, program, amount in session.execute(query)}
