"""Spreadsheets in and out: imports with their row report, exports of the register and ledger."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Request, UploadFile
from fastapi.responses import Response, StreamingResponse

from api import problems
from api.deps import CurrentUser, Language, SessionDep, in_own_transaction, off_the_loop
from api.schemas import register as schemas
from ledger.errors import InvalidEntry
from ledger.export_beancount import export_beancount
from ledger.register import importing, queries
from ledger.register.spreadsheets import UnreadableFile

router = APIRouter(tags=["files"])
MAX_UPLOAD = 20 * 1024 * 1024
ImportKind = Annotated[str, Path(pattern="^(" + "|".join(importing.KINDS) + ")$")]
ExportKind = Annotated[str, Path(pattern="^(sponsors|children|pledges)$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post(
    "/imports/{kind}",
    response_model=schemas.ImportReportOut,
    responses={
        422: {
            "model": problems.Problem,
            "description": "bad rows: `errors` names each row and column; nothing imported",
        }
    },
)
async def import_spreadsheet(
    kind: ImportKind, file: UploadFile, request: Request, db: SessionDep, scope: CurrentUser, lang: Language
) -> schemas.ImportReportOut | Response:
    """Import a CSV or XLSX file (``docs/register-files.md``): all rows or none, each bad row reported by
    row, column, reason."""
    scope.require_writer()
    suffix = FilePath(file.filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InvalidEntry("upload a .csv or .xlsx file")
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise InvalidEntry(f"a spreadsheet may be at most {MAX_UPLOAD // (1024 * 1024)} MB")
    with tempfile.TemporaryDirectory() as folder:
        path = FilePath(folder) / f"{kind}{suffix}"
        path.write_bytes(content)
        try:
            report = await in_own_transaction(
                request, db, lambda session: importing.import_file(session, kind, path, actor=scope)
            )
        except importing.ImportRejected as rejected:
            errors = [
                problems.FieldError(field=f"row {e.row}, {e.column}", message=e.vi if lang == "vi" else e.en)
                for e in rejected.errors
            ]
            detail = (
                f"{len(errors)} lỗi trong tệp; chưa nhập dòng nào"
                if lang == "vi"
                else f"{len(errors)} bad row(s); nothing was imported"
            )
            return problems.problem(request, "invalid", detail, errors=errors)
        except UnreadableFile as exc:
            raise InvalidEntry(str(exc)) from None
    return schemas.ImportReportOut(
        kind=kind, rows=report.rows, created=report.created, updated=report.updated, unchanged=report.unchanged
    )


@router.get("/exports/beancount", response_class=StreamingResponse, responses={200: {"content": {"text/plain": {}}}})
async def export_ledger(db: SessionDep, scope: CurrentUser) -> StreamingResponse:
    """The whole ledger as a beancount file (administrators; auditors use the trial balance and histories)."""
    scope.require_admin()
    out = io.StringIO()
    await off_the_loop(db, export_beancount, db, out)
    return StreamingResponse(
        iter([out.getvalue()]),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="ledger.beancount"'},
    )


@router.get("/exports/{kind}", response_class=StreamingResponse, responses={200: {"content": {XLSX: {}}}})
async def export_register(kind: ExportKind, request: Request, db: SessionDep, scope: CurrentUser) -> StreamingResponse:
    """The register's sponsors, children or pledges of your branches, in the import format (.xlsx)."""
    with tempfile.TemporaryDirectory() as folder:
        path = FilePath(folder) / f"{kind}.xlsx"
        await in_own_transaction(request, db, lambda session: queries.export_xlsx(session, kind, path, actor=scope))
        data = path.read_bytes()
    return StreamingResponse(
        iter([data]), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{kind}.xlsx"'}
    )
