"""Amounts far outside the usual: a payment the treasurer is asked about twice before it is recorded.

A sponsor pledging 500.000 ₫ a month who "pays" 50.000.000.000 ₫ is a typo nine times out of ten.
Twelve months of what she pledges, or the branch's ``payment-ceiling`` (50.000.000 ₫ unless set),
is the line: beyond it the form says why it asks and needs a second yes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from ledger.access import rights
from ledger.access.actor import Actor
from ledger.branch_settings import PAYMENT_CEILING, setting_in_force
from ledger.register.models import Pledge

MONTHS_AHEAD = 12


@dataclass(frozen=True, slots=True)
class UnusualAmount:
    amount: int
    monthly: int  # what the sponsor pledges a month now (0: no pledge running)
    ceiling: int

    @property
    def beyond_pledges(self) -> bool:
        return self.monthly > 0 and self.amount > MONTHS_AHEAD * self.monthly


def unusual_amount(session: Session, actor: Actor, *, sponsor: str, amount: int, on: date) -> UnusualAmount | None:
    """Why ``amount`` from ``sponsor`` should be asked about again, or None when it is within the usual."""
    found = rights.sponsor(session, actor, sponsor)
    first = on.replace(day=1)
    monthly = session.scalar(
        select(func.coalesce(func.sum(Pledge.monthly_amount), 0)).where(
            col(Pledge.sponsor_id) == found.id,
            col(Pledge.start_month) <= first,
            or_(col(Pledge.end_month).is_(None), col(Pledge.end_month) >= first),
        )
    )
    ceiling = int(setting_in_force(session, found.branch_id, PAYMENT_CEILING))
    unusual = UnusualAmount(amount, int(monthly or 0), ceiling)
    return unusual if amount > ceiling or unusual.beyond_pledges else None
