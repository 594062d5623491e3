"""Finding people and listing the register: the same search and lists as the web pages, as JSON."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel

from api.deps import CurrentUser, SessionDep, in_read_transaction
from ledger.months import Month, today_in_vietnam
from ledger.people.lists import KINDS, PAGE_SIZES, ListRequest, listing
from ledger.register.finding import Found, find_people

router = APIRouter(tags=["register"])
MonthText = Annotated[str, Query(pattern=r"^(\d{4}-\d{2})?$")]


class FoundOut(BaseModel):
    code: str
    name: str
    branch: str
    born: date | None = None


class SearchOut(BaseModel):
    query: str
    page: int
    pages: int
    children: list[FoundOut]
    children_count: int
    sponsors: list[FoundOut]
    sponsors_count: int


class ListOut(BaseModel):
    kind: str
    page: int
    pages: int
    size: int
    count: int
    totals: dict[str, int]
    columns: list[str]
    rows: list[dict[str, Any]]


def _found(found: Found) -> FoundOut:
    return FoundOut(code=found.code, name=found.name, branch=found.branch,
                    born=date.fromisoformat(found.born) if found.born else None)  # fmt: skip


@router.get("/search", response_model=SearchOut)
async def search(
    request: Request,
    db: SessionDep,
    scope: CurrentUser,
    q: Annotated[str, Query(max_length=100, description="a name (with or without accents), code, phone or reference")],
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> SearchOut:
    """Children and sponsors of your branches, best matches first (each search is in the audit log)."""
    found = await in_read_transaction(request, db, lambda s: find_people(s, scope, q, page=page))
    return SearchOut(
        query=q, page=found.page, pages=found.pages, children=[_found(c) for c in found.children],
        children_count=found.children_count, sponsors=[_found(s) for s in found.sponsors],
        sponsors_count=found.sponsors_count,
    )  # fmt: skip


@router.get("/lists/{kind}", response_model=ListOut)
async def register_list(
    request: Request,
    db: SessionDep,
    scope: CurrentUser,
    kind: Annotated[str, Path(pattern="^(" + "|".join(KINDS) + ")$")],
    branch: Annotated[str, Query(max_length=64)] = "",
    program: Annotated[str, Query(pattern="^(godmother|social-allowance)?$")] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    age: Annotated[str, Query(max_length=8)] = "",
    ageing_out: bool = False,
    in_arrears: bool = False,
    since: MonthText = "",
    until: MonthText = "",
    sort: Annotated[str, Query(max_length=32)] = "",
    desc: bool = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=max(PAGE_SIZES))] = 50,
) -> ListOut:
    """A page of a list of your branches' register, with the count and totals of every row it filters."""
    wanted = ListRequest(
        kind=kind, branch=branch or None, program=program or None, status=status or None, age_band=age or None,
        ageing_out=ageing_out, in_arrears=in_arrears, since=Month.parse(since) if since else None,
        until=Month.parse(until) if until else None, sort=sort, descending=desc, page=page, size=size,
    )  # fmt: skip
    found = await in_read_transaction(request, db, lambda s: listing(s, scope, wanted, today=today_in_vietnam()))
    return ListOut(
        kind=kind, page=page, pages=found.pages, size=size, count=found.count, totals=found.totals,
        columns=list(found.columns), rows=[{c: row[c] for c in found.columns} for row in found.rows],
    )  # fmt: skip
