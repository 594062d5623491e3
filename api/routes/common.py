"""What the register's routes share: path and query types, the reader's scope as SQL."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query

from api.schemas.common import MONTH_PATTERN
from ledger.access.actor import Actor

Code = Annotated[str, Path(min_length=1, max_length=64)]
MonthQuery = Annotated[str, Query(pattern=MONTH_PATTERN, examples=["2026-11"])]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10**9)]


def _in_scope(column: Any, scope: Actor) -> Any:
    return column.in_(scope.branch_ids or ()) if not scope.is_admin else True
