"""Tables of scheduled work: executions, notices for treasurers, stored statements, reminders sent."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from ledger.ground.columns import UTCDateTime


class JobExecution(SQLModel, table=True):
    """One (job, period), claimed once: its attempts, outcome and counts."""

    __tablename__ = "job_execution"
    __table_args__ = (
        UniqueConstraint("job", "period", name="uq_job_execution_job_period"),
        CheckConstraint("status IN ('running', 'succeeded', 'retrying', 'failed')", name="ck_job_execution_status"),
    )

    id: int = Field(default=None, primary_key=True)
    job: str = Field(sa_type=String(100), index=True, description="kind:branch, e.g. monthly-run:hp-an-lao")
    period: str = Field(sa_type=String(32), description="2026-12, 2026-W48 or 2026-11-24")
    scheduled_for: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(sa_type=String(16))
    attempts: int = 1
    next_retry_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str = Field(default="", sa_type=Text)
    worker: str = Field(default="", sa_type=String(100))
    trigger: str = Field(default="schedule", sa_type=String(16), description="schedule, catch-up or run-now")


class Notice(SQLModel, table=True):
    """Something a treasurer should act on: a child ageing out, a card expiring, a job that failed."""

    __table_args__ = (UniqueConstraint("kind", "subject", "due_on", name="uq_notice_kind_subject_due_on"),)

    id: int = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    kind: str = Field(sa_type=String(32))
    subject: str = Field(sa_type=String(100))
    due_on: date
    message_vi: str = Field(sa_type=Text)
    message_en: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    dismissed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dismissed_by: str | None = Field(default=None, sa_type=String(100))


class StoredStatement(SQLModel, table=True):
    """A statement issued by a job, kept to download again and e-mailed where possible."""

    __tablename__ = "stored_statement"
    __table_args__ = (UniqueConstraint("kind", "subject", "period", name="uq_stored_statement_kind_subject_period"),)

    id: int = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=String(16))
    subject: str = Field(sa_type=String(64), index=True)
    period: str = Field(sa_type=String(32))
    lang: str = Field(sa_type=String(2))
    code: str = Field(sa_type=String(19), description="verification code")
    filename: str = Field(sa_type=String(200))
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)
    emailed_to: str = Field(default="", sa_type=String(200))
    emailed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ArrearsReminder(SQLModel, table=True):
    """A weekly reminder of arrears to one sponsor (at most one a week)."""

    __tablename__ = "arrears_reminder"
    __table_args__ = (UniqueConstraint("sponsor_id", "week", name="uq_arrears_reminder_sponsor_id_week"),)

    id: int = Field(default=None, primary_key=True)
    sponsor_id: int = Field(foreign_key="sponsor.id")
    week: str = Field(sa_type=String(10))
    amount: int = Field(sa_type=BigInteger)
    reference: str = Field(sa_type=String(32))
    emailed_to: str = Field(default="", sa_type=String(200))
    sent_at: datetime = Field(sa_type=UTCDateTime)


# APScheduler's own job store, created by our migrations rather than by APScheduler at start.
APSCHEDULER_JOBS = Table(
    "apscheduler_jobs",
    SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),  # APScheduler's timestamp in seconds
    Column("job_state", LargeBinary, nullable=False),
)


class BackupCopy(SQLModel, table=True):
    """A copy of the database that was taken and proved whole (``ledger.backup``)."""

    __tablename__ = "backup_copy"

    id: int = Field(default=None, primary_key=True)
    taken_at: datetime = Field(sa_type=UTCDateTime, index=True)
    file_name: str = Field(sa_type=String(255))
    folder: str = Field(sa_type=Text)
    second_folder: str | None = Field(default=None, sa_type=Text)
    size: int = Field(sa_type=BigInteger)
    sha256: str = Field(sa_type=String(64))
    chain_seq: int = Field(sa_type=BigInteger)
    chain_hash: str = Field(sa_type=String(64))
    trial_balance_digest: str = Field(sa_type=String(64))
    taken_by: str = Field(sa_type=String(100))
    seconds: float = Field(sa_type=Float)
