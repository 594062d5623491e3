"""Planning a month: who is entitled to what, and what each fund can pay, oldest debt first.

For every child and program in scope the plan holds one decision: the entitlement of the month
(eligibility, ``ledger.eligibility.decide``), what is paid towards earlier shortfalls, what is
paid of the month, and what is left short. A fund never goes negative: it pays
min(owed, available). Each fund pays its claims in one fixed order, oldest first:
1. earlier months' shortfalls, by month, then child code;
2. the month itself, by child code.
A Godmother claim draws on the child's own fund; a social-allowance claim on the program fund of
the nearest branch, from the child's own upward, that has received a budget for the program.

The facts are read in a handful of queries (a run covers 100,000 children), and decisions are
produced one child at a time, in child-code order, so that only a chunk is in memory at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, col, select

from ledger.accounts import AccountKey
from ledger.disbursement.facts import ChildRow, MonthFacts, SharedFacts, provinces
from ledger.disbursement.models import Run, RunDecision, ShortfallSettlement
from ledger.disbursement.parts import administering_branch, funded
from ledger.eligibility.reasons import Reason
from ledger.ground.programs import GODMOTHER, SOCIAL_ALLOWANCE
from ledger.models import Account, Disbursement, LedgerTransaction
from ledger.months import Month
from ledger.register.models import Child

PROGRAMS = (GODMOTHER, SOCIAL_ALLOWANCE)
POSTED_RUN = ("approved", "done")  # runs whose decisions stand (a prepared run waits for approval)
PROGRAM_FUND = "liabilities:fund:program:{program}"


def child_fund(child: str) -> str:
    return f"liabilities:fund:child:{child}"


def guardian_payable(child: str) -> str:
    return f"liabilities:payable:guardian:{child}"


@dataclass(frozen=True, slots=True)
class Settlement:
    """Part of this month's payment that pays an earlier decision's shortfall."""

    shortfall_id: int
    month: Month
    amount: int


@dataclass(frozen=True, slots=True)
class Planned:
    """One decision of the month with its money: paid = catch_up + due − shortfall."""

    child_id: int
    child: str
    branch: str
    program: str
    month: Month
    eligible: bool
    due: int
    settlements: tuple[Settlement, ...]
    paid: int
    shortfall: int
    fund: AccountKey | None
    fund_account_id: int | None
    reasons: tuple[Reason, ...]
    aged_out: bool = False
    left_school: bool = False

    @property
    def catch_up(self) -> int:
        return sum(s.amount for s in self.settlements)


@dataclass(slots=True)
class _Pool:
    """A fund that pays claims, with what it still holds for this plan."""

    key: AccountKey | None
    account_id: int | None
    available: int


@dataclass
class Summary:
    """What a run did (or would do), for its closing lines and the run's record."""

    decisions: int = 0
    children_paid: int = 0
    paid_total: int = 0
    catch_up_total: int = 0
    shortfalls: int = 0
    shortfall_total: int = 0
    aged_out: list[str] = field(default_factory=list)
    left_school: list[str] = field(default_factory=list)
    pledges_ended: list[str] = field(default_factory=list)
    by_program: dict[str, dict[str, int]] = field(default_factory=dict)
    _paid_children: set[str] = field(default_factory=set, repr=False)
    _listed: set[tuple[str, str]] = field(default_factory=set, repr=False)  # (list, child): each child once

    def add(self, planned: Planned) -> None:
        self.decisions += 1
        program = self.by_program.setdefault(planned.program, {"children": 0, "paid": 0, "shortfall": 0})
        if planned.paid:
            self._paid_children.add(planned.child)
            self.children_paid = len(self._paid_children)
            self.paid_total += planned.paid
            program["children"] += 1
            program["paid"] += planned.paid
        self.catch_up_total += planned.catch_up
        if planned.shortfall:
            self.shortfalls += 1
            self.shortfall_total += planned.shortfall
            program["shortfall"] += planned.shortfall
        if planned.aged_out and ("aged_out", planned.child) not in self._listed:
            self._listed.add(("aged_out", planned.child))
            self.aged_out.append(planned.child)
        if planned.left_school and ("left_school", planned.child) not in self._listed:
            self._listed.add(("left_school", planned.child))
            self.left_school.append(planned.child)

    def merge(self, other: Summary) -> None:
        """Add the decisions of other children (another province's) summed up on their own."""
        self.decisions += other.decisions
        self._paid_children |= other._paid_children
        self.children_paid = len(self._paid_children)
        self.paid_total += other.paid_total
        self.catch_up_total += other.catch_up_total
        self.shortfalls += other.shortfalls
        self.shortfall_total += other.shortfall_total
        for name in ("aged_out", "left_school"):
            for child in getattr(other, name):
                if (name, child) not in self._listed:
                    self._listed.add((name, child))
                    getattr(self, name).append(child)
        self.pledges_ended.extend(other.pledges_ended)
        for program, figures in other.by_program.items():
            mine = self.by_program.setdefault(program, {"children": 0, "paid": 0, "shortfall": 0})
            for figure, value in figures.items():
                mine[figure] += value

    def as_json(self) -> dict[str, Any]:
        return {
            "decisions": self.decisions,
            "children_paid": self.children_paid,
            "paid_total": self.paid_total,
            "catch_up_total": self.catch_up_total,
            "shortfalls": self.shortfalls,
            "shortfall_total": self.shortfall_total,
            "aged_out": sorted(self.aged_out),
            "left_school": sorted(self.left_school),
            "pledges_ended": sorted(self.pledges_ended),
            "by_program": self.by_program,
        }


@dataclass(frozen=True, slots=True)
class Owed:
    """What an earlier decision's shortfall still owes."""

    decision_id: int
    child_id: int
    program: str
    month: Month
    amount: int


def reversed_decisions() -> Any:
    """The ids of decisions whose disbursement was reversed: their money went back to the fund."""
    return (
        select(RunDecision.id)
        .join(Child, col(Child.id) == RunDecision.child_id)
        .join(
            Disbursement,
            (col(Disbursement.child_code) == Child.code)
            & (col(Disbursement.program) == RunDecision.program)
            & (col(Disbursement.month) == RunDecision.month),
        )
        .join(LedgerTransaction, col(LedgerTransaction.reverses_id) == Disbursement.transaction_id)
    )


def outstanding_shortfalls(session: Session, before: Month, children: Any = None) -> list[Owed]:
    """What months before ``before`` are still owed, from runs that stand: each decision's shortfall,
    or, when its disbursement was reversed, all it was due, less what later decisions settled of it
    (a settlement paid by a reversed disbursement settles nothing). Of ``children`` only (a subquery
    of their ids), if given."""
    undone = reversed_decisions()
    paying = (
        select(ShortfallSettlement.shortfall_id, func.sum(ShortfallSettlement.amount).label("settled"))
        .join(RunDecision, col(RunDecision.id) == ShortfallSettlement.decision_id)
        .join(Run, col(Run.id) == RunDecision.run_id)
        .where(col(Run.status).in_(POSTED_RUN), col(ShortfallSettlement.decision_id).not_in(undone))
        .group_by(col(ShortfallSettlement.shortfall_id))
        .subquery()
    )
    was_reversed = col(RunDecision.id).in_(undone)
    owed = case((was_reversed, RunDecision.due), else_=RunDecision.shortfall)
    query = (
        sa.select(
            col(RunDecision.id),
            col(RunDecision.child_id),
            col(RunDecision.program),
            col(RunDecision.month),
            owed - func.coalesce(paying.c.settled, 0),
        )
        .join(Run, col(Run.id) == RunDecision.run_id)
        .outerjoin(paying, paying.c.shortfall_id == RunDecision.id)
        .where(
            or_(col(RunDecision.shortfall) > 0, was_reversed),
            col(RunDecision.month) < before.first_day,
            col(Run.status).in_(POSTED_RUN),
        )
    )
    if children is not None:
        query = query.where(col(RunDecision.child_id).in_(children))
    rows = session.execute(query)
    return [Owed(i, c, p, Month.of(m), int(left)) for i, c, p, m, left in rows if left > 0]


def already_decided(session: Session, month: Month, children: Any = None) -> set[tuple[int, str]]:
    """(child id, program) pairs a standing run already decided for ``month`` (of ``children`` if given).

    Read through the runs of the month (the decisions of a run are all of its month): the run's
    own index finds them, however many months of decisions the table holds."""
    query = (
        select(RunDecision.child_id, RunDecision.program)
        .join(Run, col(Run.id) == RunDecision.run_id)
        .where(and_(col(Run.month) == month.first_day, col(Run.status).in_(POSTED_RUN)))
        .where(col(RunDecision.month) == month.first_day)
    )
    if children is not None:
        query = query.where(col(RunDecision.child_id).in_(children))
    rows = session.execute(query)
    return {(child_id, program) for child_id, program in rows}


def planners(session: Session, month: Month, branch_ids: set[int] | None = None) -> Iterator[Planner]:
    """The month's plan for ``branch_ids`` (every branch by default), one province at a time: the
    decisions of one plan over the whole scope, with one province's facts in memory at a time
    (see ``facts.provinces``)."""
    owed, done = owed_and_done(session, month, branch_ids)
    for ids, shared in provinces(session, branch_ids):
        yield Planner(session, month, ids, shared=shared, owed=owed, done=done)


def owed_and_done(
    session: Session, month: Month, branch_ids: set[int] | None
) -> tuple[list[Owed], set[tuple[int, str]]]:
    """The shortfalls still owed before ``month`` and what is already decided of it, in scope.

    Read once, before the first province: each query costs as much for one province as for all,
    and a run that keeps its decisions as it goes would find its own in the table."""
    scope = None if branch_ids is None else select(Child.id).where(col(Child.branch_id).in_(sorted(branch_ids)))
    return outstanding_shortfalls(session, month), already_decided(session, month, scope)


class Planner:
    """Decides a month and allocates each fund's money to its claims (see the module docstring)."""

    def __init__(
        self,
        session: Session,
        month: Month,
        branch_ids: set[int] | None = None,
        *,
        shared: SharedFacts | None = None,
        owed: list[Owed] | None = None,
        done: set[tuple[int, str]] | None = None,
    ) -> None:
        """``owed`` and ``done``: the outstanding shortfalls and what was already decided, if
        already read (of any children: those of the scope are kept)."""
        self.session, self.month = session, month
        self.facts = MonthFacts(session, month, branch_ids, shared)
        children = None if branch_ids is None else self.facts.children_in_scope()
        self.done = already_decided(session, month, children) if done is None else done
        if owed is None:
            owed = outstanding_shortfalls(session, month, children)
        owed = [o for o in owed if o.child_id in self.facts.children and (o.child_id, o.program) not in self.done]
        self.owed: dict[tuple[int, str], list[Owed]] = defaultdict(list)
        for item in sorted(owed, key=lambda o: (o.month, self.facts.children[o.child_id].code, o.program)):
            self.owed[(item.child_id, item.program)].append(item)
        self._balances = self._fund_balances()
        self._pools: dict[AccountKey | None, _Pool] = {}
        self._administering: dict[tuple[int, str], str] = {}
        self._funded = funded(session)
        self.settled = self._settle_catch_ups()
        self.queue = sorted(
            (child.code, index, child, program)
            for index, program in enumerate(PROGRAMS)
            for child in self.facts.candidates(program, {c for c, p in self.owed if p == program})
            if (child.id, program) not in self.done
        )

    def _fund_balances(self) -> dict[AccountKey, tuple[int, int]]:
        """Every fund account (child and program) of the branches in scope and those above them:
        its id and what it holds (credit positive)."""
        policies = self.facts.policies
        query = select(Account.id, Account.branch_id, Account.code, Account.balance).where(
            col(Account.code).startswith("liabilities:fund:")
        )
        if self.facts.scope is not None:
            lines = {policies.id_of(code) for branch_id in self.facts.scope for code in policies.line(branch_id)}
            query = query.where(col(Account.branch_id).in_(sorted(lines)))
        rows = self.session.execute(query)
        return {AccountKey(policies.code_of(b), code): (account_id, -balance) for account_id, b, code, balance in rows}

    def pool(self, child: ChildRow, program: str) -> _Pool:
        """The fund a child's claim on ``program`` draws on (opened lazily, shared where it is)."""
        branch = self.facts.branches[child.branch_id].code
        if program == GODMOTHER:
            key = AccountKey(branch, child_fund(child.code))
        else:
            key = AccountKey(self._administering_branch(child.branch_id, program), PROGRAM_FUND.format(program=program))
        if key not in self._pools:
            found = self._balances.get(key)
            self._pools[key] = _Pool(key, found[0], max(found[1], 0)) if found is not None else _Pool(None, None, 0)
        return self._pools[key]

    def _administering_branch(self, branch_id: int, program: str) -> str:
        """The nearest branch, from ``branch_id`` upward, that received a budget for ``program``."""
        if (branch_id, program) not in self._administering:
            self._administering[(branch_id, program)] = administering_branch(
                self.facts.policies, self._funded, branch_id, program
            )
        return self._administering[(branch_id, program)]

    def _settle_catch_ups(self) -> dict[tuple[int, str], tuple[Settlement, ...]]:
        """Step 1: each fund pays earlier shortfalls of the children in scope, oldest first."""
        claims = [
            item
            for items in self.owed.values()
            for item in items
            if self.facts.in_scope(self.facts.children[item.child_id].branch_id)
        ]
        claims.sort(key=lambda o: (o.month, self.facts.children[o.child_id].code, o.program))
        settled: dict[tuple[int, str], list[Settlement]] = defaultdict(list)
        for claim in claims:
            pool = self.pool(self.facts.children[claim.child_id], claim.program)
            part = min(claim.amount, pool.available)
            if part > 0:
                pool.available -= part
                settled[(claim.child_id, claim.program)].append(Settlement(claim.decision_id, claim.month, part))
        return {key: tuple(items) for key, items in settled.items()}

    def plan(self) -> Iterator[Planned]:
        """Step 2: every decision of the month, by child code then program, with its money."""
        for _, _, child, program in self.queue:
            planned = self._decide(child, program)
            if planned is not None:
                yield planned

    def _decide(self, child: ChildRow, program: str) -> Planned | None:
        month = self.month
        decision = self.facts.decide(child, program, month)
        settlements = self.settled.get((child.id, program), ())
        owes = bool(self.owed.get((child.id, program)))
        aged_out = left_school = False
        if not decision.eligible and not owes:
            earlier = self.facts.categories_before.get(child.id)
            as_before = child if earlier is None else replace(child, categories=earlier)
            before = self.facts.decide(as_before, program, month.previous())
            if not before.eligible:
                return None  # nothing this month, nothing last month: not a decision worth keeping
            aged_out = any(reason.rule == "age.over_limit" for reason in decision.reasons)
            left_school = any(reason.rule == "school.left" for reason in decision.reasons)
        pool = self.pool(child, program)
        due = decision.amount if decision.eligible else 0
        paid_now = min(due, pool.available)
        pool.available -= paid_now
        catch_up = sum(s.amount for s in settlements)
        reasons = decision.reasons + _money_reasons(pool, due, paid_now, settlements, owes)
        return Planned(
            child_id=child.id,
            child=child.code,
            branch=self.facts.branches[child.branch_id].code,
            program=program,
            month=month,
            eligible=decision.eligible,
            due=due,
            settlements=settlements,
            paid=catch_up + paid_now,
            shortfall=due - paid_now,
            fund=pool.key,
            fund_account_id=pool.account_id,
            reasons=reasons,
            aged_out=aged_out,
            left_school=left_school,
        )


def _money_reasons(
    pool: _Pool, due: int, paid_now: int, settlements: tuple[Settlement, ...], owes: bool
) -> tuple[Reason, ...]:
    reasons: list[Reason] = []
    fund = pool.key.code if pool.key else None
    if fund is None and (due or owes):
        reasons.append(Reason("money.no_fund"))
    for s in settlements:
        reasons.append(
            Reason(
                "money.catch_up",
                {"month": str(s.month), "amount": s.amount},
                "earlier shortfalls are paid first, oldest first",
            )
        )
    if due:
        if paid_now == due:
            reasons.append(Reason("money.paid", {"amount": due, "fund": fund}))
        else:
            reasons.append(
                Reason(
                    "money.shortfall",
                    {"fund": fund, "paid": paid_now, "short": due - paid_now},
                    "a fund never goes negative (docs/accounting.md)",
                )
            )
    return tuple(reasons)
