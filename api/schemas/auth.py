"""Signing in and the users of the API and web application."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Strict


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    expires_in: int = Field(description="seconds")


class Me(BaseModel):
    name: str
    role: str
    branch: str | None = None
    include_below: bool | None = None
    sponsor: str | None = None


class UserCreate(Strict):
    name: str = Field(min_length=1, max_length=100, pattern=r"^\S+$", examples=["thu-quy-an-lao"])
    role: Literal["admin", "treasurer", "auditor", "sponsor"]
    password: str = Field(min_length=10, max_length=200)
    branch: str | None = Field(default=None, max_length=64, examples=["hp-an-lao"])
    include_below: bool = True
    sponsor: str | None = Field(default=None, max_length=64)


class PasswordChange(Strict):
    password: str = Field(min_length=10, max_length=200)
    current_password: str | None = Field(
        default=None, max_length=200, description="needed to change your own password (not for an admin's reset)"
    )


class UserOut(BaseModel):
    name: str
    role: str
    branch: str | None
    include_below: bool
    sponsor: str | None
    disabled: bool
