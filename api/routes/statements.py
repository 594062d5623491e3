"""Statements as PDF for those allowed to see them, and checking a statement someone brings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from api.deps import CurrentUser, Language, SessionDep, off_the_loop
from api.issuing import XLSX, issue_pdf, issue_xlsx
from api.schemas import statements as schemas
from api.schemas.common import MONTH_PATTERN
from ledger.access.actor import Actor
from ledger.errors import InvalidEntry, TooLarge
from ledger.months import Month
from ledger.signing.check import Trust
from ledger.statements.document import Document, Period, StatementRequest
from ledger.statements.issue import may_issue
from pdf_templates.verify import MAX_PAGES, compare_with_ledger, inspect_statement

router = APIRouter(tags=["statements"])
PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "the statement as a PDF"}
}
MAX_PDF = 30 * 1024 * 1024

Code = Annotated[str, Path(min_length=1, max_length=64)]
MonthQuery = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="a month, YYYY-MM")]
YearQuery = Annotated[int | None, Query(ge=1900, le=9999, description="a whole year")]
LangQuery = Annotated[Literal["vi", "en"] | None, Query(description="vi or en (default: Accept-Language)")]


def _period(month: str | None, year: int | None) -> Period:
    if (month is None) == (year is None):
        raise InvalidEntry("say which period: month=YYYY-MM or year=YYYY")
    return Period.month(Month.parse(month)) if month is not None else Period.year(year or 0)


@router.get("/statements/sponsor/{code}", response_class=Response, responses=PDF)
async def sponsor_statement(
    code: Code,
    request: Request,
    db: SessionDep,
    scope: CurrentUser,
    reader: Language,
    month: MonthQuery = None,
    year: YearQuery = None,
    lang: LangQuery = None,
) -> Response:
    """A sponsor's statement for a month or a year, with the VietQR code for the next instalment."""
    statement = StatementRequest("sponsor", code, _period(month, year))
    return await issue_pdf(request, db, scope, statement, lang or reader)


@router.get("/statements/guardian/{branch}", response_class=Response, responses=PDF)
async def guardian_slips(
    branch: Code,
    request: Request,
    db: SessionDep,
    scope: CurrentUser,
    reader: Language,
    month: Annotated[str, Query(pattern=MONTH_PATTERN)],
    child: Annotated[str | None, Query(max_length=64)] = None,
    lang: LangQuery = None,
) -> Response:
    """Guardians' slips for a month (one page per child), to sign at a cash handover."""
    statement = StatementRequest("guardian", branch, Period.month(Month.parse(month)), child)
    return await issue_pdf(request, db, scope, statement, lang or reader)


@router.get("/statements/treasurer/{branch}", response_class=Response, responses=PDF)
async def treasurer_report(
    branch: Code,
    request: Request,
    db: SessionDep,
    scope: CurrentUser,
    reader: Language,
    month: Annotated[str, Query(pattern=MONTH_PATTERN)],
    lang: LangQuery = None,
) -> Response:
    """The treasurer's monthly report for the branch and the branches below it."""
    statement = StatementRequest("treasurer", branch, Period.month(Month.parse(month)))
    return await issue_pdf(request, db, scope, statement, lang or reader)


@router.get("/statements/audit/{branch}", response_class=Response, responses=PDF)
async def audit_pack(
    branch: Code,
    request: Request,
    db: SessionDep,
    scope: CurrentUser,
    reader: Language,
    start: Annotated[str, Query(alias="from", pattern=MONTH_PATTERN)],
    end: Annotated[str, Query(alias="to", pattern=MONTH_PATTERN)],
    format: Annotated[Literal["pdf", "xlsx"], Query(description="pdf or xlsx")] = "pdf",
    lang: LangQuery = None,
) -> Response:
    """The auditor pack for a branch subtree and a period of months."""
    statement = StatementRequest("audit", branch, Period(Month.parse(start), Month.parse(end)))
    return await _issue(request, db, scope, statement, lang or reader, format)


@router.get("/statements/payment-list/{branch}", response_class=Response, responses=PDF)
async def payment_list(
    branch: Code,
    request: Request,
    db: SessionDep,
    scope: CurrentUser,
    reader: Language,
    month: Annotated[str, Query(pattern=MONTH_PATTERN)],
    lang: LangQuery = None,
) -> Response:
    """Danh sách chi trả – ký nhận: the month's list per program, with a column for each guardian's signature."""
    statement = StatementRequest("payment-list", branch, Period.month(Month.parse(month)))
    return await issue_pdf(request, db, scope, statement, lang or reader)


@router.get(
    "/statements/trial-balance/{branch}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, XLSX: {}}, "description": "the book as PDF or XLSX"}},
)
async def trial_balance(
    branch: Code,
    request: Request,
    db: SessionDep,
    scope: CurrentUser,
    reader: Language,
    start: Annotated[str, Query(alias="from", pattern=MONTH_PATTERN)],
    end: Annotated[str, Query(alias="to", pattern=MONTH_PATTERN)],
    format: Annotated[Literal["pdf", "xlsx"], Query(description="pdf or xlsx")] = "pdf",
    lang: LangQuery = None,
) -> Response:
    """Bảng cân đối số phát sinh of a branch subtree for a period of months: opening, movements, closing."""
    statement = StatementRequest("trial-balance", branch, Period(Month.parse(start), Month.parse(end)))
    return await _issue(request, db, scope, statement, lang or reader, format)


BOOK: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}, XLSX: {}}, "description": "the book as PDF or XLSX"}
}


@router.get("/statements/books/{kind}/{branch}", response_class=Response, responses=BOOK)
async def branch_book(
    kind: Literal["cash-book", "bank-book", "general-ledger"],
    branch: Code,
    request: Request,
    db: SessionDep,
    scope: CurrentUser,
    reader: Language,
    start: Annotated[str, Query(alias="from", pattern=MONTH_PATTERN)],
    end: Annotated[str, Query(alias="to", pattern=MONTH_PATTERN)],
    account: Annotated[
        str | None, Query(max_length=200, description="general-ledger: one of our codes, or a prefix ending in ':'")
    ] = None,
    format: Annotated[Literal["pdf", "xlsx"], Query(description="pdf or xlsx")] = "pdf",
    lang: LangQuery = None,
) -> Response:
    """Sổ quỹ tiền mặt, sổ tiền gửi ngân hàng or the general ledger (sổ chi tiết) of a branch subtree."""
    period = Period(Month.parse(start), Month.parse(end))
    statement = StatementRequest(kind, branch, period, account=account if kind == "general-ledger" else None)
    return await _issue(request, db, scope, statement, lang or reader, format)


@router.get("/statements/child-ledger/{code}", response_class=Response, responses=BOOK)
async def child_ledger(
    code: Code,
    request: Request,
    db: SessionDep,
    scope: CurrentUser,
    reader: Language,
    start: Annotated[str, Query(alias="from", pattern=MONTH_PATTERN)],
    end: Annotated[str, Query(alias="to", pattern=MONTH_PATTERN)],
    format: Annotated[Literal["pdf", "xlsx"], Query(description="pdf or xlsx")] = "pdf",
    lang: LangQuery = None,
) -> Response:
    """A child's ledger: her fund and what is payable to her guardian, line by line (staff only)."""
    statement = StatementRequest("child-ledger", code, Period(Month.parse(start), Month.parse(end)))
    return await _issue(request, db, scope, statement, lang or reader, format)


@router.get("/statements/sponsor-ledger/{code}", response_class=Response, responses=BOOK)
async def sponsor_ledger(
    code: Code,
    request: Request,
    db: SessionDep,
    scope: CurrentUser,
    reader: Language,
    start: Annotated[str, Query(alias="from", pattern=MONTH_PATTERN)],
    end: Annotated[str, Query(alias="to", pattern=MONTH_PATTERN)],
    format: Annotated[Literal["pdf", "xlsx"], Query(description="pdf or xlsx")] = "pdf",
    lang: LangQuery = None,
) -> Response:
    """A sponsor's ledger: everything she gave and the accounts it reached, with every correction."""
    statement = StatementRequest("sponsor-ledger", code, Period(Month.parse(start), Month.parse(end)))
    return await _issue(request, db, scope, statement, lang or reader, format)


async def _issue(
    request: Request, db: Session, scope: Actor, statement: StatementRequest, lang: str, format: str
) -> Response:
    if format == "xlsx":
        return await issue_xlsx(request, db, scope, statement, lang)
    return await issue_pdf(request, db, scope, statement, lang)


@router.post("/statements/verify", response_model=schemas.StatementVerdictOut)
async def verify(file: UploadFile, request: Request, db: SessionDep, scope: CurrentUser) -> schemas.StatementVerdictOut:
    """Does this statement PDF still match the ledger? (Only statements about what the caller may see.)

    The file is read in a separate, supervised process with limits on pages and time; today's
    figures are compared only once the statement is known to be one the caller may see.
    """
    content = await file.read(MAX_PDF + 1)
    if len(content) > MAX_PDF:
        raise TooLarge("this file is too large to be a statement", f"{MAX_PDF // (1024 * 1024)} MB")
    verdict = await request.app.state.isolated.run(inspect_statement, content, MAX_PAGES, Trust.from_environment())
    if verdict.document is not None:
        _may_see(db, scope, verdict.document)
    verdict = await off_the_loop(db, compare_with_ledger, db, verdict)
    return schemas.StatementVerdictOut(
        valid=verdict.ok,
        code=verdict.code,
        request=verdict.request,
        issued_on=verdict.issued_on,
        checks=[schemas.StatementCheck(name=c.name, ok=c.ok, detail=c.detail) for c in verdict.checks],
        differences=verdict.differences,
    )


def _may_see(db: Session, scope: Actor, document: Document) -> None:
    """Checking a statement shows today's figures: only for those who could issue it."""
    try:
        statement = StatementRequest.from_json(document["request"])
    except (KeyError, TypeError, ValueError, InvalidEntry):
        return  # a malformed statement is reported as such by the verdict
    may_issue(db, scope, statement)
