"""The audit log: administrators see all of it, auditors what concerns their branches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, SessionDep
from api.schemas import audit as schemas
from ledger.access import audit

router = APIRouter(tags=["audit"])


@router.get("/audit-log", response_model=list[schemas.AuditEventOut])
async def audit_log(
    db: SessionDep,
    scope: CurrentUser,
    action: Annotated[str | None, Query(max_length=64, examples=["child.read"])] = None,
    subject: Annotated[str | None, Query(max_length=200, examples=["child:C-000003"])] = None,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    before: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="only events older than this id (paging)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[schemas.AuditEventOut]:
    """Who changed or read what, newest first: every write, and every read of a child's full record."""
    found = audit.events(db, reader=scope, before_id=before, limit=limit, action=action, subject=subject, actor=actor)
    return [
        schemas.AuditEventOut(
            id=e.id, at=e.at, actor=e.actor, action=e.action, subject=e.subject, door=e.door, detail=dict(e.detail)
        )
        for e in found
    ]
