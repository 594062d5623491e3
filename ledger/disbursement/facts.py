"""What a month's decisions are made from, gathered once for the whole run: the children, their
pledges' months, enrolments and categories, and the branch policies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ledger.db import is_sqlite
from ledger.eligibility import decide
from ledger.eligibility.decide import Decision
from ledger.eligibility.policy import BranchPolicies
from ledger.ground.programs import GODMOTHER, SOCIAL_ALLOWANCE
from ledger.models import Branch
from ledger.months import Month
from ledger.posting.entries import chunks
from ledger.register.categories import categories_on
from ledger.register.models import Child, Enrolment, Pledge, PledgeChange, Sponsor
from ledger.register.pledges import Terms


@dataclass(slots=True)
class ChildRow:
    """What planning needs of a child (the ORM object would cost ~10x the memory at 100,000)."""

    id: int
    code: str
    date_of_birth: date
    branch_id: int
    categories: frozenset[str]
    in_school_until: date | None
    died_on: date | None
    fund_account_id: int


def _child_row(row: Any, categories: frozenset[str] | None) -> ChildRow:
    id_, code, born, branch_id, recorded, in_school_until, died_on, fund_account_id = row
    held = frozenset(recorded) if categories is None else categories
    return ChildRow(id_, code, born, branch_id, held, in_school_until, died_on, fund_account_id)


class MonthFacts:
    """Everything a month's decisions depend on, read once: the register, funds, shortfalls.

    With ``branch_ids``, only the children of those branches (and their pledges, enrolments and
    categories) are read. Several scopes of one run may share the branches and their policies.
    """

    def __init__(
        self, session: Session, month: Month, branch_ids: set[int] | None = None, shared: SharedFacts | None = None
    ) -> None:
        self.session, self.month, self.scope = session, month, branch_ids
        shared = shared or SharedFacts.read(session)
        self.branches, self.policies = shared.branches, shared.policies
        self.children = self._children()
        self.by_code = {c.code: c for c in self.children.values()}
        self.pledges_now, self.pledges_before, self.pledges_ended = self._pledge_months()
        self.enrolments = self._enrolments()

    # --- reading -------------------------------------------------------------------------

    def in_scope(self, branch_id: int) -> bool:
        return self.scope is None or branch_id in self.scope

    def children_in_scope(self) -> Any:
        """The ids of the children in scope, as a subquery (every child without a scope)."""
        query = select(Child.id)
        return query if self.scope is None else query.where(col(Child.branch_id).in_(sorted(self.scope)))

    def _among(self, column: Any, ids: Any) -> Any:
        """``column`` is one of the ids ``ids`` selects. On PostgreSQL as ``= ANY(ARRAY(…))``, which
        is answered with ``column``'s index: as ``IN (…)`` the planner scanned the whole table (and
        hashed every sponsor beside the pledges) once for each province of a nation's run."""
        if is_sqlite(self.session):
            return col(column).in_(ids)
        return col(column) == sa.any_(sa.func.array(ids.scalar_subquery()))

    def _children(self) -> dict[int, ChildRow]:
        rows = self._child_rows(None if self.scope is None else col(Child.branch_id).in_(sorted(self.scope)))
        # Categories as they stood on the day the month is decided on (the last day of the month before),
        # and for the month before (to tell a child who stopped qualifying from one who never did).
        scope = None if self.scope is None else self.children_in_scope()
        dated = categories_on(self.session, self.month.previous().last_day, scope)
        self.categories_before = categories_on(self.session, self.month.previous().previous().last_day, scope)
        return {row[0]: _child_row(row, dated.get(row[0])) for row in rows}

    def _child_rows(self, where: Any) -> list[Any]:
        query = sa.select(
            col(Child.id),
            col(Child.code),
            col(Child.date_of_birth),
            col(Child.branch_id),
            col(Child.categories),
            col(Child.in_school_until),
            col(Child.died_on),
            col(Child.fund_account_id),
        )
        return list(self.session.execute(query if where is None else query.where(where)))

    def _pledge_months(
        self,
    ) -> tuple[dict[int, list[decide.PledgeMonth]], dict[int, list[decide.PledgeMonth]], list[str]]:
        """Pledges scheduled for each child in scope in the month and the month before; pledges that
        ended. A pledge moved from one child to another is read with the scope of either."""
        month, previous = self.month, self.month.previous()
        ours = (col(Pledge.end_month).is_(None)) | (col(Pledge.end_month) >= previous.first_day)
        if self.scope is not None:
            here = self.children_in_scope()
            moved_here = select(PledgeChange.pledge_id).where(
                col(PledgeChange.kind) == "move", self._among(PledgeChange.child_id, here)
            )
            ours = ours & (self._among(Pledge.child_id, here) | self._among(Pledge.id, moved_here))
        changes: dict[int, list[PledgeChange]] = defaultdict(list)
        for change in self.session.scalars(
            select(PledgeChange)
            .where(self._among(PledgeChange.pledge_id, select(Pledge.id).where(ours)))
            .order_by(col(PledgeChange.id))
        ):
            changes[change.pledge_id].append(change)
        pledges = self.session.execute(
            sa.select(
                col(Pledge.id),
                col(Pledge.code),
                col(Pledge.sponsor_id),
                col(Pledge.child_id),
                col(Pledge.monthly_amount),
                col(Pledge.start_month),
                col(Pledge.end_month),
                col(Sponsor.code),
            )
            .join(Sponsor, col(Sponsor.id) == Pledge.sponsor_id)
            .where(ours)
            .order_by(col(Pledge.code))
        ).all()
        # The children a pledge names over its life, to know when each ages out (in scope or not).
        self.named: dict[int, Any] = dict(self.children)
        elsewhere = {p.child_id for p in pledges} | {c.child_id for cs in changes.values() for c in cs if c.child_id}
        elsewhere -= self.named.keys()
        for chunk in chunks(sorted(elsewhere), 1000):
            self.named.update((row[0], _child_row(row, None)) for row in self._child_rows(col(Child.id).in_(chunk)))
        now: dict[int, list[decide.PledgeMonth]] = defaultdict(list)
        before: dict[int, list[decide.PledgeMonth]] = defaultdict(list)
        ended: list[str] = []
        age_limit = self.policies.age_limit
        for pledge in pledges:
            terms = Terms.of(pledge, changes.get(pledge.id, ()))
            this = terms.month(month, self.named, age_limit)
            last = terms.month(previous, self.named, age_limit)
            sponsor = pledge[-1]
            if this is not None and this.child_id in self.children:
                now[this.child_id].append(decide.PledgeMonth(pledge.code, sponsor, this.amount))
            if last is not None and last.child_id in self.children:
                before[last.child_id].append(decide.PledgeMonth(pledge.code, sponsor, last.amount))
                if this is None and not self._schedules_after(terms, month):
                    ended.append(pledge.code)
        return now, before, ended

    def _schedules_after(self, terms: Terms, month: Month) -> bool:
        """Whether a pledge that skips ``month`` schedules anything later (a pause, not an end)."""
        horizon = terms.horizon(self.named)
        later = month.next()
        while later <= horizon:
            if terms.month(later, self.named, self.policies.age_limit) is not None:
                return True
            later = later.next()
        return False

    def _enrolments(self) -> dict[int, tuple[decide.Enrolment, ...]]:
        found: dict[int, list[decide.Enrolment]] = defaultdict(list)
        query = sa.select(
            col(Enrolment.child_id),
            col(Enrolment.program),
            col(Enrolment.decision_number),
            col(Enrolment.decision_date),
            col(Enrolment.end_date),
        )
        if self.scope is not None:
            query = query.where(self._among(Enrolment.child_id, self.children_in_scope()))
        for child_id, program, number, signed, ends in self.session.execute(query):
            found[child_id].append(decide.Enrolment(program, number, signed, ends))
        return {child_id: tuple(items) for child_id, items in found.items()}

    def facts(self, child: ChildRow) -> decide.Child:
        return decide.Child(
            code=child.code,
            date_of_birth=child.date_of_birth,
            categories=child.categories,
            province=self.branches[child.branch_id].province,
            in_school_until=child.in_school_until,
            enrolments=self.enrolments.get(child.id, ()),
            died_on=child.died_on,
        )

    # --- deciding ------------------------------------------------------------------------

    def decide(self, child: ChildRow, program: str, month: Month) -> Decision:
        """The eligibility decision for one child, program and month (this month or the one before)."""
        if month not in (self.month, self.month.previous()):
            raise ValueError(f"these facts are for {self.month} and the month before, not {month}")
        facts = self.facts(child)
        if program == SOCIAL_ALLOWANCE:
            return decide.decide_social_allowance(facts, month)
        pledges = self.pledges_now if month == self.month else self.pledges_before
        return decide.decide_godmother(
            facts, month, pledges.get(child.id, []), self.policies.godmother(child.branch_id, month)
        )

    def candidates(self, program: str, owed: set[int]) -> list[ChildRow]:
        """Children in scope the program may concern this month, in child-code order."""
        if program == GODMOTHER:
            ids = set(self.pledges_now) | set(self.pledges_before)
        else:
            ids = {cid for cid, items in self.enrolments.items() if any(e.program == program for e in items)}
        ids |= owed
        chosen = [self.children[i] for i in ids if i in self.children and self.in_scope(self.children[i].branch_id)]
        return sorted(chosen, key=lambda c: c.code)


def provinces(session: Session, branch_ids: set[int] | None) -> Iterator[tuple[set[int], SharedFacts]]:
    """The branches of ``branch_ids`` (every branch by default) grouped by their province, with
    what every province's facts share. No fund pays across provinces (a child's fund is the
    child's own; a program fund belongs to a branch on the child's line, which ends at its
    province), so a month can be decided, or checked, a province at a time."""
    shared = SharedFacts.read(session)
    grouped: dict[str, set[int]] = defaultdict(set)
    for branch_id in branch_ids if branch_ids is not None else shared.branches:
        grouped[shared.policies.line(branch_id)[-1]].add(branch_id)
    for province in sorted(grouped):
        yield grouped[province], shared


def facts_by_province(session: Session, month: Month, branch_ids: set[int] | None) -> Iterator[MonthFacts]:
    """The month's facts, one province at a time (see ``provinces``)."""
    for ids, shared in provinces(session, branch_ids):
        yield MonthFacts(session, month, ids, shared)


@dataclass(frozen=True, slots=True)
class SharedFacts:
    """What the facts of every province of a run share: the branches and their policies."""

    branches: dict[int, Branch]
    policies: BranchPolicies

    @classmethod
    def read(cls, session: Session) -> SharedFacts:
        return cls({b.id: b for b in session.scalars(select(Branch))}, BranchPolicies(session))
