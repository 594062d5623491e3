"""Importing a spreadsheet in the browser: a template to fill in, a preview to correct, then the import.

The file is read and checked by the importer itself (``ledger.register.importing``), rehearsed and
rolled back, so the preview says exactly what the import will do: which rows are new, which change,
and every problem by row and by the file's own column title. A row can be corrected in the preview;
the corrected table is checked again, and only a clean table is imported.
"""

from __future__ import annotations

import io
import tempfile
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from api.deps import SessionDep, in_own_transaction, rehearsed
from api.issuing import XLSX
from api.web.guards import back_to, home_branch, require_staff, writer
from api.web.session import WebUser, page, reader_lang, say, web_user
from api.web.work import saved
from ledger.errors import InvalidEntry, TooLarge
from ledger.months import Month, today_in_vietnam
from ledger.register import importing
from ledger.register.importing.templates import template
from ledger.register.spreadsheets import Table, UnreadableFile, read_table, table_of

router = APIRouter(include_in_schema=False)
# In the order a commune treasurer needs them: the people first, then money; the structure last.
KINDS_SHOWN = ("children", "sponsors", "pledges", "payments", "enrolments", "budget", "bank-accounts", "branches")
EDITABLE_ROWS = 2_000  # a table corrected in the browser travels in the form; a bigger one is corrected in its file
Kind = Annotated[str, Path(pattern="^(" + "|".join(importing.KINDS) + ")$")]


@router.get("/treasurer/import", response_class=HTMLResponse)
async def import_form(request: Request, done: Annotated[str | None, Query(max_length=300)] = None) -> Response:
    user = web_user(request)
    require_staff(user)
    return _page(request, user, done=done)


@router.get("/treasurer/import/template/{kind}.xlsx")
async def import_template(request: Request, db: SessionDep, kind: Kind) -> Response:
    """The file to fill in: Vietnamese titles the importer reads back, and one example row in her branch."""
    user = web_user(request)
    require_staff(user)
    titles, _, example = template(kind, home_branch(db, user, None).code)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = say(reader_lang(request), f"import_kind.{kind}")[:31]
    sheet.append(titles)
    sheet.append(example)
    for index, cells in enumerate(sheet.iter_cols(min_row=1, max_row=2), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, *(len(str(c.value or "")) + 2 for c in cells))
        for cell in cells:
            cell.number_format = "@"  # text: a code like 0912… or 01/2027 is kept as typed
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="mau-{kind}.xlsx"'},
    )


@router.post("/treasurer/import", response_class=HTMLResponse)
async def import_spreadsheet(
    request: Request,
    db: SessionDep,
    file: UploadFile,
    kind: Annotated[str, Form(max_length=32)],
    csrf: Annotated[str, Form(max_length=64)],
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """A file chosen: its preview (nothing written), or, confirmed, its import."""
    user = writer(request, csrf)
    if kind not in importing.KINDS:
        raise InvalidEntry(f"choose what the file holds: {', '.join(importing.KINDS)}")
    with tempfile.TemporaryDirectory() as folder:
        path = await saved(file, folder, (".csv", ".xlsx"))
        try:
            table = read_table(path, importing.aliases_of(kind))
        except UnreadableFile as exc:
            raise InvalidEntry(str(exc)) from None
    return await _checked(request, db, user, kind, table, path.name, confirmed == "yes")


@router.post("/treasurer/import/table", response_class=HTMLResponse)
async def import_corrected(request: Request, db: SessionDep) -> Response:
    """The preview's table as corrected in the browser: checked again, or, confirmed, imported."""
    form = await request.form(max_fields=EDITABLE_ROWS * 40 + 20)
    user = writer(request, str(form.get("csrf", "")))
    kind, source = str(form.get("kind", "")), str(form.get("source", ""))[:200]
    if kind not in importing.KINDS:
        raise InvalidEntry(f"choose what the file holds: {', '.join(importing.KINDS)}")
    titles = [str(v) for v in form.getlist("title")]
    numbers = [int(str(v)) for v in form.getlist("row") if str(v).isdigit()]
    if len(numbers) > EDITABLE_ROWS:
        raise TooLarge("a table corrected in the browser", f"{EDITABLE_ROWS} rows")
    lines = [[str(form.get(f"r{n}c{i}", "")) for i in range(len(titles))] for n in numbers]
    table = table_of(titles, lines, importing.aliases_of(kind), numbers=numbers)
    return await _checked(request, db, user, kind, table, source, form.get("confirmed") == "yes")


async def _checked(
    request: Request, db: Session, user: WebUser, kind: str, table: Table, source: str, confirmed: bool
) -> Response:
    lang = reader_lang(request)

    def work(session: Session) -> importing.ImportReport:
        return importing.import_table(session, kind, table, actor=user.scope, source=source)

    try:
        report = await (in_own_transaction if confirmed else rehearsed)(request, db, work)
    except importing.ImportRejected as rejected:
        problems: dict[tuple[int, str], str] = {}
        for e in rejected.errors:
            problems.setdefault((e.row, e.column), e.vi if lang == "vi" else e.en)
        errors = [(e.row, table.title_of(e.column) if e.column else "", e.vi if lang == "vi" else e.en)
                  for e in rejected.errors]  # fmt: skip
        return _page(request, user, 422, chosen=kind, errors=errors, table=table, problems=problems, source=source)
    if confirmed:
        done = say(lang, "import_done", rows=report.rows, new=report.created, updated=report.updated,
                   unchanged=report.unchanged)  # fmt: skip
        return back_to("/treasurer/import", done)
    return _page(request, user, chosen=kind, table=table, report=report, source=source)


def _page(request: Request, user: WebUser, status: int = 200, **shown: object) -> Response:
    defaults: dict[str, object] = {"done": None, "errors": None, "chosen": None, "table": None, "report": None,
                                   "problems": {}, "source": ""}  # fmt: skip
    return page(
        request, "import.html", reader_lang(request), status, user=user, kinds=KINDS_SHOWN,
        editable_rows=EDITABLE_ROWS, the_month=str(Month.of(today_in_vietnam())), **(defaults | shown),
    )  # fmt: skip
