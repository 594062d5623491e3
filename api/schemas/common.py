"""What the API's models share. Money is always an integer number of đồng."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

Dong = int
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
CODE = Field(min_length=1, max_length=64, pattern=r"^[\w.:-]+$")
MAX_AMOUNT = 10**15


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
