"""``godmother statement ...``: statements as PDF files, one or a whole batch, and checking one.

The PDF engine (WeasyPrint, pyHanko) is imported by the commands that make or read a PDF, not at
start: every other ``godmother`` command starts a second sooner for it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from sqlmodel import Session

from cli.common import acting, engine, fail, friendly
from ledger.access import rights
from ledger.accounts import branch_and_descendants
from ledger.db import reading, run_in_transaction
from ledger.months import Month, today_in_vietnam
from ledger.signing.keys import SigningKey, SigningKeys, signing_key_for
from ledger.statements.document import Document, Period, StatementRequest, verification_code
from ledger.statements.issue import gather_for, record_issue
from ledger.statements.sponsor import sponsor_statements

statement_app = typer.Typer(
    help="Statements as PDF (sao kê): sponsors, guardians, treasurers, auditors; and checking one.",
    no_args_is_help=True,
)

MonthOption = Annotated[str | None, typer.Option("--month", help="the month, YYYY-MM")]
YearOption = Annotated[int | None, typer.Option("--year", help="a whole year, YYYY", min=1900, max=9999)]
LangOption = Annotated[str | None, typer.Option("--lang", help="vi or en (sponsors: their own language by default)")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="the PDF file to write")]


def _period(month: str | None, year: int | None) -> Period:
    if (month is None) == (year is None):
        raise fail("say which period: --month YYYY-MM or --year YYYY", 2)
    return Period.month(Month.parse(month)) if month is not None else Period.year(year or 0)


def _lang(lang: str | None, default: str = "vi") -> str:
    lang = (lang or default).lower()
    if lang not in ("vi", "en"):
        raise fail(f"--lang is vi or en, not {lang!r}", 2)
    return lang


def _issue(request: StatementRequest, lang: str | None, output: Path | None) -> None:
    actor = acting()

    def work(session: Session) -> tuple[Document, SigningKey | None]:
        document = gather_for(session, request, actor=actor, issued_on=today_in_vietnam())
        key = signing_key_for(session, document["branch"]["code"])
        record_issue(session, actor=actor, request=request, document=document, key=key)
        return document, key

    document, key = run_in_transaction(engine(), work)
    default = document["body"]["sponsor"]["language"] if request.kind == "sponsor" else "vi"
    _write(document, _lang(lang, default), output or Path(request.filename), key)


def _write(document: Document, lang: str, output: Path, key: SigningKey | None) -> None:
    from pdf_templates.batch import Job, render_job  # the PDF engine loads only when a PDF is made

    size = render_job(Job(document, lang, output, key))
    signed = f", signed by {key.signer}" if key else ", not signed (no signing key for the branch)"
    typer.echo(f"wrote {output} ({size // 1024} KB), verification code {verification_code(document)}{signed}")


@statement_app.command("sponsor")
@friendly
def sponsor(
    sponsor: Annotated[str, typer.Argument(help="the sponsor's code, e.g. MDD000123")],
    month: MonthOption = None,
    year: YearOption = None,
    lang: LangOption = None,
    output: OutputOption = None,
) -> None:
    """A sponsor's statement for a month or a year, with the VietQR code for the next instalment."""
    _issue(StatementRequest("sponsor", sponsor, _period(month, year)), lang, output)


@statement_app.command("sponsors")
@friendly
def sponsors(
    out_dir: Annotated[Path, typer.Option("--out-dir", help="folder for the PDFs (created if needed)")],
    month: MonthOption = None,
    year: YearOption = None,
    branch: Annotated[str | None, typer.Option(help="only sponsors of this branch and those below it")] = None,
    lang: LangOption = None,
    workers: Annotated[
        int | None, typer.Option(help="processes rendering in parallel (default: every core)", min=1)
    ] = None,
) -> None:
    """Every sponsor's statement for the period, rendered in parallel, one PDF each."""
    from pdf_templates.batch import Job, default_workers, render_all

    period = _period(month, year)
    actor = acting()
    actor.require_staff()
    with Session(reading(engine())) as session:
        if branch:
            rights.branch(session, actor, branch)
        branch_ids = [b.id for b in branch_and_descendants(session, branch)] if branch else None
        if actor.branch_ids is not None:  # --as someone: only the sponsors of their branches
            branch_ids = [b for b in (branch_ids or actor.branch_ids) if actor.sees_branch(b)]
        documents = sponsor_statements(session, period=period, issued_on=today_in_vietnam(), branch_ids=branch_ids)
        keys = SigningKeys(session)
        jobs = [
            Job(
                d,
                _lang(lang, d["body"]["sponsor"]["language"]),
                out_dir / StatementRequest.from_json(d["request"]).filename,
                keys(d["branch"]["code"]),
            )
            for d in documents
        ]
    out_dir.mkdir(parents=True, exist_ok=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task("statements", total=len(jobs))
        size = render_all(jobs, workers=workers or default_workers(), advance=lambda n: progress.advance(task, n))
    typer.echo(f"wrote {len(jobs)} statements to {out_dir} ({size // 1024} KB)")


@statement_app.command("guardian")
@friendly
def guardian(
    branch: Annotated[str, typer.Argument(help="the branch; its village groups are included")],
    month: Annotated[str, typer.Option("--month", help="the month, YYYY-MM")],
    child: Annotated[str | None, typer.Option(help="only this child's slip")] = None,
    lang: LangOption = None,
    output: OutputOption = None,
) -> None:
    """Guardians' slips for a month, to sign at a cash handover: one page per child."""
    _issue(StatementRequest("guardian", branch, Period.month(Month.parse(month)), child), lang, output)


@statement_app.command("treasurer")
@friendly
def treasurer(
    branch: Annotated[str, typer.Argument(help="the branch; the branches below it are included")],
    month: Annotated[str, typer.Option("--month", help="the month, YYYY-MM")],
    lang: LangOption = None,
    output: OutputOption = None,
) -> None:
    """The treasurer's monthly report: receipts, disbursements, shortfalls, funds, bank status."""
    _issue(StatementRequest("treasurer", branch, Period.month(Month.parse(month))), lang, output)


@statement_app.command("audit")
@friendly
def audit(
    branch: Annotated[str, typer.Argument(help="the branch; the branches below it are included")],
    month: MonthOption = None,
    year: YearOption = None,
    start: Annotated[str | None, typer.Option("--from", help="first month, YYYY-MM (with --to)")] = None,
    end: Annotated[str | None, typer.Option("--to", help="last month, YYYY-MM")] = None,
    lang: LangOption = None,
    output: OutputOption = None,
) -> None:
    """The auditor pack: trial balance, general ledger, journal with hashes, per-child and per-sponsor."""
    if start or end:
        if not (start and end) or month or year:
            raise fail("give --from and --to together, or --month, or --year", 2)
        period = Period(Month.parse(start), Month.parse(end))
    else:
        period = _period(month, year)
    _issue(StatementRequest("audit", branch, period), lang, output)


BOOKS = ("trial-balance", "cash-book", "bank-book", "general-ledger", "child-ledger", "sponsor-ledger")


@statement_app.command("book")
@friendly
def book(
    kind: Annotated[str, typer.Argument(help=f"one of {', '.join(BOOKS)}")],
    subject: Annotated[str, typer.Argument(help="the branch (its branches below included); a child or sponsor code")],
    start: Annotated[str, typer.Option("--from", help="first month, YYYY-MM")],
    end: Annotated[str, typer.Option("--to", help="last month, YYYY-MM")],
    account: Annotated[
        str | None, typer.Option("--account", help="general-ledger: one of our codes, or a prefix ending in ':'")
    ] = None,
    as_xlsx: Annotated[bool, typer.Option("--xlsx", help="write the spreadsheet instead of the PDF")] = False,
    lang: LangOption = None,
    output: OutputOption = None,
) -> None:
    """A book as Vietnamese accounting presents it (docs/books.md), as PDF or spreadsheet."""
    if kind not in BOOKS:
        raise fail(f"a book is one of {', '.join(BOOKS)}, not {kind!r}", 2)
    request = StatementRequest(kind, subject, Period(Month.parse(start), Month.parse(end)), account=account)
    if not as_xlsx:
        _issue(request, lang, output)
        return
    actor = acting()

    def work(session: Session) -> Document:
        document = gather_for(session, request, actor=actor, issued_on=today_in_vietnam())
        record_issue(session, actor=actor, request=request, document=document)
        return document

    document = run_in_transaction(engine(), work)
    path = output or Path(request.filename.removesuffix(".pdf") + ".xlsx")
    from pdf_templates.books import book_xlsx

    path.write_bytes(book_xlsx(document, _lang(lang)))
    typer.echo(f"wrote {path} ({path.stat().st_size // 1024} KB), verification code {verification_code(document)}")


@statement_app.command("verify")
@friendly
def verify(
    file: Annotated[Path, typer.Argument(help="a statement PDF", exists=True, dir_okay=False, readable=True)],
    as_json: Annotated[bool, typer.Option("--json", help="print the verdict as JSON")] = False,
) -> None:
    """Does this statement still match the ledger? Exit 0 if it does, 1 if not."""
    from pdf_templates.verify import verify_statement

    with Session(engine()) as session:
        verdict = verify_statement(session, file.read_bytes())
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "valid": verdict.ok,
                    "code": verdict.code,
                    "request": verdict.request,
                    "issued_on": verdict.issued_on,
                    "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in verdict.checks],
                    "differences": verdict.differences,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for check in verdict.checks:
            typer.echo(f"{'ok ' if check.ok else 'BAD'}  {check.detail}")
        for difference in verdict.differences[:20]:
            typer.echo(f"     {difference}")
        typer.echo("VALID: this statement matches the ledger" if verdict.ok else "NOT VALID")
    if not verdict.ok:
        raise typer.Exit(1)
