"""The daily sweep tells treasurers what next month brings, once per thing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from ledger.db import run_in_transaction
from ledger.eligibility.policy import BranchPolicies
from ledger.months import Month, today_in_vietnam
from ledger.register.models import Child, Pledge
from ledger.register.pledges import change_pledge
from ledger.schedule.models import Notice
from ledger.schedule.sweep import sweep
from tests.factories import admin
from tests.statements.conftest import load_small_demo


def test_ageing_out_school_cards_and_ending_pledges(database):
    load_small_demo(database, children=12, sponsors=10, months=2)
    today = today_in_vietnam()
    this = Month.of(today)
    with Session(database.engine) as session:
        a, b, c = session.scalars(select(Child).order_by(Child.code).limit(3)).all()
        pledge = session.scalar(select(Pledge).order_by(Pledge.code))
    # a reaches its branch's age limit during this month: next month it is no longer paid.
    with Session(database.engine) as session:
        limit = BranchPolicies(session).age_limit(a, this.next())
    born = this.first_day.replace(year=this.first_day.year - limit) + timedelta(days=1)
    run_in_transaction(
        database.engine, lambda s: s.execute(update(Child).where(Child.id == a.id).values(date_of_birth=born))
    )
    run_in_transaction(
        database.engine,
        lambda s: s.execute(update(Child).where(Child.id == b.id).values(in_school_until=today + timedelta(days=10))),
    )
    run_in_transaction(
        database.engine,
        lambda s: s.execute(
            update(Child).where(Child.id == c.id).values(health_card_valid_until=today + timedelta(days=3))
        ),
    )
    run_in_transaction(
        database.engine,
        lambda s: change_pledge(s, pledge=pledge.code, kind="end", from_month=this.next(), actor=admin("t"),
                                reason="chuyển công tác"),
    )  # fmt: skip
    counts = run_in_transaction(database.engine, lambda s: sweep(s, branch="hp", today=today))
    assert counts["age-out"] >= 1 and counts["school-ends"] >= 1 and counts["health-card"] >= 1
    assert counts["pledge-ends"] >= 1
    with Session(database.engine) as session:
        notices = {(n.kind, n.subject) for n in session.scalars(select(Notice))}
        english = {n.message_en for n in session.scalars(select(Notice))}
    assert ("age-out", f"child:{a.code}") in notices
    assert ("school-ends", f"child:{b.code}") in notices
    assert ("health-card", f"child:{c.code}") in notices
    assert ("pledge-ends", f"pledge:{pledge.code}") in notices
    assert any(f"Child {a.code}" in text and f"turns {limit}" in text for text in english)
    again = run_in_transaction(database.engine, lambda s: sweep(s, branch="hp", today=today))
    assert again["new_notices"] == 0  # the same things are not noted twice
