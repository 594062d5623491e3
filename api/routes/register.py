"""The register over HTTP: branches, sponsors, children, pledges, enrolments, payments,
arrears, coverage, eligibility explanations and consent withdrawal."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from sqlalchemy import or_, select
from sqlmodel import Session

from api import schemas, scoping
from api.deps import CurrentUser, Language, SessionDep, in_own_transaction
from api.routes.ledger import IdempotencyKey
from ledger import branch_settings, journal
from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.disbursement.received import received
from ledger.eligibility.decide import GODMOTHER, age_on
from ledger.errors import InvalidEntry
from ledger.models import Branch
from ledger.months import Month, today_in_vietnam
from ledger.register import consent, pledges, queries
from ledger.register.models import Child, Enrolment, Payment, Pledge, PledgeChange, Sponsor
from ledger.register.payments import payment_view, payments_of, record_payment_once

router = APIRouter(tags=["register"])

Code = Annotated[str, Path(min_length=1, max_length=64)]
MonthQuery = Annotated[str, Query(pattern=schemas.MONTH_PATTERN, examples=["2026-11"])]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10**9)]


# --- branches ---------------------------------------------------------------------------


def branch_out(db: Session, branch: Branch) -> schemas.BranchOut:
    parent = db.get(Branch, branch.parent_id) if branch.parent_id else None
    assert branch.id is not None
    four_eyes = branch_settings.setting_in_force(db, branch.id, branch_settings.FOUR_EYES) == "on"
    return schemas.BranchOut(
        code=branch.code,
        name=branch.name,
        level=branch.level,
        province=branch.province,
        parent=parent.code if parent else None,
        four_eyes=four_eyes,
    )


@router.get("/branches", response_model=list[schemas.BranchOut])
async def list_branches(db: SessionDep, scope: CurrentUser) -> list[schemas.BranchOut]:
    """The branches in your scope."""
    scope.require_staff()
    query = select(Branch).order_by(Branch.code)
    if not scope.is_admin:
        query = query.where(Branch.id.in_(scope.branch_ids or ()))  # type: ignore[union-attr]
    return [branch_out(db, b) for b in db.scalars(query)]


@router.get("/branches/{code}", response_model=schemas.BranchOut)
async def get_branch(code: Code, db: SessionDep, scope: CurrentUser) -> schemas.BranchOut:
    return branch_out(db, scoping.branch(db, scope, code))


@router.put("/branches/{code}/settings/{name}", response_model=schemas.BranchOut)
async def set_branch_setting(
    code: Code,
    name: Annotated[str, Path(max_length=64, examples=["four-eyes"])],
    body: schemas.BranchSettingIn,
    db: SessionDep,
    scope: CurrentUser,
) -> schemas.BranchOut:
    """Change a branch setting (administrators); branches below inherit it. E.g. four-eyes on."""
    branch = scoping.branch(db, scope, code)
    branch_settings.set_branch_setting(db, branch=code, name=name, value=body.value, actor=scope)
    db.commit()
    return branch_out(db, branch)


# --- sponsors ---------------------------------------------------------------------------


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


def _in_scope(column: Any, scope: Actor) -> Any:
    return column.in_(scope.branch_ids or ()) if not scope.is_admin else True


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
        select(Sponsor).where(_in_scope(Sponsor.branch_id, scope)).order_by(Sponsor.code).limit(limit).offset(offset)
    )
    if q:
        query = query.where(or_(Sponsor.code.contains(q), Sponsor.name.contains(q)))  # type: ignore[attr-defined]
    return [sponsor_out(db, s) for s in db.scalars(query)]


@router.get("/sponsors/{code}", response_model=schemas.SponsorOut)
async def get_sponsor(code: Code, db: SessionDep, scope: CurrentUser) -> schemas.SponsorOut:
    return sponsor_out(db, scoping.sponsor(db, scope, code))


@router.get("/sponsors/{code}/pledges", response_model=list[schemas.PledgeOut])
async def sponsor_pledges(code: Code, db: SessionDep, scope: CurrentUser) -> list[schemas.PledgeOut]:
    sponsor = scoping.sponsor(db, scope, code)
    return [
        pledge_out(db, p)
        for p in db.scalars(select(Pledge).where(Pledge.sponsor_id == sponsor.id).order_by(Pledge.code))
    ]


@router.get("/sponsors/{code}/children", response_model=list[schemas.ChildForSponsor])
async def sponsor_children(code: Code, db: SessionDep, scope: CurrentUser) -> list[schemas.ChildForSponsor]:
    """The children the sponsor supports, as a sponsor may see them: first name, age, commune."""
    sponsor = scoping.sponsor(db, scope, code)
    children = db.scalars(
        select(Child)
        .where(Child.id.in_(select(Pledge.child_id).where(Pledge.sponsor_id == sponsor.id)))
        .order_by(Child.code)  # type: ignore[union-attr]
    )
    return [child_for_sponsor(db, c) for c in children]


@router.get("/sponsors/{code}/payments", response_model=list[schemas.PaymentOut])
async def sponsor_payments(
    code: Code, db: SessionDep, scope: CurrentUser, limit: Limit = 100, offset: Offset = 0
) -> list[schemas.PaymentOut]:
    sponsor = scoping.sponsor(db, scope, code)
    return [payment_out(db, p) for p in payments_of(db, sponsor.id, limit=limit, offset=offset)]  # type: ignore[arg-type]


@router.get("/sponsors/{code}/arrears", response_model=list[schemas.ArrearsLine])
async def sponsor_arrears(
    code: Code,
    db: SessionDep,
    scope: CurrentUser,
    through: Annotated[str | None, Query(pattern=schemas.MONTH_PATTERN)] = None,
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
    through: Annotated[str | None, Query(pattern=schemas.MONTH_PATTERN)] = None,
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
        visible = {s.code for s in db.scalars(select(Sponsor).where(Sponsor.branch_id == owner.id))}
    rows = pledges.arrears_report(db, through=last)
    return [schemas.ArrearsLine(sponsor=s, pledge=p, month=m, amount=a) for s, p, m, a in rows if s in visible]


# --- children ---------------------------------------------------------------------------


def _commune(db: Session, branch_id: int) -> Branch:
    branch = db.get(Branch, branch_id)
    assert branch is not None
    while branch.level == "group" and branch.parent_id is not None:
        parent = db.get(Branch, branch.parent_id)
        assert parent is not None
        branch = parent
    return branch


def child_for_sponsor(db: Session, child: Child) -> schemas.ChildForSponsor:
    """Only what a sponsor may know (people.md); a withdrawn consent leaves the code and age."""
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
        select(Child, Branch.code).join(Branch, Branch.id == Child.branch_id).where(_in_scope(Child.branch_id, scope))
    )
    if branch is not None:
        query = query.where(Child.branch_id == scoping.branch(db, scope, branch).id)
    if q:
        query = query.where(or_(Child.code.contains(q), Child.full_name.contains(q)))  # type: ignore[attr-defined]
    rows = db.execute(query.order_by(Child.code).limit(limit).offset(offset)).all()
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
    start: Annotated[str | None, Query(alias="from", pattern=schemas.MONTH_PATTERN)] = None,
    end: Annotated[str | None, Query(alias="to", pattern=schemas.MONTH_PATTERN)] = None,
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
    return [pledge_out(db, p) for p in pledges.pledges_of_child(db, child.id)]  # type: ignore[arg-type]


@router.get("/children/{code}/enrolments", response_model=list[schemas.EnrolmentOut])
async def child_enrolments(code: Code, db: SessionDep, scope: CurrentUser) -> list[schemas.EnrolmentOut]:
    scope.require_staff()
    child = scoping.child(db, scope, code)
    rows = db.scalars(select(Enrolment).where(Enrolment.child_id == child.id).order_by(Enrolment.decision_date))
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
    start: Annotated[str, Query(alias="from", pattern=schemas.MONTH_PATTERN)],
    end: Annotated[str, Query(alias="to", pattern=schemas.MONTH_PATTERN)],
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
    through: Annotated[str | None, Query(pattern=schemas.MONTH_PATTERN)] = None,
) -> list[schemas.ScheduledMonthOut]:
    """Each scheduled month with what was paid towards it and what is still owed."""
    pledge = scoping.pledge(db, scope, code)
    last = Month.parse(through) if through else None
    months = pledges.schedules(db, [pledge]).get(pledge.id, [])  # type: ignore[arg-type]
    paid = pledges.allocated(db, [pledge.id])  # type: ignore[list-item]
    return [
        schemas.ScheduledMonthOut(
            month=str(m.month),
            amount=m.amount,
            allocated=paid.get((pledge.id, m.month), 0),  # type: ignore[arg-type]
            arrears=max(0, m.amount - paid.get((pledge.id, m.month), 0)),  # type: ignore[arg-type]
        )
        for m in months
        if last is None or m.month <= last
    ]


@router.get("/pledges/{code}/changes", response_model=list[schemas.PledgeChangeOut])
async def pledge_changes(code: Code, db: SessionDep, scope: CurrentUser) -> list[schemas.PledgeChangeOut]:
    pledge = scoping.pledge(db, scope, code)
    changes = db.scalars(select(PledgeChange).where(PledgeChange.pledge_id == pledge.id).order_by(PledgeChange.id))
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


def payment_out(db: Session, payment: Payment) -> schemas.PaymentOut:
    shown = payment_view(db, payment)
    shares = shown.allocation
    assert payment.id is not None
    return schemas.PaymentOut(
        id=payment.id,
        sponsor=shown.sponsor,
        amount=payment.amount,
        paid_on=payment.paid_on,
        method=payment.method,
        reference=payment.reference,
        payer=payment.payer,
        transaction=payment.transaction_id,
        allocation=[schemas.AllocationOut(pledge=p, month=m, amount=a) for p, m, a in shares],
        unallocated=shown.unallocated,
        reversed_by=shown.reversed_by,
    )


def visible_payment(db: Session, scope: Actor, payment_id: int) -> Payment:
    return rights.payment(db, scope, payment_id)


@router.get("/payments/{payment_id}", response_model=schemas.PaymentOut)
async def get_payment(
    payment_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: SessionDep, scope: CurrentUser
) -> schemas.PaymentOut:
    """A payment and how it was allocated to pledge months."""
    return payment_out(db, visible_payment(db, scope, payment_id))


@router.post(
    "/payments",
    response_model=schemas.PaymentOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": schemas.PaymentOut, "description": "a replay of the same Idempotency-Key"}},
)
async def create_payment(
    body: schemas.PaymentCreate,
    request: Request,
    response: Response,
    db: SessionDep,
    scope: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> schemas.PaymentOut:
    """Record a sponsor payment: posted, then allocated to the named pledge or the sponsor's oldest unpaid months."""
    key = journal.scoped_key(scope, idempotency_key, "api-payment")

    def work(session: Session) -> tuple[int, bool]:
        payment, created = record_payment_once(
            session,
            sponsor=body.sponsor,
            amount=body.amount,
            paid_on=body.paid_on,
            method=body.method,
            bank_account=body.bank_account,
            pledge=body.pledge,
            reference=body.reference,
            payer=body.payer,
            actor=scope,
            idempotency_key=key,
        )
        assert payment.id is not None
        return payment.id, not created

    payment_id, replayed = await in_own_transaction(request, db, work)
    if replayed:
        response.status_code = status.HTTP_200_OK
    db.expire_all()
    return payment_out(db, visible_payment(db, scope, payment_id))
