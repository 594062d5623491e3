"""A child's record as a treasurer or auditor reads it: who she is, what covers her, what reached her, and why.

Reading it is access-logged (``child.view``): a child's record is personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.disbursement.models import Evidence, Handover
from ledger.disbursement.received import received
from ledger.eligibility.decide import Decision
from ledger.errors import NotFound
from ledger.ground.programs import GODMOTHER, SOCIAL_ALLOWANCE, age_on
from ledger.models import Branch
from ledger.months import Month
from ledger.register import pledges as pledge_book
from ledger.register.models import CategoryChange, Child, Enrolment, Pledge, PledgeChange, Sponsor
from ledger.register.queries import child_balances, explain
from ledger.schedule.models import Notice

COVERAGE_MONTHS = 12  # the months around today the coverage table shows


@dataclass(frozen=True, slots=True)
class PledgeLine:
    code: str
    sponsor: str
    sponsor_name: str
    monthly_amount: int
    start: Month
    end: Month | None
    arrears: int
    changes: list[PledgeChange]
    here: bool  # still this child's (not moved to another)


@dataclass(frozen=True, slots=True)
class CoveredMonth:
    month: Month
    pledges: list[tuple[str, str, int]]  # pledge, sponsor, amount scheduled for the child
    received: dict[str, int]  # program → đồng disbursed for the month


@dataclass(frozen=True, slots=True)
class ChildRecord:
    child: Child
    branch: Branch
    age: int
    categories_history: list[CategoryChange]
    enrolments: list[Enrolment]
    pledges: list[PledgeLine]
    months: list[CoveredMonth]
    handovers: list[Handover]
    eligibility: list[Decision]  # this month and next, each program
    notices: list[Notice]
    fund: int
    payable: int
    may_write: bool


def child_record(session: Session, actor: Actor, code: str, *, today: date) -> ChildRecord:
    """Everything about one child of the actor's branches (``NotFound`` outside them); the reading is logged."""
    actor.require_staff()
    child = rights.child(session, actor, code)
    branch = session.get(Branch, child.branch_id)
    assert branch is not None and child.id is not None
    audit.record(session, actor=actor, action="child.view", subject=f"child:{child.code}", branch_id=child.branch_id)
    this = Month.of(today)
    first, last = this.plus(-(COVERAGE_MONTHS // 2)), this.plus(COVERAGE_MONTHS // 2 - 1)
    history = session.scalars(
        select(CategoryChange).where(col(CategoryChange.child_id) == child.id).order_by(col(CategoryChange.from_date))
    ).all()
    enrolments = session.scalars(
        select(Enrolment).where(col(Enrolment.child_id) == child.id).order_by(col(Enrolment.decision_date))
    ).all()
    handovers = session.scalars(
        select(Handover).where(col(Handover.child_id) == child.id).order_by(col(Handover.month).desc()).limit(24)
    ).all()
    notices = session.scalars(
        select(Notice).where(col(Notice.subject) == f"child:{child.code}").order_by(col(Notice.due_on).desc()).limit(20)
    ).all()
    fund, payable = child_balances(session, child)
    return ChildRecord(
        child=child,
        branch=branch,
        age=age_on(child.date_of_birth, today),
        categories_history=list(history),
        enrolments=list(enrolments),
        pledges=_pledges(session, child, this),
        months=_months(session, child, first, last),
        handovers=list(handovers),
        eligibility=[
            explain(session, child.code, m, p) for m in (this, this.next()) for p in (GODMOTHER, SOCIAL_ALLOWANCE)
        ],
        notices=list(notices),
        fund=-fund,
        payable=-payable,
        may_write=actor.may_write(child.branch_id),
    )


def _pledges(session: Session, child: Child, this: Month) -> list[PledgeLine]:
    assert child.id is not None
    found = pledge_book.pledges_of_child(session, child.id)
    sponsors = _sponsors(session, found)
    changes = pledge_book.changes_of(session, found)
    return [
        PledgeLine(
            code=p.code,
            sponsor=sponsors[p.sponsor_id].code,
            sponsor_name=sponsors[p.sponsor_id].name,
            monthly_amount=p.monthly_amount,
            start=Month.of(p.start_month),
            end=Month.of(p.end_month) if p.end_month else None,
            arrears=pledge_book.arrears(session, p, this),
            changes=changes.get(p.id, []),
            here=not any(c.kind == "move" and c.child_id != child.id for c in changes.get(p.id, [])),
        )
        for p in found
    ]


def _sponsors(session: Session, found: list[Pledge]) -> dict[int, Sponsor]:
    ids = sorted({p.sponsor_id for p in found})
    return {s.id: s for s in session.scalars(select(Sponsor).where(col(Sponsor.id).in_(ids)))} if ids else {}


def _months(session: Session, child: Child, first: Month, last: Month) -> list[CoveredMonth]:
    assert child.id is not None
    found = pledge_book.pledges_of_child(session, child.id)
    sponsors = _sponsors(session, found)
    planned = pledge_book.schedules(session, found)
    got = received(session, children=[child.code], start=first.first_day, end=last.first_day)
    months, month = [], first
    while month <= last:
        covering = [
            (p.code, sponsors[p.sponsor_id].code, s.amount)
            for p in found
            for s in planned[p.id]
            if s.month == month and s.child_id == child.id
        ]
        paid = {program: amount for (_, m, program), amount in got.items() if m == month}
        months.append(CoveredMonth(month, covering, paid))
        month = month.next()
    return months


def handover_slip(session: Session, actor: Actor, code: str, evidence_id: int) -> Evidence:
    """The slip a guardian signed for one of the child's handovers (``NotFound`` for any other file)."""
    actor.require_staff()
    child = rights.child(session, actor, code)
    found = session.scalar(
        select(Evidence)
        .join(Handover, col(Handover.evidence_id) == Evidence.id)
        .where(col(Handover.child_id) == child.id, col(Evidence.id) == evidence_id)
        .limit(1)
    )
    if found is None:
        raise NotFound(f"the child {code} has no slip {evidence_id}")
    return found
