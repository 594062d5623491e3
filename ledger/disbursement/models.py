"""Tables of the monthly run: runs, the decisions each run made, and guardians' receipts.

A decision is written once and never edited (the database refuses it): it says, for one
child, program and month, whether the child was entitled, how much was due, how much was
paid (part of it towards earlier shortfalls, oldest first) and why. The disbursement
transaction of a decision is found through ``disbursement`` (child, program, month).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from ledger.ground.columns import UTCDateTime


class Run(SQLModel, table=True):
    """One monthly run over a branch subtree (or every branch): prepared, approved, done."""

    __table_args__ = (
        CheckConstraint("status IN ('prepared', 'approved', 'done', 'superseded')", name="ck_run_status"),
        Index("ix_run_month", "month"),
    )

    id: int = Field(default=None, primary_key=True)
    month: date = Field(description="first day of the month paid for")
    branch_id: int | None = Field(default=None, foreign_key="branch.id", description="scope: this branch and below")
    status: str = Field(sa_type=String(16))
    posted_on: date = Field(description="effective date of the run's disbursements")
    prepared_by: str = Field(sa_type=String(100))
    prepared_at: datetime = Field(sa_type=UTCDateTime)
    approved_by: str | None = Field(default=None, sa_type=String(100))
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class RunDecision(SQLModel, table=True):
    """What a run decided for one child, program and month, and why."""

    __tablename__ = "run_decision"
    __table_args__ = (
        UniqueConstraint("run_id", "child_id", "program", name="uq_run_decision_run_id_child_id_program"),
        CheckConstraint("due >= 0 AND catch_up >= 0 AND paid >= 0 AND shortfall >= 0", name="ck_run_decision_amounts"),
        CheckConstraint("paid = catch_up + due - shortfall", name="ck_run_decision_paid"),
        Index("ix_run_decision_child_program_month", "child_id", "program", "month"),
        Index(
            "ix_run_decision_shortfall",
            "program",
            "child_id",
            sqlite_where=text("shortfall > 0"),
            postgresql_where=text("shortfall > 0"),
        ),
    )

    id: int = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id")
    child_id: int = Field(foreign_key="child.id")
    program: str = Field(sa_type=String(64))
    month: date = Field(description="first day of the month decided")
    eligible: bool
    due: int = Field(sa_type=BigInteger, description="whole đồng the child is entitled to for the month")
    catch_up: int = Field(default=0, sa_type=BigInteger, description="paid towards earlier months' shortfalls")
    paid: int = Field(default=0, sa_type=BigInteger, description="the disbursement: catch_up + what of due was paid")
    shortfall: int = Field(default=0, sa_type=BigInteger, description="what of due the fund could not pay")
    fund_account_id: int | None = Field(default=None, foreign_key="account.id", description="the fund paid from")
    reasons: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ShortfallSettlement(SQLModel, table=True):
    """Part of a later decision's payment that settles an earlier decision's shortfall."""

    __tablename__ = "shortfall_settlement"

    id: int = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="run_decision.id", index=True, description="the decision that pays")
    shortfall_id: int = Field(foreign_key="run_decision.id", index=True, description="the decision short of money")
    amount: int = Field(sa_type=BigInteger)


class Evidence(SQLModel, table=True):
    """A photo or scan (e.g. a signed handover slip), kept whole; its SHA-256 goes into the ledger."""

    __table_args__ = (CheckConstraint("size > 0", name="ck_evidence_size"),)

    id: int = Field(default=None, primary_key=True)
    sha256: str = Field(sa_type=String(64), unique=True)
    filename: str = Field(sa_type=String(255))
    content_type: str = Field(sa_type=String(100))
    size: int
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(sa_type=String(100))


class Handover(SQLModel, table=True):
    """A guardian received a child's money for a month (payable → cash or bank)."""

    __table_args__ = (
        UniqueConstraint("child_id", "month", "round", name="uq_handover_child_id_month_round"),
        CheckConstraint("method IN ('cash', 'bank')", name="ck_handover_method"),
    )

    transaction_id: int = Field(sa_type=BigInteger, primary_key=True, foreign_key="ledger_transaction.id")
    child_id: int = Field(foreign_key="child.id")
    month: date = Field(description="first day of the month whose disbursements were handed over")
    amount: int = Field(sa_type=BigInteger)
    method: str = Field(sa_type=String(8))
    received_by: str = Field(default="", sa_type=String(200), description="who signed for it (the guardian)")
    evidence_id: int | None = Field(default=None, foreign_key="evidence.id")
    round: int = Field(
        default=0, sa_column_kwargs={"server_default": "0"}, description="0, or how many handovers before were reversed"
    )


class BranchSetting(SQLModel, table=True):
    """A branch's operational setting from a moment on (history kept); branches below inherit it."""

    __tablename__ = "branch_setting"
    __table_args__ = (Index("ix_branch_setting_branch_name", "branch_id", "name", "id"),)

    id: int = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    name: str = Field(sa_type=String(64))
    value: str = Field(sa_type=Text)
    set_at: datetime = Field(sa_type=UTCDateTime)
    set_by: str = Field(sa_type=String(100))
