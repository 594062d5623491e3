"""A pledge's schedule, its changes, what has been allocated to it, and how a payment is allocated.

A pledge schedules ``monthly_amount`` for every month from ``start_month`` to ``end_month``,
or, without an end, to the month in which its child reaches the Godmother age limit (the child
is paid for the month of that birthday and not after, docs/eligibility.md). Changes apply from a month on
and are kept as history: a pause (months not scheduled), a new amount, a move to another child
(e.g. when a child ages out), an early end. A change can never reach back into a month that was
already paid. Arrears of a month = scheduled − allocated. A payment pays the pledge it names,
or else the payer's pledges, the oldest unpaid month first (ties by pledge code); months ahead
are paid in advance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import func
from sqlmodel import Session, col, select

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.eligibility.parameters import in_force, load
from ledger.eligibility.policy import BranchPolicies, ChildFacts
from ledger.errors import ChildNotFound, EntryRefused, InvalidEntry, SponsorNotFound
from ledger.ground.programs import age_on, birthday, status_date
from ledger.months import Month
from ledger.register.models import Allocation, Child, Pledge, PledgeChange

CHANGE_KINDS = ("pause", "amount", "move", "end")


@dataclass(frozen=True, slots=True)
class ScheduledMonth:
    month: Month
    child_id: int
    amount: int


class PledgeFacts(Protocol):
    """What scheduling reads of a pledge."""

    @property
    def child_id(self) -> int: ...
    @property
    def monthly_amount(self) -> int: ...
    @property
    def start_month(self) -> date: ...
    @property
    def end_month(self) -> date | None: ...


AgeLimit = Callable[[ChildFacts, Month], int]
"""The Godmother age limit that applies to a child in a month (its branch's policy)."""


def default_age_limit(child: ChildFacts, month: Month) -> int:
    return godmother_age_limit(month)


def godmother_age_limit(month: Month) -> int:
    """The national Godmother age limit in force in ``month`` (a branch's policy may set its own)."""
    return in_force(load().godmother_age_limit, month.first_day, "Godmother age limit").value


@dataclass(frozen=True, slots=True)
class Terms:
    """A pledge with its changes in effective order: everything needed to schedule any month."""

    pledge: PledgeFacts
    changes: tuple[tuple[Month, PledgeChange], ...]  # each with its first month, in effective order
    start: Month
    last: Month | None  # the last month of its term or early end; None: until the age limit

    @classmethod
    def of(cls, pledge: PledgeFacts, changes: Sequence[PledgeChange]) -> Terms:
        ordered = tuple((Month.of(c.from_month), c) for c in sorted(changes, key=lambda c: (c.from_month, c.id or 0)))
        ends = [month.previous() for month, c in ordered if c.kind == "end"]
        if pledge.end_month is not None:
            ends.append(Month.of(pledge.end_month))
        return cls(pledge, ordered, Month.of(pledge.start_month), min(ends) if ends else None)

    @property
    def most(self) -> int:
        """The most any month of the pledge can schedule: a month paid this much is settled, whatever its terms."""
        amounts = [c.amount for _, c in self.changes if c.kind == "amount" and c.amount is not None]
        return max([self.pledge.monthly_amount, *amounts])

    def child_ids(self) -> set[int]:
        return {self.pledge.child_id, *(c.child_id for _, c in self.changes if c.kind == "move" and c.child_id)}

    def month(self, month: Month, children: Mapping[int, ChildFacts], age_limit: AgeLimit) -> ScheduledMonth | None:
        """What the pledge schedules in ``month``, for which child; None if nothing."""
        if month < self.start or (self.last is not None and month > self.last):
            return None
        child_id, amount = self.pledge.child_id, self.pledge.monthly_amount
        for start, change in self.changes:
            if start > month:
                break
            if change.kind == "move" and change.child_id is not None:
                child_id = change.child_id
            elif change.kind == "amount" and change.amount is not None:
                amount = change.amount
            elif change.kind == "pause" and change.until_month is not None and month <= Month.of(change.until_month):
                return None
        child = children[child_id]
        # The month convention: the child's age on the last day of the month before decides.
        if age_on(child.date_of_birth, status_date(month)) >= age_limit(child, month):
            return None
        return ScheduledMonth(month, child_id, amount)

    def horizon(self, children: Mapping[int, ChildFacts]) -> Month:
        """A month after which nothing can be scheduled (its last month, or every child adult)."""
        if self.last is not None:
            return self.last
        highest = max(v.value for v in load().godmother_age_limit)
        return max(Month.of(birthday(children[c].date_of_birth, highest)) for c in self.child_ids())


def schedule(
    pledge: Pledge,
    changes: Sequence[PledgeChange],
    children: dict[int, Child],
    age_limit: AgeLimit = default_age_limit,
) -> list[ScheduledMonth]:
    """Every month the pledge schedules, for which child and how much, after its changes."""
    terms = Terms.of(pledge, changes)
    months, month, last = [], Month.of(pledge.start_month), terms.horizon(children)
    while month <= last:
        if (scheduled := terms.month(month, children, age_limit)) is not None:
            months.append(scheduled)
        month = month.next()
    return months


def changes_of(session: Session, pledges: Sequence[Pledge]) -> dict[int, list[PledgeChange]]:
    found: dict[int, list[PledgeChange]] = {p.id: [] for p in pledges if p.id is not None}
    if found:
        for change in session.scalars(
            select(PledgeChange).where(col(PledgeChange.pledge_id).in_(list(found))).order_by(col(PledgeChange.id))
        ):
            found[change.pledge_id].append(change)
    return found


def schedules(session: Session, pledges: Sequence[Pledge]) -> dict[int, list[ScheduledMonth]]:
    """The schedules of ``pledges``, keyed by pledge id."""
    changes = changes_of(session, pledges)
    child_ids = {p.child_id for p in pledges} | {c.child_id for cs in changes.values() for c in cs if c.child_id}
    children = {c.id: c for c in session.scalars(select(Child).where(col(Child.id).in_(child_ids)))}
    age_limit = BranchPolicies(session).age_limit
    return {p.id: schedule(p, changes[p.id], children, age_limit) for p in pledges if p.id is not None}


def pledges_by_sponsor(session: Session, sponsor_ids: Sequence[int]) -> dict[int, list[Pledge]]:
    """Each of the sponsors' pledges, by code, read in one query (an empty list for a sponsor without)."""
    found: dict[int, list[Pledge]] = {i: [] for i in sponsor_ids}
    if found:
        for pledge in session.scalars(
            select(Pledge).where(col(Pledge.sponsor_id).in_(sorted(found))).order_by(col(Pledge.code))
        ):
            found[pledge.sponsor_id].append(pledge)
    return found


def pledges_of_child(session: Session, child_id: int) -> list[Pledge]:
    """Every pledge that is, or was moved to become, a pledge for the child; by code."""
    # Two indexed reads, not one OR over both: an OR with a subquery reads the whole pledge table.
    found = {p.id: p for p in session.scalars(select(Pledge).where(col(Pledge.child_id) == child_id))}
    moved_here = session.scalars(
        select(PledgeChange.pledge_id).where(col(PledgeChange.kind) == "move", col(PledgeChange.child_id) == child_id)
    ).all()
    missing = sorted(set(moved_here) - set(found))
    if missing:
        found |= {p.id: p for p in session.scalars(select(Pledge).where(col(Pledge.id).in_(missing)))}
    return sorted(found.values(), key=lambda p: p.code)


def pledges_paying(session: Session, child: Child, month: Month) -> list[tuple[Pledge, int]]:
    """The pledges that schedule money for ``child`` in ``month``, with the amount each schedules."""
    candidates = pledges_of_child(session, child.id)
    planned = schedules(session, candidates)
    return [
        (pledge, s.amount)
        for pledge in candidates
        for s in planned[pledge.id]
        if s.month == month and s.child_id == child.id
    ]


@dataclass(frozen=True, slots=True)
class Share:
    pledge: Pledge
    month: Month
    amount: int
    child_id: int  # the child the month is scheduled for (a pledge may have moved)


def allocated(session: Session, pledge_ids: Sequence[int]) -> dict[tuple[int, Month], int]:
    return {
        (pledge_id, Month.of(month)): int(amount)
        for pledge_id, month, amount in session.execute(
            select(col(Allocation.pledge_id), col(Allocation.month), func.sum(Allocation.amount))
            .where(col(Allocation.pledge_id).in_(list(pledge_ids)))
            .group_by(col(Allocation.pledge_id), col(Allocation.month))
        )
    }


class PledgeBook:
    """The terms and allocations of a set of pledges, read once: what a payment, or many payments
    one after another, are allocated against. Each allocation is remembered, so the next one
    sees the months the earlier ones paid, as if each had been recorded and read back."""

    def __init__(self, session: Session, pledges: Sequence[Pledge]) -> None:
        known = [p for p in pledges if p.id is not None]
        self.paid: dict[tuple[int, Month], int] = {}
        # pledge id → a month before which it owes nothing: allocations only add to ``paid``, so a
        # month once settled stays settled, and the next payment need not walk those months again.
        self.settled: dict[int, Month] = {}
        self.terms: dict[int, Terms] = {}
        self.children: dict[int, Child] = {}
        self.age_limit: AgeLimit = default_age_limit
        if known:
            self.paid = allocated(session, [p.id for p in known])
            changes = changes_of(session, known)
            self.terms = {p.id: Terms.of(p, changes[p.id]) for p in known}
            child_ids = {c for t in self.terms.values() for c in t.child_ids()}
            self.children = {c.id: c for c in session.scalars(select(Child).where(col(Child.id).in_(child_ids)))}
            self.age_limit = BranchPolicies(session).age_limit

    def outstanding(self, pledges: Sequence[Pledge], *, through: Month | None = None) -> Iterator[Share]:
        """What is still owed on each scheduled month of ``pledges`` (up to ``through``), oldest first.

        Lazy, month by month: allocating a payment reads only as far as the payment reaches.
        """
        pledges = sorted((p for p in pledges if p.id is not None), key=lambda p: p.code)
        if not pledges:
            return
        settled = {p.id: self.settled.get(p.id, Month.of(p.start_month)) for p in pledges}
        most = {p.id: self.terms[p.id].most for p in pledges}
        month = min(settled.values())
        last = max(self.terms[p.id].horizon(self.children) for p in pledges)
        if through is not None:
            last = min(last, through)
        while month <= last:
            for pledge in pledges:
                if month < settled[pledge.id]:
                    continue
                paid = self.paid.get((pledge.id, month), 0)
                # A month paid in full needs no schedule worked out (most months, as the years go by).
                scheduled = (
                    self.terms[pledge.id].month(month, self.children, self.age_limit)
                    if paid < most[pledge.id]
                    else None
                )
                if scheduled is not None and (left := scheduled.amount - paid) > 0:
                    yield Share(pledge, month, left, scheduled.child_id)
                elif settled[pledge.id] == month:
                    settled[pledge.id] = self.settled[pledge.id] = month.next()
            month = month.next()

    def allocate(self, amount: int, pledges: Sequence[Pledge]) -> tuple[list[Share], int]:
        """Split ``amount`` over the oldest outstanding months; returns the shares and what is left over."""
        shares, left = [], amount
        for owed in self.outstanding(pledges):
            if left == 0:
                break
            part = min(left, owed.amount)
            shares.append(Share(owed.pledge, owed.month, part, owed.child_id))
            left -= part
        for share in shares:
            key = (share.pledge.id, share.month)
            self.paid[key] = self.paid.get(key, 0) + share.amount
        return shares, left


def outstanding(session: Session, pledges: Sequence[Pledge], *, through: Month | None = None) -> Iterator[Share]:
    """What is still owed on each scheduled month of ``pledges`` (up to ``through``), oldest first."""
    if any(p.id is not None for p in pledges):
        yield from PledgeBook(session, pledges).outstanding(pledges, through=through)


def allocate(session: Session, amount: int, pledges: Sequence[Pledge]) -> tuple[list[Share], int]:
    """Split ``amount`` over the oldest outstanding months; returns the shares and what is left over."""
    return PledgeBook(session, pledges).allocate(amount, pledges)


def arrears(session: Session, pledge: Pledge, through: Month) -> int:
    """Scheduled − allocated over the pledge's months up to and including ``through``."""
    return sum(s.amount for s in outstanding(session, [pledge], through=through))


def change_pledge(
    session: Session,
    *,
    pledge: str,
    kind: str,
    from_month: Month,
    actor: Actor,
    reason: str = "",
    until_month: Month | None = None,
    amount: int | None = None,
    child: str | None = None,
) -> PledgeChange:
    """Record a change from ``from_month`` on; refused if it would reach back into a paid month."""
    record = rights.writable_pledge(session, actor, pledge)
    if kind not in CHANGE_KINDS:
        raise EntryRefused("pledge-change-kind", f"a pledge change is one of {', '.join(CHANGE_KINDS)}, not {kind!r}",
                           field="kind", kind=kind)  # fmt: skip
    paid_months = (
        select(col(Allocation.month))
        .where(col(Allocation.pledge_id) == record.id)
        .group_by(col(Allocation.month))
        .having(func.sum(Allocation.amount) > 0)
        .subquery()
    )
    last_paid = session.scalar(select(func.max(paid_months.c.month)))
    if last_paid is not None and from_month <= Month.of(last_paid):
        raise EntryRefused(
            "pledge-change-paid",
            f"pledge {pledge} is paid through {Month.of(last_paid)}: a change can take effect from "
            f"{Month.of(last_paid).next()} at the earliest",
            field="from_month", pledge=pledge, paid_through=Month.of(last_paid), earliest=Month.of(last_paid).next(),
        )  # fmt: skip
    if from_month < Month.of(record.start_month):
        raise EntryRefused("pledge-change-before-start", f"pledge {pledge} starts in {Month.of(record.start_month)}",
                           field="from_month", pledge=pledge, start=Month.of(record.start_month))  # fmt: skip
    new_child_id = None
    if kind == "pause" and (until_month is None or until_month < from_month):
        raise EntryRefused("pledge-pause-months", "a pause needs its last month, on or after its first",
                           field="until_month")  # fmt: skip
    if kind == "amount":
        limits = load()
        if amount is None or not limits.godmother_min_amount <= amount <= limits.godmother_max_amount:
            raise EntryRefused(
                "pledge-amount-range",
                f"the new monthly amount must be {limits.godmother_min_amount:,}–{limits.godmother_max_amount:,} ₫",
                field="amount", money_facts=("least", "most"),
                least=limits.godmother_min_amount, most=limits.godmother_max_amount,
            )  # fmt: skip
    if kind == "move":
        new_child_id = rights.writable_child(session, actor, child or "").id
    if kind in ("end", "move", "pause") and not reason.strip():
        raise EntryRefused("pledge-change-reason",
                           f"say why the pledge is {'ended' if kind == 'end' else kind + 'd'}: the reason is kept",
                           field="reason")  # fmt: skip
    change = PledgeChange(
        pledge_id=record.id,
        kind=kind,
        from_month=from_month.first_day,
        until_month=until_month.first_day if until_month else None,
        amount=amount if kind == "amount" else None,
        child_id=new_child_id,
        reason=reason.strip(),
        recorded_by=actor.user,
    )
    session.add(change)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="pledge.change",
        subject=f"pledge:{pledge}",
        branch_id=session.scalar(select(Child.branch_id).where(col(Child.id) == record.child_id)),
        detail={"kind": kind, "from": str(from_month), "reason": reason.strip(), "amount": amount, "child": child},
    )
    return change


def allocation_of(session: Session, payment_id: int) -> list[tuple[str, str, int]]:
    """How a payment is allocated: (pledge code, month, amount), oldest first; nothing once reversed."""
    return [
        (code, str(Month.of(month)), int(amount))
        for code, month, amount in session.execute(
            select(col(Pledge.code), col(Allocation.month), func.sum(Allocation.amount))
            .join(Pledge, col(Pledge.id) == Allocation.pledge_id)
            .where(col(Allocation.payment_id) == payment_id)
            .group_by(col(Pledge.code), col(Allocation.month))
            .having(func.sum(Allocation.amount) != 0)
            .order_by(col(Allocation.month), col(Pledge.code))
        )
    ]


def arrears_report(session: Session, *, through: Month, sponsor: str | None = None) -> list[tuple[str, str, str, int]]:
    """Every month still owed up to ``through``: (sponsor, pledge, month, arrears), by sponsor and month."""
    from ledger.register.models import Sponsor

    query = select(Pledge).order_by(col(Pledge.code))
    if sponsor is not None:
        owner = session.scalar(select(Sponsor).where(col(Sponsor.code) == sponsor))
        if owner is None:
            raise SponsorNotFound(sponsor)
        query = query.where(col(Pledge.sponsor_id) == owner.id)
    records = list(session.scalars(query))
    sponsors = {s.id: s.code for s in session.scalars(select(Sponsor))}
    rows = [
        (sponsors[share.pledge.sponsor_id], share.pledge.code, str(share.month), share.amount)
        for share in outstanding(session, records, through=through)
    ]
    return sorted(rows)


def coverage(session: Session, child: str, start: Month, end: Month) -> list[tuple[Month, list[tuple[str, str, int]]]]:
    """For each month, the pledges that cover ``child``: (pledge, sponsor, amount)."""
    from ledger.register.models import Sponsor

    record = session.scalar(select(Child).where(col(Child.code) == child))
    if record is None:
        raise ChildNotFound(child)
    if end < start:
        raise InvalidEntry("the last month comes before the first")
    sponsors = {s.id: s.code for s in session.scalars(select(Sponsor))}
    candidates = pledges_of_child(session, record.id)
    planned = schedules(session, candidates)
    months, month = [], start
    while month <= end:
        items = [
            (p.code, sponsors[p.sponsor_id], s.amount)
            for p in candidates
            for s in planned[p.id]
            if s.month == month and s.child_id == record.id
        ]
        months.append((month, items))
        month = month.next()
    return months


def pledged_in_month(session: Session, month: Month, *, sponsor_branch_ids: Sequence[int] | None = None) -> int:
    """What sponsors (of these branches) pledged for ``month``: the sum of its scheduled amounts."""
    from ledger.register.models import Sponsor

    query = select(Pledge)
    if sponsor_branch_ids is not None:
        query = query.join(Sponsor, col(Sponsor.id) == Pledge.sponsor_id).where(
            col(Sponsor.branch_id).in_(list(sponsor_branch_ids))
        )
    found = list(session.scalars(query.where(col(Pledge.start_month) <= month.first_day)))
    return sum(s.amount for months in schedules(session, found).values() for s in months if s.month == month)
