"""Issuing a statement over HTTP, for the API's routes and the web's pages alike."""

from __future__ import annotations

from fastapi import Request, Response
from sqlmodel import Session

from api.deps import in_own_transaction, in_read_transaction, off_the_loop
from ledger.access.actor import Actor
from ledger.months import today_in_vietnam
from ledger.statements.document import StatementRequest
from ledger.statements.issue import prepare_issue, record_issue
from pdf_templates.books import book_xlsx
from pdf_templates.render import render_pdf

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def issue_xlsx(request: Request, db: Session, scope: Actor, statement: StatementRequest, lang: str) -> Response:
    """A book as a spreadsheet (trial balance, cash or bank book): the same document the PDF renders, its issue
    logged."""
    today = today_in_vietnam()
    ready = await in_read_transaction(
        request, db, lambda s: prepare_issue(s, statement, actor=scope, lang=lang, issued_on=today)
    )
    workbook = await off_the_loop(db, book_xlsx, ready.document, ready.lang)
    code = await in_own_transaction(
        request, db, lambda s: record_issue(s, actor=scope, request=statement, document=ready.document)
    )
    filename = statement.filename.removesuffix(".pdf") + ".xlsx"
    return Response(
        workbook,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Verification-Code": code},
    )


async def issue_pdf(
    request: Request, db: Session, scope: Actor, statement: StatementRequest, lang: str | None
) -> Response:
    """Gather (for a reader who may have it), render and stream a statement, and log its issue with
    its code. ``lang`` None: the sponsor's own language, else Vietnamese."""
    today = today_in_vietnam()
    ready = await in_read_transaction(
        request, db, lambda s: prepare_issue(s, statement, actor=scope, lang=lang, issued_on=today)
    )
    pdf = await off_the_loop(db, render_pdf, ready.document, ready.lang, ready.key)
    code = await in_own_transaction(
        request, db, lambda s: record_issue(s, actor=scope, request=statement, document=ready.document, key=ready.key)
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{statement.filename}"',
            "X-Verification-Code": code,
        },
    )
