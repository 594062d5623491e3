"""A pledge's schedule, what has been allocated to it, and how a payment is allocated.

A pledge schedules ``monthly_amount`` for every month from ``start_month`` to ``end_month``,
or, without an end, to the month in which the child reaches the Godmother age limit (the
child is paid for the month of that birthday and not after, rules.md). Arrears of a month =
scheduled − allocated. A payment pays the pledge it names, or else the payer's pledges, the
oldest unpaid month first (ties by pledge code); months ahead are paid in advance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from ledger.eligibility.decide import birthday
from ledger.eligibility.parameters import in_force, load
from ledger.months import Month
from ledger.register.models import Allocation, Child, Pledge


def scheduled_months(pledge: Pledge, child: Child, age_limit: int | None = None) -> list[Month]:
    """Every month the pledge schedules, in order."""
    limit = (
        age_limit
        if age_limit is not None
        else in_force(load().godmother_age_limit, pledge.start_month, "Godmother age limit").value
    )
    last = Month.of(birthday(child.date_of_birth, limit))
    if pledge.end_month is not None:
        last = min(last, Month.of(pledge.end_month))
    months, month = [], Month.of(pledge.start_month)
    while month <= last:
        months.append(month)
        month = month.next()
    return months


@dataclass(frozen=True, slots=True)
class Share:
    pledge: Pledge
    month: Month
    amount: int


def outstanding(session: Session, pledges: Sequence[Pledge]) -> list[Share]:
    """What is still owed on each scheduled month of ``pledges``, oldest first."""
    if not pledges:
        return []
    allocated = {
        (pledge_id, month): amount
        for pledge_id, month, amount in session.execute(
            select(Allocation.pledge_id, Allocation.month, func.sum(Allocation.amount))
            .where(Allocation.pledge_id.in_([p.id for p in pledges]))  # type: ignore[union-attr]
            .group_by(Allocation.pledge_id, Allocation.month)
        )
    }
    children = {c.id: c for c in session.scalars(select(Child).where(Child.id.in_({p.child_id for p in pledges})))}  # type: ignore[union-attr]
    owed = []
    for pledge in pledges:
        for month in scheduled_months(pledge, children[pledge.child_id]):
            left = pledge.monthly_amount - int(allocated.get((pledge.id, month.first_day), 0))
            if left > 0:
                owed.append(Share(pledge, month, left))
    return sorted(owed, key=lambda s: (s.month, s.pledge.code))


def allocate(session: Session, amount: int, pledges: Sequence[Pledge]) -> tuple[list[Share], int]:
    """Split ``amount`` over the oldest outstanding months; returns the shares and what is left over."""
    shares, left = [], amount
    for owed in outstanding(session, pledges):
        if left == 0:
            break
        paid = min(left, owed.amount)
        shares.append(Share(owed.pledge, owed.month, paid))
        left -= paid
    return shares, left


def arrears(session: Session, pledge: Pledge, through: Month) -> int:
    """Scheduled − allocated over the pledge's months up to and including ``through``."""
    return sum(s.amount for s in outstanding(session, [pledge]) if s.month <= through)
