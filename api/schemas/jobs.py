"""Scheduled jobs, notices and stored statements."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class JobOut(BaseModel):
    job: str = Field(examples=["monthly-run:hp-an-lao"])
    kind: str
    branch: str
    schedule: str = Field(description="Vietnam time: 'D HH:MM' monthly, 'mon HH:MM' weekly, 'HH:MM' daily")
    every: str
    next_due: datetime | None


class JobExecutionOut(BaseModel):
    id: int
    job: str
    period: str
    status: str = Field(description="running, succeeded, retrying or failed")
    attempts: int
    trigger: str
    scheduled_for: datetime
    started_at: datetime
    finished_at: datetime | None
    next_retry_at: datetime | None
    counts: dict[str, Any]
    error: str


class JobStartedOut(BaseModel):
    job: str
    started: bool


class NoticeOut(BaseModel):
    id: int
    branch: str
    kind: str = Field(description="age-out, school-ends, health-card, pledge-ends or job-failed")
    subject: str
    due_on: date
    message_vi: str
    message_en: str
    dismissed: bool


class StoredStatementOut(BaseModel):
    id: int
    period: str
    lang: str
    code: str = Field(description="verification code")
    filename: str
    created_at: datetime
    emailed_to: str | None
    emailed_at: datetime | None
