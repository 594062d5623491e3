"""Checking a statement against the ledger."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class StatementCheck(BaseModel):
    name: str = Field(description="statement, code, pages or ledger")
    ok: bool
    detail: str


class StatementVerdictOut(BaseModel):
    valid: bool = Field(description="every check passed: the file is as issued and the ledger still agrees")
    code: str | None = Field(description="the verification code the file carries")
    request: dict[str, Any] | None = Field(description="what the statement is: kind, subject, period, child")
    issued_on: str | None
    checks: list[StatementCheck]
    differences: list[str] = Field(description="what the ledger says differently today, one sentence each")
