"""Pledges over HTTP: a pledge, its schedule, and its changes from a month on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlmodel import Session, col, select

from api import scoping
from api.deps import CurrentUser, SessionDep, in_own_transaction
from api.routes.common import Code
from api.schemas import register as schemas
from api.schemas.common import MONTH_PATTERN
from ledger.months import Month
from ledger.register import pledges
from ledger.register.models import Child, Pledge, PledgeChange, Sponsor

router = APIRouter(tags=["register"])


def pledge_out(db: Session, pledge: Pledge) -> schemas.PledgeOut:
    sponsor, child = db.get(Sponsor, pledge.sponsor_id), db.get(Child, pledge.child_id)
    assert sponsor is not None and child is not None
    return schemas.PledgeOut(
        code=pledge.code,
        sponsor=sponsor.code,
        child=child.code,
        monthly_amount=pledge.monthly_amount,
        start_month=f"{pledge.start_month:%Y-%m}",
        end_month=f"{pledge.end_month:%Y-%m}" if pledge.end_month else None,
        frequency=pledge.frequency,
    )


@router.get("/pledges/{code}", response_model=schemas.PledgeOut)
async def get_pledge(code: Code, db: SessionDep, scope: CurrentUser) -> schemas.PledgeOut:
    return pledge_out(db, scoping.pledge(db, scope, code))


@router.get("/pledges/{code}/schedule", response_model=list[schemas.ScheduledMonthOut])
async def pledge_schedule(
    code: Code,
    db: SessionDep,
    scope: CurrentUser,
    through: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
) -> list[schemas.ScheduledMonthOut]:
    """Each scheduled month with what was paid towards it and what is still owed."""
    pledge = scoping.pledge(db, scope, code)
    last = Month.parse(through) if through else None
    months = pledges.schedules(db, [pledge]).get(pledge.id, [])
    paid = pledges.allocated(db, [pledge.id])
    return [
        schemas.ScheduledMonthOut(
            month=str(m.month),
            amount=m.amount,
            allocated=paid.get((pledge.id, m.month), 0),
            arrears=max(0, m.amount - paid.get((pledge.id, m.month), 0)),
        )
        for m in months
        if last is None or m.month <= last
    ]


@router.get("/pledges/{code}/changes", response_model=list[schemas.PledgeChangeOut])
async def pledge_changes(code: Code, db: SessionDep, scope: CurrentUser) -> list[schemas.PledgeChangeOut]:
    pledge = scoping.pledge(db, scope, code)
    changes = db.scalars(
        select(PledgeChange).where(col(PledgeChange.pledge_id) == pledge.id).order_by(col(PledgeChange.id))
    )
    return [change_out(db, c) for c in changes]


def change_out(db: Session, change: PledgeChange) -> schemas.PledgeChangeOut:
    moved_to = db.get(Child, change.child_id) if change.child_id else None
    return schemas.PledgeChangeOut(
        kind={"amount": "change-amount"}.get(change.kind, change.kind),
        from_month=f"{change.from_month:%Y-%m}",
        until_month=f"{change.until_month:%Y-%m}" if change.until_month else None,
        amount=change.amount,
        child=moved_to.code if moved_to else None,
        reason=change.reason,
        recorded_by=change.recorded_by,
    )


@router.post("/pledges/{code}/changes", response_model=schemas.PledgeChangeOut, status_code=status.HTTP_201_CREATED)
async def change_pledge(
    code: Code, body: schemas.PledgeChangeIn, request: Request, db: SessionDep, scope: CurrentUser
) -> schemas.PledgeChangeOut:
    """Pause, change the amount, move to another child or end a pledge from a month on; the past never changes."""
    kind = {"change-amount": "amount"}.get(body.kind, body.kind)

    def work(session: Session) -> PledgeChange:
        change = pledges.change_pledge(
            session,
            pledge=code,
            kind=kind,
            from_month=Month.parse(body.from_month),
            until_month=Month.parse(body.until_month) if body.until_month else None,
            amount=body.amount,
            child=body.child,
            reason=body.reason,
            actor=scope,
        )
        return change

    change = await in_own_transaction(request, db, work)
    return change_out(db, change)


# --- payments ---------------------------------------------------------------------------
