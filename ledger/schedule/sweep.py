"""The daily eligibility sweep: what treasurers should know before next month, written as notices.

For every child below a branch: ageing out of the Godmother program after this month (the age
limit of its branch's policy), school ending or the health-insurance card expiring within a
month, and pledges whose last scheduled month is this one. A notice is written once per
(kind, subject, day it falls due), however many times the sweep runs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from ledger.accounts import branch_and_descendants
from ledger.db import is_sqlite
from ledger.eligibility.policy import BranchPolicies
from ledger.ground.columns import table_of
from ledger.ground.programs import age_on, status_date
from ledger.money import format_vnd
from ledger.months import Month
from ledger.register.models import Child, Pledge, Sponsor
from ledger.register.pledges import schedules
from ledger.schedule.models import Notice

WITHIN = timedelta(days=31)


def sweep(session: Session, *, branch: str, today: date, now: datetime | None = None) -> dict[str, Any]:
    """Write the notices due for the children and pledges below ``branch``; returns counts by kind."""
    now = now or datetime.now(UTC)
    this, following = Month.of(today), Month.of(today).next()
    scope = [b.id for b in branch_and_descendants(session, branch)]
    children = list(session.scalars(select(Child).where(col(Child.branch_id).in_(scope), col(Child.died_on).is_(None))))
    policies = BranchPolicies(session)
    rows: list[dict[str, Any]] = []

    def notice(child_branch: int, kind: str, subject: str, due: date, vi: str, en: str) -> None:
        rows.append(
            {"branch_id": child_branch, "kind": kind, "subject": subject, "due_on": due, "message_vi": vi,
             "message_en": en, "created_at": now}
        )  # fmt: skip

    for child in children:
        name = child.full_name or child.code
        limit = policies.age_limit(child, following)
        if (
            age_on(child.date_of_birth, status_date(this))
            < limit
            <= age_on(child.date_of_birth, status_date(following))
        ):
            notice(
                child.branch_id, "age-out", f"child:{child.code}", following.first_day,
                f"Trẻ {child.code} ({name}) đủ {limit} tuổi: tháng {this.month:02d}/{this.year} là tháng cuối được "
                "nhận Mẹ đỡ đầu; báo nhà tài trợ và chuyển cam kết nếu cần.",
                f"Child {child.code} ({name}) turns {limit}: {this} is the last Godmother month; tell the sponsors "
                "and move their pledges if needed.",
            )  # fmt: skip
        if child.in_school_until is not None and today <= child.in_school_until <= today + WITHIN:
            notice(
                child.branch_id, "school-ends", f"child:{child.code}", child.in_school_until,
                f"Trẻ {child.code} ({name}) hết xác nhận đang đi học ngày {child.in_school_until:%d/%m/%Y}: "
                "xin giấy xác nhận mới.",
                f"Child {child.code} ({name}): proof of schooling ends on {child.in_school_until:%d %b %Y}; ask for "
                "a new one.",
            )  # fmt: skip
        card = child.health_card_valid_until
        if card is not None and card <= today + WITHIN:
            notice(
                child.branch_id, "health-card", f"child:{child.code}", card,
                f"Thẻ BHYT của trẻ {child.code} ({name}) hết hạn ngày {card:%d/%m/%Y}.",
                f"The health-insurance card of child {child.code} ({name}) expires on {card:%d %b %Y}.",
            )  # fmt: skip

    pledges = list(session.scalars(select(Pledge).where(col(Pledge.child_id).in_([c.id for c in children]))))
    sponsors = {
        s.id: s for s in session.scalars(select(Sponsor).where(col(Sponsor.id).in_({p.sponsor_id for p in pledges})))
    }
    by_id = {c.id: c for c in children}
    planned = schedules(session, pledges)
    for pledge in pledges:
        months = planned[pledge.id]
        if months and months[-1].month == this and pledge.child_id in by_id:
            sponsor = sponsors[pledge.sponsor_id]
            last = months[-1]
            notice(
                by_id[pledge.child_id].branch_id, "pledge-ends", f"pledge:{pledge.code}", following.first_day,
                f"Cam kết {pledge.code} của {sponsor.name} kết thúc sau tháng {this.month:02d}/{this.year} "
                f"({format_vnd(last.amount)}/tháng).",
                f"Pledge {pledge.code} of {sponsor.name} ends after {this} ({format_vnd(last.amount, 'en')} a month).",
            )  # fmt: skip
    written = 0
    if rows:
        dialect = sqlite if is_sqlite(session) else postgresql
        for start in range(0, len(rows), 1_000):
            result = session.execute(
                dialect.insert(table_of(Notice))
                .on_conflict_do_nothing(index_elements=["kind", "subject", "due_on"])
                .returning(table_of(Notice).c.id),
                rows[start : start + 1_000],
            )
            written += len(result.all())
    counts: dict[str, Any] = {"children": len(children), "new_notices": written}
    for row in rows:
        counts[row["kind"]] = counts.get(row["kind"], 0) + 1
    return counts
