"""The register: imports and exports, eligibility, coverage, branch settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from cli.common import By, acting, engine, friendly
from ledger import branch_settings, db
from ledger.backup import leaving
from ledger.export_beancount import export_beancount
from ledger.money import format_vnd
from ledger.months import Month
from ledger.register import importing, pledges, queries
from ledger.statements import numbers

commands = typer.Typer()
branch_app = typer.Typer(help="Branch settings (e.g. four eyes on monthly runs).", no_args_is_help=True)


@commands.command("import")
@friendly
def import_command(
    kind: Annotated[
        str, typer.Argument(help="branches | bank-accounts | sponsors | children | pledges | enrolments, or all")
    ],
    file: Annotated[
        Path, typer.Argument(help="CSV or XLSX file (docs/register-files.md); for all, a folder from export all")
    ],
    lang: Annotated[str, typer.Option(help="language of the row report: vi or en")] = "vi",
    by: By = None,
) -> None:
    """Import a spreadsheet into the register: all rows or none, every bad row reported."""
    if kind == "all":
        _import_all(file, by)
        return
    try:
        actor = acting(by)
        report = db.run_in_transaction(engine(), lambda s: importing.import_file(s, kind, file, actor=actor))
    except importing.ImportRejected as rejected:
        typer.echo(
            f"error: {len(rejected.errors)} bad row(s) in {file.name}; nothing was imported"
            if lang == "en"
            else f"error: {file.name} có {len(rejected.errors)} lỗi; chưa nhập dòng nào",
            err=True,
        )
        for problem in rejected.errors:
            typer.echo(f"  {problem.text(lang)}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"{kind}: {report.rows} rows — {report.created} created, {report.updated} updated, {report.unchanged} unchanged"
    )


def _import_all(folder: Path, by: str | None) -> None:
    actor = acting(by)
    done = db.run_in_transaction(engine(), lambda s: leaving.import_all(s, folder, actor=actor))
    typer.echo(f"register: {', '.join(f'{kind} {rows}' for kind, rows in done.register.items())}")
    typer.echo(f"ledger: {done.transactions:,} transactions posted again in chain order")
    typer.echo(f"  trial balance the same as the export's: {'yes' if done.same_trial_balance else 'NO'}")
    typer.echo(f"  chain head the same as the export's: {'yes' if done.same_chain_head else 'no (new ids)'}")
    typer.echo(f"  verify: {'intact' if done.verified else 'PROBLEMS (run godmother verify)'}")
    if not (done.same_trial_balance and done.verified):
        raise typer.Exit(1)


@commands.command("export")
@friendly
def export_register(
    kind: Annotated[
        str,
        typer.Argument(help="sponsors | children | pledges | branches | bank-accounts | enrolments, beancount, all"),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="file to write (.xlsx; .beancount), or a new folder for all")
    ],
    by: By = None,
) -> None:
    """Export the register to Excel in the import format, the ledger as beancount, or everything (all)."""
    if kind == "all":
        done = db.run_in_transaction(engine(), lambda s: leaving.export_all(s, output, actor=acting(by)))
        typer.echo(f"wrote {done.files} files to {output}: the register as the import spreadsheets, the ledger as")
        typer.echo("  Beancount and CSV, every table as CSV with the evidence files, and manifest.json")
        typer.echo(
            f"  chain head #{done.ledger.chain_seq}, trial-balance digest {done.ledger.trial_balance_digest[:16]}…"
        )
        return
    with Session(engine()) as session:
        if kind == "beancount":
            with output.open("w", encoding="utf-8") as out:
                count = export_beancount(session, out)
            typer.echo(f"wrote {count} transactions to {output}")
            return
        count = queries.export_xlsx(session, kind, output, actor=acting(by))
        session.commit()  # the export of children's records is in the audit log
    typer.echo(f"wrote {count} {kind} to {output}")


@commands.command("eligibility")
@friendly
def eligibility(
    child: Annotated[str, typer.Argument(help="child code")],
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    program: Annotated[str, typer.Option(help="godmother or social-allowance")] = "social-allowance",
    lang: Annotated[str, typer.Option(help="vi or en")] = "vi",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Who is paid, how much and why, for a child, a program and a month."""
    with Session(engine()) as session:
        decision = queries.explain(session, child, Month.parse(month), program)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "child": decision.child,
                    "program": decision.program,
                    "month": str(decision.month),
                    "eligible": decision.eligible,
                    "amount": decision.amount,
                    "reasons": [
                        {"rule": r.rule, "text": r.text(lang), "vi": r.vi, "en": r.en, "source": r.source}
                        for r in decision.reasons
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if lang == "vi":
        verdict = f"được hưởng {format_vnd(decision.amount)}" if decision.eligible else "không được hưởng"
        typer.echo(
            f"Trẻ {decision.child}, {decision.program}, "
            f"tháng {decision.month.month:02d}/{decision.month.year}: {verdict}"
        )
    else:
        verdict = f"eligible, {format_vnd(decision.amount, 'en')}" if decision.eligible else "not eligible"
        typer.echo(f"Child {decision.child}, {decision.program}, {decision.month}: {verdict}")
    for reason in decision.reasons:
        typer.echo(f"  - {reason.text(lang)}")


@branch_app.command("set")
@friendly
def branch_set(
    branch: str,
    name: Annotated[str, typer.Argument(help="the setting, e.g. four-eyes")],
    value: Annotated[str, typer.Argument(help="its value, e.g. on or off")],
    by: By = None,
) -> None:
    """Change a branch setting (kept in the branch's history; branches below inherit it)."""
    actor = acting(by)
    db.run_in_transaction(
        engine(), lambda s: branch_settings.set_branch_setting(s, branch=branch, name=name, value=value, actor=actor)
    )
    typer.echo(f"branch {branch}: {name} = {value.strip().lower()}")


@branch_app.command("numbers")
@friendly
def branch_numbers(branch: str) -> None:
    """The account numbers the branch's books show beside our codes (111 cash, 112 bank, …), and their source."""
    with Session(engine()) as session:
        for row in numbers.numbers_in_force(session, branch, acting(None)):
            typer.echo(f"{row.number or '-':8} {row.prefix:34} {row.source or ('default' if row.number else '')}")


@branch_app.command("number")
@friendly
def branch_number(
    branch: str,
    prefix: Annotated[
        str, typer.Argument(help="one of our codes, or a prefix ending in ':' (liabilities:fund:child:)")
    ],
    number: Annotated[str, typer.Argument(help="the regime's number, e.g. 3388; '' to follow the branch above")],
    by: By = None,
) -> None:
    """File our accounts under a number of the accounting regime the branch keeps (history kept)."""
    actor = acting(by)
    db.run_in_transaction(
        engine(), lambda s: numbers.set_account_number(s, branch=branch, prefix=prefix, number=number, actor=actor)
    )
    typer.echo(f"branch {branch}: {prefix.strip()} = {number.strip() or '(the branch above)'}")


@commands.command("coverage")
@friendly
def coverage_command(
    child: Annotated[str, typer.Argument(help="child code")],
    start: Annotated[str, typer.Option("--from", help="first month, YYYY-MM")],
    end: Annotated[str, typer.Option("--to", help="last month, YYYY-MM")],
) -> None:
    """What a child's sponsors pledge for each month (several sponsors may share a child)."""
    with Session(engine()) as session:
        months = pledges.coverage(session, child, Month.parse(start), Month.parse(end))
    for month, items in months:
        detail = ", ".join(f"{p} ({s}) {format_vnd(a)}" for p, s, a in items) or "—"
        typer.echo(f"{month}  {format_vnd(sum(a for _, _, a in items)):>14}  {detail}")
