"""A child's categories as dated facts: what they were on any day, and recording a change.

Eligibility reads a month's categories as they stood on the day it is decided on (the last day
of the month before), so a category lost on 15 January still pays January and stops from
February, and ``run-month --check`` re-derives a past month from the facts of that month.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from typing import Any

from sqlalchemy import Select
from sqlmodel import Session, col, select

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.errors import EntryRefused
from ledger.ground.programs import CATEGORIES
from ledger.register.models import CategoryChange, Child

BEFORE_ANY_RECORD = date(1900, 1, 1)


def categories_on(session: Session, day: date, child_ids: Collection[int] | Any = None) -> dict[int, frozenset[str]]:
    """The categories on ``day`` of the children that have a history (the others: their record); of
    ``child_ids`` only, if given (ids, or a subquery of them)."""
    query = (
        select(CategoryChange.child_id, CategoryChange.categories)
        .where(col(CategoryChange.from_date) <= day)
        .order_by(col(CategoryChange.child_id), col(CategoryChange.from_date), col(CategoryChange.id))
    )
    if child_ids is not None:
        query = query.where(
            col(CategoryChange.child_id).in_(child_ids if isinstance(child_ids, Select) else list(child_ids))
        )
    found: dict[int, frozenset[str]] = {}
    for child_id, categories in session.execute(query):
        found[child_id] = frozenset(categories)  # the latest from_date wins
    return found


def record_change(session: Session, child: Child, categories: Iterable[str], *, from_date: date, by: str,
                  today: date) -> bool:  # fmt: skip
    """Record that ``child`` has ``categories`` from ``from_date`` on; False when nothing changes."""
    new = sorted(set(categories))
    if from_date > today:
        raise EntryRefused("categories-in-future",
                           f"a change of categories takes effect at the latest today, not on {from_date:%d/%m/%Y}",
                           field="from_date", day=from_date)  # fmt: skip
    if new == sorted(child.categories):
        return False
    assert child.id is not None
    if session.scalar(select(CategoryChange.id).where(col(CategoryChange.child_id) == child.id).limit(1)) is None:
        session.add(CategoryChange(child_id=child.id, from_date=BEFORE_ANY_RECORD, categories=sorted(child.categories),
                                   recorded_by=by))  # fmt: skip
    session.add(CategoryChange(child_id=child.id, from_date=from_date, categories=new, recorded_by=by))
    session.flush()
    current = categories_on(session, today, [child.id])  # a back-dated change may not be the latest
    child.categories = sorted(current.get(child.id, frozenset(new)))
    session.add(child)
    session.flush()
    return True


def change_categories(
    session: Session, actor: Actor, *, child: str, categories: Iterable[str], from_date: date, today: date
) -> bool:
    """A treasurer records a child's new categories from a day on (the importer's rules); False when unchanged."""
    record = rights.writable_child(session, actor, child)
    wanted = sorted(set(categories))
    unknown = [c for c in wanted if c not in CATEGORIES]
    if unknown:
        raise EntryRefused("categories-unknown", f"unknown category {unknown[0]!r} (known: {', '.join(CATEGORIES)})",
                           field="categories", category=unknown[0])  # fmt: skip
    before = sorted(record.categories)
    changed = record_change(session, record, wanted, from_date=from_date, by=actor.user, today=today)
    if changed:
        audit.record(session, actor=actor, action="child.categories", subject=f"child:{record.code}",
                     branch_id=record.branch_id,
                     detail={"from": from_date.isoformat(), "before": before, "after": wanted})  # fmt: skip
    return changed
