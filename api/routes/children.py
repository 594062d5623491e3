"""Children over HTTP: the register's record, what reached the child, coverage, eligibility, consent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlmodel import Session, col, select

from api import scoping
from api.deps import CurrentUser, Language, SessionDep, in_own_transaction
from api.routes.common import Code, Limit, MonthQuery, Offset, _in_scope
from api.routes.pledges import pledge_out
from api.schemas import register as schemas
from api.schemas.common import MONTH_PATTERN
from ledger.access import audit
from ledger.disbursement.received import received
from ledger.errors import InvalidEntry
from ledger.ground.programs import GODMOTHER, age_on
from ledger.models import Branch
from ledger.months import Month, today_in_vietnam
from ledger.register import consent, pledges, queries
from ledger.register.finding import typed_as
from ledger.register.models import Child, Enrolment

router = APIRouter(tags=["register"])


def _commune(db: Session, branch_id: int) -> Branch:
    branch = db.get(Branch, branch_id)
    assert branch is not None
    while branch.level == "group" and branch.parent_id is not None:
        parent = db.get(Branch, branch.parent_id)
        assert parent is not None
        branch = parent
    return branch


def child_for_sponsor(db: Session, child: Child) -> schemas.ChildForSponsor:
    """Only what a sponsor may know (docs/roles-and-privacy.md); a withdrawn consent leaves the code and age."""
    words = child.full_name.split()
    first_name = words[-1] if words and child.consent_withdrawn_on is None else ""
    return schemas.ChildForSponsor(
        code=child.code,
        first_name=first_name,
        age=age_on(child.date_of_birth, today_in_vietnam()),
        commune=_commune(db, child.branch_id).name,
    )


def child_out(db: Session, child: Child) -> schemas.ChildOut:
    branch = db.get(Branch, child.branch_id)
    fund, payable = queries.child_balances(db, child)
    assert branch is not None
    return schemas.ChildOut(
        code=child.code,
        full_name=child.full_name,
        date_of_birth=child.date_of_birth,
        gender=child.gender,
        branch=branch.code,
        categories=list(child.categories),
        in_school_until=child.in_school_until,
        guardian_name=child.guardian_name,
        guardian_relation=child.guardian_relation,
        guardian_phone=child.guardian_phone,
        guardian_id_number=child.guardian_id_number,
        guardian_bank=child.guardian_bank,
        consent_guardian_on=child.consent_guardian_on,
        consent_child_on=child.consent_child_on,
        consent_withdrawn_on=child.consent_withdrawn_on,
        health_card_valid_until=child.health_card_valid_until,
        died_on=child.died_on,
        fund_balance=fund,
        payable_balance=payable,
    )


@router.get("/children", response_model=list[schemas.ChildSummary])
async def list_children(
    db: SessionDep,
    scope: CurrentUser,
    branch: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=100, description="part of the code or name")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[schemas.ChildSummary]:
    """Children in your scope (no guardian or health data: read a child's record for that)."""
    scope.require_staff()
    query = (
        select(Child, Branch.code)
        .join(Branch, col(Branch.id) == Child.branch_id)
        .where(_in_scope(Child.branch_id, scope))
    )
    if branch is not None:
        query = query.where(col(Child.branch_id) == scoping.branch(db, scope, branch).id)
    if q:
        query = query.where(typed_as(Child, q))  # without accents, any case, part of a name
    rows = db.execute(query.order_by(col(Child.code)).limit(limit).offset(offset)).all()
    return [
        schemas.ChildSummary(code=c.code, full_name=c.full_name, date_of_birth=c.date_of_birth, branch=b)
        for c, b in rows
    ]


@router.get("/children/{code}", response_model=schemas.ChildOut | schemas.ChildForSponsor)
async def get_child(code: Code, db: SessionDep, scope: CurrentUser) -> schemas.ChildOut | schemas.ChildForSponsor:
    """A child's full record for staff (each read is written to the audit log); a sponsor of the
    child sees only the first name, age and commune."""
    child = scoping.child(db, scope, code)
    if scope.is_sponsor:
        return child_for_sponsor(db, child)
    audit.record(db, actor=scope, action="child.read", subject=f"child:{code}", branch_id=child.branch_id)
    out = child_out(db, child)
    db.commit()
    return out


@router.get("/children/{code}/received", response_model=schemas.ChildReceivedOut)
async def child_received(
    code: Code,
    db: SessionDep,
    scope: CurrentUser,
    start: Annotated[str | None, Query(alias="from", pattern=MONTH_PATTERN)] = None,
    end: Annotated[str | None, Query(alias="to", pattern=MONTH_PATTERN)] = None,
) -> schemas.ChildReceivedOut:
    """What was disbursed to the child, month by month (sponsors: the Godmother program only)."""
    child = scoping.child(db, scope, code)
    found = received(
        db,
        children=[child.code],
        programs=[GODMOTHER] if scope.is_sponsor else None,
        start=Month.parse(start).first_day if start else None,
        end=Month.parse(end).first_day if end else None,
    )
    return schemas.ChildReceivedOut(
        child=child.code,
        months=[
            schemas.DisbursedMonth(month=str(month), program=program, paid=amount)
            for (_, month, program), amount in sorted(found.items(), key=lambda item: (item[0][1], item[0][2]))
        ],
    )


@router.get("/children/{code}/pledges", response_model=list[schemas.PledgeOut])
async def child_pledges(code: Code, db: SessionDep, scope: CurrentUser) -> list[schemas.PledgeOut]:
    scope.require_staff()
    child = scoping.child(db, scope, code)
    return [pledge_out(db, p) for p in pledges.pledges_of_child(db, child.id)]


@router.get("/children/{code}/enrolments", response_model=list[schemas.EnrolmentOut])
async def child_enrolments(code: Code, db: SessionDep, scope: CurrentUser) -> list[schemas.EnrolmentOut]:
    scope.require_staff()
    child = scoping.child(db, scope, code)
    rows = db.scalars(
        select(Enrolment).where(col(Enrolment.child_id) == child.id).order_by(col(Enrolment.decision_date))
    )
    return [
        schemas.EnrolmentOut(
            child=child.code,
            program=e.program,
            decision_number=e.decision_number,
            decision_date=e.decision_date,
            end_date=e.end_date,
        )
        for e in rows
    ]


@router.get("/children/{code}/coverage", response_model=list[schemas.CoverageMonth])
async def child_coverage(
    code: Code,
    db: SessionDep,
    scope: CurrentUser,
    start: Annotated[str, Query(alias="from", pattern=MONTH_PATTERN)],
    end: Annotated[str, Query(alias="to", pattern=MONTH_PATTERN)],
) -> list[schemas.CoverageMonth]:
    """What the child's sponsors pledge for each month (several sponsors may share a child)."""
    scope.require_staff()
    child = scoping.child(db, scope, code)
    first, last = Month.parse(start), Month.parse(end)
    if (last.year - first.year) * 12 + last.month - first.month > 240:
        raise InvalidEntry("ask for at most 240 months at a time")
    return [
        schemas.CoverageMonth(month=str(m), pledges=[{"pledge": p, "sponsor": s, "amount": a} for p, s, a in items])
        for m, items in pledges.coverage(db, child.code, first, last)
    ]


@router.get("/children/{code}/eligibility", response_model=schemas.EligibilityOut)
async def child_eligibility(
    code: Code,
    db: SessionDep,
    scope: CurrentUser,
    lang: Language,
    month: MonthQuery,
    program: Annotated[str, Query(pattern=r"^(godmother|social-allowance)$")] = "social-allowance",
) -> schemas.EligibilityOut:
    """Whether the child is paid in a month, how much, and why, rule by rule with its legal source."""
    scope.require_staff()
    child = scoping.child(db, scope, code)
    decision = queries.explain(db, child.code, Month.parse(month), program)
    return schemas.EligibilityOut(
        child=decision.child,
        program=decision.program,
        month=str(decision.month),
        eligible=decision.eligible,
        amount=decision.amount,
        reasons=[
            {"rule": r.rule, "text": r.text(lang), "vi": r.vi, "en": r.en, "source": r.source} for r in decision.reasons
        ],
    )


@router.post("/children/{code}/consent-withdrawal", response_model=schemas.ChildOut)
async def withdraw_consent(
    code: Code, body: schemas.ConsentWithdrawalIn, request: Request, db: SessionDep, scope: CurrentUser
) -> schemas.ChildOut:
    """Consent withdrawn: the child's and guardian's personal fields are anonymised; the money
    history (funds, decisions, disbursements) is kept."""

    def work(session: Session) -> Child:
        return consent.withdraw_consent(
            session, child=code, on=body.on or today_in_vietnam(), actor=scope, reason=body.reason
        )

    record = await in_own_transaction(request, db, work)
    db.expire_all()
    return child_out(db, record)


# --- pledges ----------------------------------------------------------------------------
