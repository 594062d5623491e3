"""Tables of access: users, their sign-in tokens, sign-in attempts and the audit log.

Passwords are kept only as argon2 hashes and tokens only as SHA-256 digests, so a copy of
the database lets nobody sign in. The audit log is append-only, like the ledger.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, String
from sqlmodel import Field, SQLModel

from ledger.ground.columns import UTCDateTime


class User(SQLModel, table=True):
    """Someone who signs in: an administrator, a treasurer or auditor of a branch, or a sponsor."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'treasurer', 'auditor', 'sponsor')", name="ck_app_user_role"),
        CheckConstraint(
            "(role IN ('treasurer', 'auditor')) = (branch_id IS NOT NULL)", name="ck_app_user_branch_for_staff"
        ),
        CheckConstraint("(role = 'sponsor') = (sponsor_id IS NOT NULL)", name="ck_app_user_sponsor_for_sponsor"),
    )

    id: int = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(100), unique=True)
    password_hash: str = Field(sa_type=String(200))
    role: str = Field(sa_type=String(16))
    branch_id: int | None = Field(default=None, foreign_key="branch.id")
    include_below: bool = Field(default=True, description="a treasurer's scope: the branches below too")
    sponsor_id: int | None = Field(default=None, foreign_key="sponsor.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AccessToken(SQLModel, table=True):
    """A bearer token handed out at sign-in; only its digest is stored."""

    __tablename__ = "access_token"

    id: int = Field(default=None, primary_key=True)
    digest: str = Field(sa_type=String(64), unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    issued_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignInAttempt(SQLModel, table=True):
    """One sign-in attempt, kept to slow down password guessing."""

    __tablename__ = "sign_in_attempt"
    __table_args__ = (
        Index("ix_sign_in_attempt_name_at", "name", "at"),
        Index("ix_sign_in_attempt_client_at", "client", "at"),
    )

    id: int = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(100))
    client: str = Field(default="", sa_type=String(64))
    at: datetime = Field(sa_type=UTCDateTime)
    succeeded: bool


class AuditEvent(SQLModel, table=True):
    """Who did or read what, and when; never edited or deleted."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_subject", "subject"), Index("ix_audit_event_action_at", "action", "at"))

    id: int = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(sa_type=String(100))
    action: str = Field(sa_type=String(64), description="e.g. child.read, transaction.create, consent.withdraw")
    subject: str = Field(sa_type=String(200), description="what it concerns, e.g. child:C-000123")
    branch_id: int | None = Field(default=None, foreign_key="branch.id", description="for scoping reads of the log")
    door: str = Field(default="", sa_type=String(8), description="web, api, cli or job")
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
