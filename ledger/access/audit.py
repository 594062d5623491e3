"""The audit log: who changed or read what, and when. Rows are only ever added."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from ledger.access.actor import AUDITOR, Actor
from ledger.access.models import AuditEvent
from ledger.ground.columns import table_of

AUDIT = table_of(AuditEvent)


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    subject: str,
    branch_id: int | None = None,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Add one event in the caller's transaction: it stands or falls with what it records."""
    record_many(session, actor=actor, events=[Event(action, subject, branch_id, detail)], now=now)


@dataclass(frozen=True, slots=True)
class Event:
    action: str
    subject: str
    branch_id: int | None = None
    detail: dict[str, Any] | None = None


def record_many(session: Session, *, actor: Actor, events: Sequence[Event], now: datetime | None = None) -> None:
    """Add the events of one act done many times (a batch of payments) in one statement."""
    if not events:
        return
    at = now or datetime.now(UTC)
    session.execute(
        insert(AUDIT),
        [
            {
                "at": at,
                "actor": actor.user,
                "door": actor.door,
                "action": e.action,
                "subject": e.subject[:200],
                "branch_id": e.branch_id,
                "detail": e.detail or {},
            }
            for e in events
        ],
    )


def events(
    session: Session,
    *,
    reader: Actor,
    branch_ids: Collection[int] | None = None,
    before_id: int | None = None,
    limit: int = 100,
    action: str | None = None,
    subject: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
) -> list[AuditEvent]:
    """Newest first, of what the reader may read: administrators all of it, auditors what concerns
    their branches; ``branch_ids`` narrows it further (a branch and those below it)."""
    if reader.role != AUDITOR:
        reader.require_admin()
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    for ids in (reader.branch_ids, branch_ids):
        if ids is not None:
            query = query.where(col(AuditEvent.branch_id).in_(ids))
    if since is not None:
        query = query.where(col(AuditEvent.at) >= since)
    if before_id is not None:
        query = query.where(col(AuditEvent.id) < before_id)
    if action:
        query = query.where(col(AuditEvent.action) == action)
    if subject:
        query = query.where(col(AuditEvent.subject) == subject)
    if actor:
        query = query.where(col(AuditEvent.actor) == actor)
    return list(session.scalars(query))
