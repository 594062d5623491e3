"""Reading runs as they were kept: a month's runs, a run's summary for its reader, its decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from ledger.access import rights
from ledger.access.actor import Actor
from ledger.accounts import branch_and_descendants
from ledger.branch_settings import FOUR_EYES, settings_in_force
from ledger.disbursement.models import Run, RunDecision
from ledger.eligibility.reasons import Reason
from ledger.errors import RunNotFound
from ledger.models import Branch, Disbursement
from ledger.months import Month
from ledger.register.models import Child, Pledge

# --- reading runs -----------------------------------------------------------------------


def runs(session: Session, month: Month | None = None) -> list[Run]:
    """Monthly runs, newest first (of one month if given)."""
    query = select(Run).order_by(col(Run.id).desc())
    if month is not None:
        query = query.where(col(Run.month) == month.first_day)
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """A decision as a run kept it, with the disbursement transaction that paid it, if any."""

    id: int
    run_id: int
    child: str
    program: str
    month: Month
    eligible: bool
    due: int
    catch_up: int
    paid: int
    shortfall: int
    reasons: list[dict[str, Any]]
    transaction_id: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "child": self.child,
            "program": self.program,
            "month": str(self.month),
            "eligible": self.eligible,
            "due": self.due,
            "catch_up": self.catch_up,
            "paid": self.paid,
            "shortfall": self.shortfall,
            "transaction": self.transaction_id,
            "reasons": self.reasons,
        }


def summary_seen_by(session: Session, found: Run, actor: Actor) -> dict[str, Any]:
    """A run's summary as the actor may read it. A run wider than their branches (the province's,
    or every branch's) shows its totals, but names only the children and pledges of their own."""
    summary = dict(found.summary)
    if actor.branch_ids is None:
        return summary
    covered = (
        {b.id for b in branch_and_descendants(session, get_branch_by_id(session, found.branch_id).code)}
        if found.branch_id is not None
        else set(session.scalars(select(Branch.id)))
    )
    if covered <= actor.branch_ids:
        return summary
    children = set(session.scalars(select(Child.code).where(col(Child.branch_id).in_(actor.branch_ids))))
    pledges = set(
        session.scalars(
            select(Pledge.code)
            .join(Child, col(Child.id) == Pledge.child_id)
            .where(col(Child.branch_id).in_(actor.branch_ids))
        )
    )
    summary["aged_out"] = [c for c in summary.get("aged_out", []) if c in children]
    if "left_school" in summary:
        summary["left_school"] = [c for c in summary["left_school"] if c in children]
    summary["pledges_ended"] = [p for p in summary.get("pledges_ended", []) if p in pledges]
    return summary


def get_branch_by_id(session: Session, branch_id: int) -> Branch:
    found = session.get(Branch, branch_id)
    assert found is not None
    return found


def decisions_of(session: Session, run_id: int, *, child: str | None = None) -> list[StoredDecision]:
    """The decisions of a run (of one child if given), in child-code order."""
    if session.get(Run, run_id) is None:
        raise RunNotFound(run_id)
    query = (
        select(RunDecision, Child.code, Disbursement.transaction_id)
        .join(Child, col(Child.id) == RunDecision.child_id)
        .outerjoin(
            Disbursement,
            (col(Disbursement.child_code) == Child.code)
            & (col(Disbursement.program) == RunDecision.program)
            & (col(Disbursement.month) == RunDecision.month),
        )
        .where(col(RunDecision.run_id) == run_id)
        .order_by(col(Child.code), col(RunDecision.program))
    )
    if child is not None:
        query = query.where(col(Child.code) == child)
    return [
        StoredDecision(
            d.id,
            d.run_id,
            code,
            d.program,
            Month.of(d.month),
            d.eligible,
            d.due,
            d.catch_up,
            d.paid,
            d.shortfall,
            [Reason.stored(kept).as_read() for kept in d.reasons],
            transaction_id if d.paid else None,
        )
        for d, code, transaction_id in session.execute(query)
    ]


# --- the month's state, for the run page ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MonthState:
    """Where a branch's month stands: not run, prepared (waiting for a second person), approved, or paid.

    The run that counts is the newest standing one covering the branch: its own, or an
    ancestor's (a province run pays its communes too). A month closed and reopened keeps it.
    """

    branch: str
    month: Month
    begun: bool
    four_eyes: bool
    run: Run | None

    @property
    def status(self) -> str:
        return "not-run" if self.run is None else self.run.status


def month_state(session: Session, actor: Actor, branch: str, month: Month, *, today: date) -> MonthState:
    home = rights.branch(session, actor, branch)
    above = _ancestors(session, home)  # a run of the branch itself, of a branch above it, or of every branch
    covering = session.scalar(
        select(Run)
        .where(
            col(Run.month) == month.first_day,
            col(Run.status) != "superseded",
            col(Run.branch_id).is_(None) | col(Run.branch_id).in_([home.id, *above]),
        )
        .order_by(col(Run.id).desc())
        .limit(1)
    )
    scope = {b.id for b in branch_and_descendants(session, branch)}
    four_eyes = "on" in settings_in_force(session, scope, FOUR_EYES).values()
    return MonthState(branch, month, month.first_day <= today, four_eyes, covering)


def _ancestors(session: Session, branch: Branch) -> list[int]:
    found: list[int] = []
    parent = branch.parent_id
    while parent is not None and parent not in found:
        found.append(parent)
        above = session.get(Branch, parent)
        parent = above.parent_id if above is not None else None
    return found


def decisions_seen_by(session: Session, actor: Actor, run_id: int) -> list[StoredDecision]:
    """A run's decisions for the children the actor sees."""
    seen = (
        None
        if actor.branch_ids is None
        else set(session.scalars(select(Child.code).where(col(Child.branch_id).in_(actor.branch_ids))))
    )
    return [d for d in decisions_of(session, run_id) if seen is None or d.child in seen]
