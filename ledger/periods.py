"""Closed periods as posting reads them: once a branch closes a month, nothing is posted on a date inside it.

A branch's state is the latest of its period events (``ledger.closing`` writes them): closing
month M closes every day up to its last, reopening M opens M and every month after it. Both are
kept as events, so the history of closes and reopens is never lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from ledger.accounts import get_branch
from ledger.models import PeriodEvent


def closed_through(session: Session, branch_ids: Iterable[int]) -> dict[int, date]:
    """The last closed day of each branch that has one."""
    ids = sorted(set(branch_ids))
    if not ids:
        return {}
    latest = (
        select(func.max(PeriodEvent.id)).where(col(PeriodEvent.branch_id).in_(ids)).group_by(col(PeriodEvent.branch_id))
    )
    rows = session.execute(
        select(PeriodEvent.branch_id, col(PeriodEvent.closed_through)).where(col(PeriodEvent.id).in_(latest))
    )
    return {branch_id: through for branch_id, through in rows if through is not None}


def period_history(session: Session, branch: str) -> list[PeriodEvent]:
    owner = get_branch(session, branch)
    return list(
        session.scalars(select(PeriodEvent).where(col(PeriodEvent.branch_id) == owner.id).order_by(col(PeriodEvent.id)))
    )
