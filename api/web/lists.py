"""The register's lists for the staff: children, sponsors, pledges, payments and handovers, and their XLSX."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.deps import SessionDep, in_read_transaction
from api.issuing import XLSX
from api.web.guards import require_staff
from api.web.session import page, reader_lang, web_user
from ledger.access import rights
from ledger.months import Month, today_in_vietnam
from ledger.people.lists import AGE_BANDS, KINDS, PAGE_SIZES, ListRequest, every_row, listing
from pdf_templates.lists import list_xlsx

router = APIRouter(include_in_schema=False)
MonthText = Annotated[str, Query(pattern=r"^(\d{4}-\d{2})?$")]


def wanted_list(
    kind: Annotated[str, Path(pattern="^(" + "|".join(KINDS) + ")$")],
    branch: Annotated[str, Query(max_length=64)] = "",
    program: Annotated[str, Query(pattern="^(godmother|social-allowance)?$")] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    age: Annotated[str, Query(max_length=8)] = "",
    ageing_out: Annotated[str, Query(max_length=3)] = "",
    arrears: Annotated[str, Query(max_length=3)] = "",
    since: MonthText = "",
    until: MonthText = "",
    sort: Annotated[str, Query(max_length=32)] = "",
    desc: Annotated[str, Query(max_length=3)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=300)] = 50,
) -> ListRequest:
    """The list a page's address asks for (its filters as the form's fields name them)."""
    return ListRequest(
        kind=kind, branch=branch or None, program=program or None, status=status or None, age_band=age or None,
        ageing_out=ageing_out == "yes", in_arrears=arrears == "yes", since=Month.parse(since) if since else None,
        until=Month.parse(until) if until else None, sort=sort, descending=desc == "yes", page=page_number,
        size=size if size in PAGE_SIZES else 50,
    )  # fmt: skip


Wanted = Annotated[ListRequest, Depends(wanted_list)]


@router.get("/register/{kind}.xlsx")
async def list_spreadsheet(request: Request, db: SessionDep, wanted: Wanted) -> Response:
    """Every row of the list as filtered, not only the page shown."""
    user = web_user(request)
    require_staff(user)
    lang = reader_lang(request)
    today = today_in_vietnam()

    def work(session: Session) -> bytes:
        columns, rows = every_row(session, user.scope, wanted, today=today)
        return list_xlsx(wanted.kind, columns, rows, lang)

    content = await in_read_transaction(request, db, work)
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{wanted.kind}-{today.isoformat()}.xlsx"'},
    )


@router.get("/register/{kind}", response_class=HTMLResponse)
async def list_page(request: Request, db: SessionDep, wanted: Wanted) -> Response:
    user = web_user(request)
    require_staff(user)
    today = today_in_vietnam()
    found = await in_read_transaction(request, db, lambda s: listing(s, user.scope, wanted, today=today))
    query = {k: v for k, v in request.query_params.items() if k not in ("page", "sort", "desc")}
    return page(
        request, "list.html", reader_lang(request), user=user, kind=wanted.kind, kinds=KINDS, found=found,
        query=query, branches=sorted(rights.branch_codes_seen_by(db, user.scope)), age_bands=AGE_BANDS,
        sizes=PAGE_SIZES, the_month=str(Month.of(today)),
    )  # fmt: skip
