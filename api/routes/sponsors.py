"""Sponsors over HTTP: the sponsor, their pledges, children, payments and arrears."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import Session, col, select

from api import scoping
from api.deps import CurrentUser, SessionDep
from api.routes.children import child_for_sponsor
from api.routes.common import Code, Limit, Offset, _in_scope
from api.routes.payments import payment_out
from api.routes.pledges import pledge_out
from api.schemas import register as schemas
from api.schemas.common import MONTH_PATTERN
from ledger.models import Branch
from ledger.months import Month, today_in_vietnam
from ledger.register import pledges
from ledger.register.finding import typed_as
from ledger.register.models import Child, Pledge, Sponsor
from ledger.register.payments import payments_of

router = APIRouter(tags=["register"])


def sponsor_out(db: Session, sponsor: Sponsor) -> schemas.SponsorOut:
    branch = db.get(Branch, sponsor.branch_id)
    assert branch is not None
    return schemas.SponsorOut(
        code=sponsor.code,
        name=sponsor.name,
        kind=sponsor.kind,
        phone=sponsor.phone,
        email=sponsor.email,
        language=sponsor.language,
        branch=branch.code,
    )


@router.get("/sponsors", response_model=list[schemas.SponsorOut])
async def list_sponsors(
    db: SessionDep,
    scope: CurrentUser,
    q: Annotated[str | None, Query(max_length=100, description="part of the code or name")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[schemas.SponsorOut]:
    scope.require_staff()
    query = (
        select(Sponsor)
        .where(_in_scope(Sponsor.branch_id, scope))
        .order_by(col(Sponsor.code))
        .limit(limit)
        .offset(offset)
    )
    if q:
        query = query.where(typed_as(Sponsor, q))  # without accents, any case, part of a name
    return [sponsor_out(db, s) for s in db.scalars(query)]


@router.get("/sponsors/{code}", response_model=schemas.SponsorOut)
async def get_sponsor(code: Code, db: SessionDep, scope: CurrentUser) -> schemas.SponsorOut:
    return sponsor_out(db, scoping.sponsor(db, scope, code))


@router.get("/sponsors/{code}/pledges", response_model=list[schemas.PledgeOut])
async def sponsor_pledges(code: Code, db: SessionDep, scope: CurrentUser) -> list[schemas.PledgeOut]:
    sponsor = scoping.sponsor(db, scope, code)
    return [
        pledge_out(db, p)
        for p in db.scalars(select(Pledge).where(col(Pledge.sponsor_id) == sponsor.id).order_by(col(Pledge.code)))
    ]


@router.get("/sponsors/{code}/children", response_model=list[schemas.ChildForSponsor])
async def sponsor_children(code: Code, db: SessionDep, scope: CurrentUser) -> list[schemas.ChildForSponsor]:
    """The children the sponsor supports, as a sponsor may see them: first name, age, commune."""
    sponsor = scoping.sponsor(db, scope, code)
    children = db.scalars(
        select(Child)
        .where(col(Child.id).in_(select(Pledge.child_id).where(col(Pledge.sponsor_id) == sponsor.id)))
        .order_by(col(Child.code))
    )
    return [child_for_sponsor(db, c) for c in children]


@router.get("/sponsors/{code}/payments", response_model=list[schemas.PaymentOut])
async def sponsor_payments(
    code: Code, db: SessionDep, scope: CurrentUser, limit: Limit = 100, offset: Offset = 0
) -> list[schemas.PaymentOut]:
    sponsor = scoping.sponsor(db, scope, code)
    return [payment_out(db, p) for p in payments_of(db, sponsor.id, limit=limit, offset=offset)]


@router.get("/sponsors/{code}/arrears", response_model=list[schemas.ArrearsLine])
async def sponsor_arrears(
    code: Code,
    db: SessionDep,
    scope: CurrentUser,
    through: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
) -> list[schemas.ArrearsLine]:
    """What the sponsor still owes, per pledge and month (scheduled − paid), up to ``through`` (default: this month)."""
    sponsor = scoping.sponsor(db, scope, code)
    last = Month.parse(through) if through else Month.of(today_in_vietnam())
    rows = pledges.arrears_report(db, through=last, sponsor=sponsor.code)
    return [schemas.ArrearsLine(sponsor=s, pledge=p, month=m, amount=a) for s, p, m, a in rows]


@router.get("/arrears", response_model=list[schemas.ArrearsLine])
async def arrears(
    db: SessionDep,
    scope: CurrentUser,
    through: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
    branch: Annotated[
        str | None, Query(max_length=64, description="sponsors of this branch (default: your scope)")
    ] = None,
) -> list[schemas.ArrearsLine]:
    """Arrears of every sponsor in your scope."""
    scope.require_staff()
    last = Month.parse(through) if through else Month.of(today_in_vietnam())
    visible = {s.code for s in db.scalars(select(Sponsor).where(_in_scope(Sponsor.branch_id, scope)))}
    if branch is not None:
        owner = scoping.branch(db, scope, branch)
        visible = {s.code for s in db.scalars(select(Sponsor).where(col(Sponsor.branch_id) == owner.id))}
    rows = pledges.arrears_report(db, through=last)
    return [schemas.ArrearsLine(sponsor=s, pledge=p, month=m, amount=a) for s, p, m, a in rows if s in visible]


# --- children ---------------------------------------------------------------------------
