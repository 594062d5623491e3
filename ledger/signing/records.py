"""Which certificate signed which statement: kept in the audit log when the statement is issued."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from ledger.access import audit
from ledger.access.actor import Actor
from ledger.access.models import AuditEvent
from ledger.signing.keys import SigningKey

SIGN_ACTION = "statement.sign"  # the audit event of a signed issue; read without loading the PDF signer


def record_signature(session: Session, *, actor: Actor, code: str, branch_id: int | None, key: SigningKey) -> None:
    audit.record(
        session, actor=actor, action=SIGN_ACTION, subject=f"signed:{code}", branch_id=branch_id,
        detail={"certificate_sha256": key.certificate_sha256, "signer": key.signer, "branch": key.branch},
    )  # fmt: skip


def signatures_of(session: Session, code: str) -> list[dict[str, Any]]:
    """Every signature the product put on statements with this verification code (usually one)."""
    return [
        dict(detail or {})
        for detail in session.scalars(
            select(AuditEvent.detail).where(
                col(AuditEvent.action) == SIGN_ACTION, col(AuditEvent.subject) == f"signed:{code}"
            )
        )
    ]


def issued_unsigned(session: Session, *, kind: str, subject: str, code: str) -> bool:
    """Was a statement with this code ever issued without a signature (before a key was set)?"""
    for detail in session.scalars(
        select(AuditEvent.detail).where(
            col(AuditEvent.action) == "statement.issue", col(AuditEvent.subject) == f"statement:{kind}:{subject}"
        )
    ):
        if detail and detail.get("code") == code and not detail.get("signed", False):
            return True
    return False
