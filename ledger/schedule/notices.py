"""What a treasurer should act on: reading the notices of one's branches, and dismissing one."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from ledger.access import audit
from ledger.access.actor import Actor
from ledger.errors import NotFound
from ledger.models import Branch
from ledger.schedule.models import Notice


def notices_for(
    session: Session,
    actor: Actor,
    *,
    branch_ids: Collection[int] | None = None,
    include_dismissed: bool = False,
    limit: int = 1000,
) -> list[tuple[Notice, str]]:
    """(notice, branch code) of the actor's branches (narrowed to ``branch_ids``), the soonest first."""
    actor.require_staff()
    query = (
        select(Notice, Branch.code)
        .join(Branch, col(Branch.id) == Notice.branch_id)
        .order_by(col(Notice.due_on), col(Notice.id))
    )
    for ids in (actor.branch_ids, branch_ids):
        if ids is not None:
            query = query.where(col(Notice.branch_id).in_(sorted(ids)))
    if not include_dismissed:
        query = query.where(col(Notice.dismissed_at).is_(None))
    return [(notice, code) for notice, code in session.execute(query.limit(limit))]


def dismiss(session: Session, actor: Actor, notice_id: int) -> None:
    """Mark a notice dealt with (it stays, with who and when)."""
    found = session.get(Notice, notice_id)
    if found is None or not actor.sees_branch(found.branch_id):
        raise NotFound(f"notice {notice_id} does not exist")
    actor.require_writer()
    done = session.execute(
        update(Notice)
        .where(col(Notice.id) == notice_id, col(Notice.dismissed_at).is_(None))
        .values(dismissed_at=datetime.now(UTC), dismissed_by=actor.user)
    )
    if cast(CursorResult[Any], done).rowcount:
        audit.record(session, actor=actor, action="notice.dismiss", subject=f"notice:{notice_id}",
                     branch_id=found.branch_id, detail={"kind": found.kind, "about": found.subject})  # fmt: skip


def deployment_notice(session: Session, *, kind: str, subject: str, vi: str, en: str, now: datetime) -> int:
    """A notice for every top branch (the whole deployment's concern), once per day; how many were added."""
    added = 0
    for branch_id, code in session.execute(select(Branch.id, Branch.code).where(col(Branch.parent_id).is_(None))):
        about = f"{subject}:{code}"[:100]
        exists = session.scalar(
            select(Notice.id).where(
                col(Notice.kind) == kind, col(Notice.subject) == about, col(Notice.due_on) == now.date()
            )
        )
        if exists is None:
            session.add(
                Notice(branch_id=branch_id, kind=kind, subject=about, due_on=now.date(), message_vi=vi, message_en=en,
                       created_at=now)
            )  # fmt: skip
            added += 1
    return added
