"""Lists of the register for the staff of a branch: paged, sorted, filtered, counted and totalled in SQL.

One request (``ListRequest``) describes what is wanted whichever door asks (a page, its XLSX, the API);
``listing`` answers a page, ``every_row`` all of it for an export. Only the actor's branches are listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, and_, bindparam, cast, exists, func, or_, true
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.accounts import branch_and_descendants
from ledger.disbursement.models import Handover
from ledger.errors import EntryRefused
from ledger.ground.programs import GODMOTHER, SOCIAL_ALLOWANCE
from ledger.models import Branch
from ledger.months import Month
from ledger.register.models import Child, Enrolment, Payment, Pledge, Sponsor
from ledger.register.pledges import Share, godmother_age_limit, outstanding

KINDS = ("children", "sponsors", "pledges", "payments", "handovers")
AGE_BANDS = {"0-5": (0, 5), "6-10": (6, 10), "11-15": (11, 15), "16+": (16, 200)}
PAGE_SIZES = (25, 50, 100, 300)
AGEING_OUT_MONTHS = 3  # "ageing out soon": reaching the Godmother age limit within this many months


@dataclass(frozen=True, slots=True)
class ListRequest:
    kind: str
    branch: str | None = None
    program: str | None = None
    status: str | None = None
    age_band: str | None = None
    ageing_out: bool = False
    in_arrears: bool = False  # children, sponsors, pledges: something scheduled through this month is unpaid
    since: Month | None = None
    until: Month | None = None
    sort: str = ""
    descending: bool = False
    page: int = 1
    size: int = 50


@dataclass(frozen=True, slots=True)
class Listing:
    request: ListRequest
    columns: tuple[str, ...]
    money_columns: frozenset[str]
    rows: list[dict[str, Any]]
    count: int
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.request.size))


@dataclass(frozen=True, slots=True)
class _Shape:
    query: Select[Any]
    columns: dict[str, Any]  # name shown → column (sortable)
    money: frozenset[str]
    totals: tuple[str, ...]  # money columns summed over every filtered row
    default_sort: str
    summary: Callable[[Any], Any] | None = None  # (count, *totals) of the filtered rows, when not plain sums
    late: dict[str, Callable[[Any], Any]] = field(default_factory=dict)  # shown, not sorted: read for listed rows

    @property
    def shown(self) -> tuple[str, ...]:
        return (*self.columns, *self.late)

    def rows(self, sorted_query: Select[Any], descending: bool) -> Any:
        """The sorted (and perhaps paged) rows, with the late columns read for those rows only."""
        if not self.late:
            return sorted_query
        listed = sorted_query.subquery()
        extra = [make(listed).label(name) for name, make in self.late.items()]
        key = listed.c.sort_key
        return select(*[listed, *extra]).order_by(key.desc() if descending else key.asc(), listed.c.tie_key)


def listing(session: Session, actor: Actor, wanted: ListRequest, *, today: date) -> Listing:
    """One page of the list ``wanted`` describes, with the count and totals of all its rows."""
    shape = _shape(session, actor, wanted, today)
    filtered = shape.query.subquery()
    summary = (shape.summary or _sums(shape.totals))(filtered)
    count, *sums = session.execute(summary).one()  # one pass over the filtered rows for the count and totals
    totals = {name: int(value or 0) for name, value in zip(shape.totals, sums, strict=True)} if count else {}
    page = max(1, wanted.page)
    paged = _sorted(shape, wanted).offset((page - 1) * wanted.size).limit(wanted.size)
    rows = session.execute(shape.rows(paged, wanted.descending)).mappings()
    if wanted.kind == "children":
        audit.record(session, actor=actor, action="child.list", subject="children",
                     branch_id=actor.home_branch_id, detail={"count": count})  # fmt: skip
    return Listing(wanted, shape.shown, shape.money, [dict(r) for r in rows], count, totals)


def every_row(
    session: Session, actor: Actor, wanted: ListRequest, *, today: date
) -> tuple[tuple[str, ...], Iterator[dict[str, Any]]]:
    """Every row of the list, for an export (children's personal data leaving the system is logged)."""
    shape = _shape(session, actor, wanted, today)
    if wanted.kind == "children":
        audit.record(session, actor=actor, action="child.export", subject="children", branch_id=actor.home_branch_id)
    every = shape.rows(_sorted(shape, wanted), wanted.descending)
    rows = session.execute(every.execution_options(yield_per=2000)).mappings()
    return shape.shown, (dict(r) for r in rows)


def _sorted(shape: _Shape, wanted: ListRequest) -> Select[Any]:
    key = shape.columns.get(wanted.sort) if wanted.sort else None
    by = key if key is not None else shape.columns[shape.default_sort]
    tie = shape.columns[shape.default_sort]
    keyed = shape.query.add_columns(by.label("sort_key"), tie.label("tie_key"))
    return keyed.order_by(by.desc() if wanted.descending else by.asc(), tie)


def _branch_ids(session: Session, actor: Actor, wanted: ListRequest) -> list[int] | None:
    actor.require_staff()
    if wanted.kind not in KINDS:
        raise EntryRefused("list-kind", f"there is no list of {wanted.kind!r}", field="kind", kind=wanted.kind)
    if wanted.branch:
        root = rights.branch(session, actor, wanted.branch)
        return [b.id for b in branch_and_descendants(session, root.code) if actor.sees_branch(b.id)]
    return sorted(actor.branch_ids) if actor.branch_ids is not None else None


def _shape(session: Session, actor: Actor, wanted: ListRequest, today: date) -> _Shape:
    ids = _branch_ids(session, actor, wanted)
    shape = {
        "children": _children, "sponsors": _sponsors, "pledges": _pledges, "payments": _payments,
        "handovers": _handovers,
    }[wanted.kind](wanted, ids, today)  # fmt: skip
    if wanted.in_arrears and wanted.kind in ARREARS_KEY:
        owing = _in_arrears(session, ids, Month.of(today))
        key = ARREARS_KEY[wanted.kind]
        chosen = sorted({getattr(share, key) if key == "child_id" else getattr(share.pledge, key) for share in owing})
        column = {"children": Child.id, "sponsors": Sponsor.id, "pledges": Pledge.id}[wanted.kind]
        listed: Any = bindparam("owing", chosen, expanding=True, literal_execute=True)  # any number of them
        shape = replace(shape, query=shape.query.where(col(column).in_(listed)))
    return shape


ARREARS_KEY = {"children": "child_id", "sponsors": "sponsor_id", "pledges": "id"}


def _in_arrears(session: Session, ids: list[int] | None, this: Month) -> list[Share]:
    """The unpaid months through ``this`` of the pledges of the children of ``ids`` (the pledge book's own
    arithmetic: pauses, new amounts, moves and reversals included)."""
    query = select(Pledge).join(Child, col(Child.id) == Pledge.child_id).where(_in(col(Child.branch_id), ids))
    return [share for share in outstanding(session, list(session.scalars(query)), through=this) if share.amount > 0]


def _sums(names: tuple[str, ...]) -> Callable[[Any], Any]:
    return lambda filtered: select(func.count(), *(func.sum(filtered.c[name]) for name in names)).select_from(filtered)


def _in(column: Any, ids: list[int] | None) -> Any:
    return column.in_(ids) if ids is not None else true()


def _active_pledge(this: Month) -> Any:
    return and_(
        col(Pledge.child_id) == Child.id,
        col(Pledge.start_month) <= this.first_day,
        or_(col(Pledge.end_month).is_(None), col(Pledge.end_month) >= this.first_day),
    )


def _children(wanted: ListRequest, ids: list[int] | None, today: date) -> _Shape:
    this = Month.of(today)
    columns = {
        "code": col(Child.code), "full_name": col(Child.full_name), "date_of_birth": col(Child.date_of_birth),
        "gender": col(Child.gender), "branch": col(Branch.name),
    }  # fmt: skip
    query: Select[Any] = (
        select(*[*(c.label(name) for name, c in columns.items()), col(Child.id).label("row_id")])
        .join(Branch, col(Branch.id) == Child.branch_id)
        .where(_in(col(Child.branch_id), ids))
    )
    sorting = columns | {"full_name": col(Child.name_order)}  # by the given name, as Vietnamese lists are
    if wanted.program == GODMOTHER:
        query = query.where(exists(select(Pledge.id).where(_active_pledge(this))))
    elif wanted.program == SOCIAL_ALLOWANCE:
        query = query.where(
            exists(
                select(Enrolment.id).where(
                    col(Enrolment.child_id) == Child.id, col(Enrolment.program) == SOCIAL_ALLOWANCE,
                    col(Enrolment.decision_date) <= today,
                    or_(col(Enrolment.end_date).is_(None), col(Enrolment.end_date) >= today),
                )
            )
        )  # fmt: skip
    if wanted.status == "active":
        query = query.where(col(Child.died_on).is_(None), col(Child.consent_withdrawn_on).is_(None))
    elif wanted.status == "ended":
        query = query.where(or_(col(Child.died_on).is_not(None), col(Child.consent_withdrawn_on).is_not(None)))
    if wanted.age_band in AGE_BANDS:
        youngest, oldest = AGE_BANDS[wanted.age_band]
        query = query.where(
            col(Child.date_of_birth) <= _years_before(today, youngest),
            col(Child.date_of_birth) > _years_before(today, oldest + 1),
        )
    if wanted.ageing_out:
        limit = godmother_age_limit(this)
        soon = this.plus(AGEING_OUT_MONTHS).last_day
        query = query.where(
            col(Child.date_of_birth) > _years_before(today, limit),
            col(Child.date_of_birth) <= _years_before(soon, limit),
        )

    def summary(filtered: Any) -> Any:  # the count, and the pledges of the listed children summed once
        running = or_(col(Pledge.end_month).is_(None), col(Pledge.end_month) >= this.first_day)
        pledged_total = (
            select(func.sum(Pledge.monthly_amount))
            .where(col(Pledge.child_id).in_(select(filtered.c.row_id)), col(Pledge.start_month) <= this.first_day)
            .where(running)
            .scalar_subquery()
        )
        return select(func.count(), pledged_total).select_from(filtered)

    def pledged(listed: Any) -> Any:  # for the children shown only, not for every child skipped by a page
        total = cast(func.coalesce(func.sum(Pledge.monthly_amount), 0), BigInteger)  # đồng, never a decimal
        running = or_(col(Pledge.end_month).is_(None), col(Pledge.end_month) >= this.first_day)
        return (
            select(total)
            .where(col(Pledge.child_id) == listed.c.row_id, col(Pledge.start_month) <= this.first_day, running)
            .scalar_subquery()
        )

    return _Shape(query, sorting, frozenset({"pledged"}), ("pledged",), "code", summary, {"pledged": pledged})


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _sponsors(wanted: ListRequest, ids: list[int] | None, today: date) -> _Shape:
    columns = {
        "code": col(Sponsor.code), "name": col(Sponsor.name), "kind": col(Sponsor.kind), "phone": col(Sponsor.phone),
        "email": col(Sponsor.email), "branch": col(Branch.name),
    }  # fmt: skip
    query: Select[Any] = (
        select(*(c.label(name) for name, c in columns.items()))
        .join(Branch, col(Branch.id) == Sponsor.branch_id)
        .where(_in(col(Sponsor.branch_id), ids))
    )
    if wanted.status in ("individual", "organisation"):
        query = query.where(col(Sponsor.kind) == wanted.status)
    return _Shape(query, columns, frozenset(), (), "code")


def _pledges(wanted: ListRequest, ids: list[int] | None, today: date) -> _Shape:
    this = Month.of(today)
    columns = {
        "code": col(Pledge.code), "sponsor": col(Sponsor.code), "child": col(Child.code),
        "child_name": col(Child.full_name), "monthly_amount": col(Pledge.monthly_amount),
        "start_month": col(Pledge.start_month), "end_month": col(Pledge.end_month), "branch": col(Branch.name),
    }  # fmt: skip
    query: Select[Any] = (
        select(*(c.label(name) for name, c in columns.items()))
        .join(Sponsor, col(Sponsor.id) == Pledge.sponsor_id)
        .join(Child, col(Child.id) == Pledge.child_id)
        .join(Branch, col(Branch.id) == Child.branch_id)
        .where(or_(_in(col(Child.branch_id), ids), _in(col(Sponsor.branch_id), ids)))
    )
    running = or_(col(Pledge.end_month).is_(None), col(Pledge.end_month) >= this.first_day)
    if wanted.status == "active":
        query = query.where(running)
    elif wanted.status == "ended":
        query = query.where(~running)
    return _Shape(query, columns, frozenset({"monthly_amount"}), ("monthly_amount",), "code")


def _payments(wanted: ListRequest, ids: list[int] | None, today: date) -> _Shape:
    columns = {
        "paid_on": col(Payment.paid_on), "sponsor": col(Sponsor.code), "name": col(Sponsor.name),
        "amount": col(Payment.amount), "method": col(Payment.method), "reference": col(Payment.reference),
        "transaction": col(Payment.transaction_id),
    }  # fmt: skip
    query: Select[Any] = (
        select(*(c.label(name) for name, c in columns.items()))
        .join(Sponsor, col(Sponsor.id) == Payment.sponsor_id)
        .where(_in(col(Sponsor.branch_id), ids))
    )
    return _Shape(_between(query, col(Payment.paid_on), wanted), columns, frozenset({"amount"}), ("amount",), "paid_on")


def _handovers(wanted: ListRequest, ids: list[int] | None, today: date) -> _Shape:
    columns = {
        "month": col(Handover.month), "child": col(Child.code), "child_name": col(Child.full_name),
        "amount": col(Handover.amount), "method": col(Handover.method), "received_by": col(Handover.received_by),
        "branch": col(Branch.name),
    }  # fmt: skip
    query: Select[Any] = (
        select(*(c.label(name) for name, c in columns.items()))
        .join(Child, col(Child.id) == Handover.child_id)
        .join(Branch, col(Branch.id) == Child.branch_id)
        .where(_in(col(Child.branch_id), ids))
    )
    return _Shape(_between(query, col(Handover.month), wanted), columns, frozenset({"amount"}), ("amount",), "month")


def _between(query: Select[Any], day: Any, wanted: ListRequest) -> Select[Any]:
    """Rows whose ``day`` (a date, or a month's first day) falls from ``since`` through ``until``."""
    if wanted.since:
        query = query.where(day >= wanted.since.first_day)
    if wanted.until:
        query = query.where(day <= wanted.until.last_day)
    return query
