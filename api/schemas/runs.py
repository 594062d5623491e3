"""Monthly runs and the handover to guardians."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import MONTH_PATTERN, Dong, Strict


class RunStart(Strict):
    month: str = Field(pattern=MONTH_PATTERN, examples=["2026-11"])
    branch: str | None = Field(default=None, max_length=64)
    dry_run: bool = False
    on: date | None = Field(default=None, description="effective date of the disbursements (default today)")


class RunSummaryOut(BaseModel):
    decisions: int
    children_paid: int
    total_paid: Dong
    catch_up: Dong
    shortfalls: int
    shortfall_total: Dong
    aged_out: list[str]
    left_school: list[str] = Field(
        default_factory=list, description="children whose allowance stopped on leaving school"
    )
    pledges_ended: list[str]


class RunJobOut(BaseModel):
    job: str
    month: str
    branch: str | None
    dry_run: bool
    state: Literal["running", "finished", "failed"]
    stage: str
    done: int
    total: int
    started_by: str
    run_id: int | None = None
    status: str | None = None
    summary: RunSummaryOut | None = None
    error: str | None = None


class RunOut(BaseModel):
    id: int
    month: str
    branch: str | None
    status: str
    posted_on: date
    prepared_by: str
    prepared_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    finished_at: datetime | None
    summary: dict[str, Any]


class DecisionOut(BaseModel):
    child: str
    program: str
    month: str
    eligible: bool
    due: Dong
    catch_up: Dong
    paid: Dong
    shortfall: Dong
    reasons: list[dict[str, Any]]


class CheckOut(BaseModel):
    month: str
    decisions_checked: int
    differences: list[dict[str, Any]]


class HandoverIn(Strict):
    month: str = Field(pattern=MONTH_PATTERN)
    children: list[str] = Field(default_factory=list, max_length=10000)
    branch: str | None = Field(default=None, max_length=64)
    method: Literal["cash", "bank"] = "cash"
    bank_account: str | None = Field(default=None, max_length=64)
    received_by: str = Field(default="", max_length=200)
    on: date | None = None


class HandoverOut(BaseModel):
    child: str
    month: str
    amount: Dong
    method: str
    transaction: int
