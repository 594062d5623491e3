"""The ``godmother`` command: a thin adapter that parses arguments, calls the ledger, prints.

Every failure the user can cause prints one line and exits non-zero: 1 for a refusal or an
unreachable database, 2 for bad arguments. No traceback reaches the terminal.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlmodel import Session

from cli.backup import backup_app, restore_command
from cli.bank import bank_app
from cli.common import By, act_as, acting, as_date, engine, fail, friendly
from cli.jobs import jobs_app, worker
from cli.keys import keys_app
from cli.statements import statement_app
from ledger import balances, branch_settings, db, demo, journal, periods
from ledger.accounts import AccountKey
from ledger.backup import leaving
from ledger.disbursement import run
from ledger.export_beancount import export_beancount
from ledger.money import format_vnd, parse_date
from ledger.months import Month
from ledger.register import importing, pledges, queries
from ledger.register.models import Child, Pledge
from ledger.settings import Settings
from ledger.verify import verify as verify_ledger

app = typer.Typer(
    help="Godmother: the ledger of Mẹ đỡ đầu and social-aid programs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
period_app = typer.Typer(help="Close and reopen months (khóa sổ).", no_args_is_help=True)
pledge_app = typer.Typer(
    help="Change a pledge from a month on (cam kết đỡ đầu); the past never changes.", no_args_is_help=True
)
run_app = typer.Typer(help="Monthly runs: list, show, approve (four eyes).", no_args_is_help=True)
branch_app = typer.Typer(help="Branch settings (e.g. four eyes on monthly runs).", no_args_is_help=True)
payment_app = typer.Typer(help="Sponsor payments (tiền nhận).", no_args_is_help=True)
user_app = typer.Typer(help="Users of the API and web application, and their roles.", no_args_is_help=True)


@app.callback()
def everything(
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="act as this user, with their role and branches (default: a local administrator)"),
    ] = None,
) -> None:
    """Godmother: the ledger of Mẹ đỡ đầu and social-aid programs."""
    act_as(as_user)


app.add_typer(user_app, name="user")
app.add_typer(run_app, name="run")
app.add_typer(branch_app, name="branch")
app.add_typer(payment_app, name="payment")
app.add_typer(db_app, name="db")
app.add_typer(period_app, name="period")
app.add_typer(pledge_app, name="pledge")
app.add_typer(statement_app, name="statement")
app.add_typer(bank_app, name="bank")
app.add_typer(jobs_app, name="jobs")
app.add_typer(backup_app, name="backup")
app.add_typer(keys_app, name="keys")
app.command("restore")(restore_command)
app.command("worker")(worker)


# --- commands ---------------------------------------------------------------------------


@db_app.command("upgrade")
@friendly
def db_upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Bring the database schema up to date (Alembic migrations)."""
    target = engine(migrate=False)
    db.upgrade(target, revision)
    typer.echo(f"database at revision {db.current_revision(target)}")


@db_app.command("current")
@friendly
def db_current() -> None:
    """Show the schema revision of the database."""
    typer.echo(db.current_revision(engine(migrate=False)) or "empty")


@app.command()
@friendly
def verify() -> None:
    """Check the hash chain, every transaction's balance and every cached balance."""
    with Session(engine()) as session:
        report = verify_ledger(session)
    if report.ok:
        typer.echo(
            f"ledger intact: {report.transactions} transactions, {report.postings} postings, "
            f"{report.accounts} accounts; chain head #{report.head_seq} {report.head_hash}"
        )
        return
    first = report.first_bad
    assert first is not None
    typer.echo(f"LEDGER DAMAGED: {len(report.problems)} problem(s); first: {first.message}", err=True)
    for problem in report.problems[1:20]:
        typer.echo(f"  {problem.message}", err=True)
    raise typer.Exit(1)


@app.command("trial-balance")
@friendly
def trial_balance(
    branch: Annotated[str | None, typer.Option(help="branch code (default: every branch)")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="end of this day, YYYY-MM-DD")] = None,
    below: Annotated[bool, typer.Option("--include-below/--only", help="include the branches below")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    zero: Annotated[
        bool, typer.Option("--zero", help="also list accounts that hold nothing (JSON always does)")
    ] = False,
) -> None:
    """Every account's balance in the debit or credit column (bảng cân đối tài khoản)."""
    with Session(engine()) as session:
        tb = balances.trial_balance(session, branch=branch, as_of=as_date(as_of), include_descendants=below)
    if as_json:
        rows: list[dict[str, Any]] = [
            {
                "branch": line.branch,
                "account": line.account,
                "type": line.type.value,
                "debit": line.debit,
                "credit": line.credit,
                "balance": line.balance,
            }
            for line in tb.lines
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"Bảng cân đối tài khoản / Trial balance{' — ' + branch if branch else ''}"
        f"{' — ' + tb.as_of.strftime('%d/%m/%Y') if tb.as_of else ''}"
    )
    width = max([len(f"{line.branch}  {line.account}") for line in tb.lines] + [30])
    typer.echo(f"{'Tài khoản / Account':<{width}}  {'Nợ / Debit':>18}  {'Có / Credit':>18}")
    for line in tb.lines:
        if not zero and line.balance == 0:
            continue
        typer.echo(
            f"{line.branch + '  ' + line.account:<{width}}  {_amount(line.debit):>18}  {_amount(line.credit):>18}"
        )
    typer.echo(f"{'Tổng / Total':<{width}}  {_amount(tb.total_debit):>18}  {_amount(tb.total_credit):>18}")


def _amount(value: int) -> str:
    return format_vnd(value) if value else ""


@app.command()
@friendly
def balance(
    account: Annotated[str, typer.Argument(help="account code, e.g. liabilities:fund:child:C-000123")],
    branch: Annotated[str, typer.Option(help="branch code")],
    as_of: Annotated[str | None, typer.Option("--as-of")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The balance of one account (debit positive), now or at the end of a day."""
    with Session(engine()) as session:
        amount = balances.balance(session, AccountKey(branch, account), as_of=as_date(as_of))
    if as_json:
        typer.echo(json.dumps({"branch": branch, "account": account, "as_of": as_of, "balance": amount}))
    else:
        typer.echo(format_vnd(amount))


@app.command()
@friendly
def history(
    account: Annotated[str, typer.Argument(help="account code")],
    branch: Annotated[str, typer.Option(help="branch code")],
    start: Annotated[str | None, typer.Option("--from")] = None,
    end: Annotated[str | None, typer.Option("--to")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """An account's postings with the running balance (sổ chi tiết)."""
    with Session(engine()) as session:
        opening, lines = balances.account_history(
            session, AccountKey(branch, account), start=as_date(start), end=as_date(end)
        )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "opening": opening,
                    "lines": [
                        {
                            "date": line.effective_date.isoformat(),
                            "transaction": line.transaction_id,
                            "description": line.description,
                            "amount": line.amount,
                            "balance": line.running_balance,
                        }
                        for line in lines
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    typer.echo(f"{'':10}  {'Số dư đầu / Opening':<50}  {'':>16}  {_amount(opening) or '0':>16}")
    for line in lines:
        typer.echo(
            f"{line.effective_date:%d/%m/%Y}  {line.description[:50]:<50}  "
            f"{format_vnd(line.amount):>16}  {format_vnd(line.running_balance):>16}"
        )


@app.command()
@friendly
def reverse(
    transaction: Annotated[int, typer.Argument(help="id of the transaction to reverse")],
    by: Annotated[str, typer.Option(help="who reverses it")],
    reason: Annotated[str, typer.Option(help="why")],
    on: Annotated[str | None, typer.Option("--date", help="effective date of the reversal")] = None,
) -> None:
    """Correct a mistake: post the mirror image of a transaction, linked to it."""
    actor = acting(by)
    posted = db.run_in_transaction(
        engine(),
        lambda s: journal.reverse_by_hand(s, transaction, actor=actor, reason=reason, effective_date=as_date(on)),
    )
    typer.echo(f"transaction {transaction} reversed by transaction {posted.id} on {posted.effective_date:%d/%m/%Y}")


@period_app.command("close")
@friendly
def period_close(branch: str, month: str, by: Annotated[str, typer.Option(help="who closes it")] = "cli") -> None:
    """Close a month (and those before it) for a branch."""
    event = db.run_in_transaction(
        engine(), lambda s: periods.close_month(s, branch=branch, month=Month.parse(month), actor=acting(by))
    )
    typer.echo(f"branch {branch} closed through {event.closed_through:%d/%m/%Y}")


@period_app.command("reopen")
@friendly
def period_reopen(
    branch: str,
    month: str,
    reason: Annotated[str, typer.Option(help="why the month is reopened (kept in the history)")],
    by: Annotated[str, typer.Option(help="administrator reopening it")] = "admin",
) -> None:
    """Reopen a closed month (administrators: whoever runs this CLI on the server)."""
    actor = acting(by)
    event = db.run_in_transaction(
        engine(),
        lambda s: periods.reopen_month(s, branch=branch, month=Month.parse(month), actor=actor, reason=reason),
    )
    through = f"closed through {event.closed_through:%d/%m/%Y}" if event.closed_through else "fully open"
    typer.echo(f"branch {branch} reopened from {month}: now {through}")


@period_app.command("list")
@friendly
def period_list(branch: str) -> None:
    """The close/reopen history of a branch."""
    with Session(engine()) as session:
        for event in periods.period_history(session, branch):
            typer.echo(
                f"{event.at:%Y-%m-%d %H:%M}  {event.action:<6}  {event.month:%Y-%m}  by {event.by}  {event.reason}"
            )


@app.command("import")
@friendly
def import_command(
    kind: Annotated[
        str, typer.Argument(help="branches | bank-accounts | sponsors | children | pledges | enrolments, or all")
    ],
    file: Annotated[Path, typer.Argument(help="CSV or XLSX file (formats.md); for all, a folder from export all")],
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


@app.command("export")
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


@app.command("eligibility")
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


def _change_pledge(pledge: str, kind: str, start: str, by: str, **details: Any) -> None:
    actor = acting(by)
    change = db.run_in_transaction(
        engine(),
        lambda s: pledges.change_pledge(
            s, pledge=pledge, kind=kind, from_month=Month.parse(start), actor=actor, **details
        ),
    )
    typer.echo(f"pledge {pledge}: {change.kind} from {change.from_month:%Y-%m} recorded")


@pledge_app.command("pause")
@friendly
def pledge_pause(
    pledge: str,
    start: Annotated[str, typer.Option("--from", help="first month paused, YYYY-MM")],
    until: Annotated[str, typer.Option("--to", help="last month paused, YYYY-MM")],
    reason: Annotated[str, typer.Option(help="why (kept in the pledge's history)")],
    by: Annotated[str, typer.Option(help="who records it")] = "cli",
) -> None:
    """Pause a pledge for some months."""
    _change_pledge(pledge, "pause", start, by, until_month=Month.parse(until), reason=reason)


@pledge_app.command("change-amount")
@friendly
def pledge_change_amount(
    pledge: str,
    start: Annotated[str, typer.Option("--from", help="first month at the new amount, YYYY-MM")],
    amount: Annotated[str, typer.Option(help="new monthly amount in đồng, e.g. 700.000")],
    reason: Annotated[str, typer.Option(help="why")] = "",
    by: Annotated[str, typer.Option(help="who records it")] = "cli",
) -> None:
    """Change a pledge's monthly amount from a month on."""
    from ledger.register.spreadsheets import parse_amount

    _change_pledge(pledge, "amount", start, by, amount=parse_amount(amount), reason=reason)


@pledge_app.command("move")
@friendly
def pledge_move(
    pledge: str,
    child: Annotated[str, typer.Option("--to-child", help="the child the pledge supports from then on")],
    start: Annotated[str, typer.Option("--from", help="first month for the new child, YYYY-MM")],
    reason: Annotated[str, typer.Option(help="why (e.g. the child aged out)")],
    by: Annotated[str, typer.Option(help="who records it")] = "cli",
) -> None:
    """Move a pledge to another child from a month on."""
    _change_pledge(pledge, "move", start, by, child=child, reason=reason)


@pledge_app.command("end")
@friendly
def pledge_end(
    pledge: str,
    last: Annotated[str, typer.Option("--last-month", help="the last month the pledge pays, YYYY-MM")],
    reason: Annotated[str, typer.Option(help="why it ends early")],
    by: Annotated[str, typer.Option(help="who records it")] = "cli",
) -> None:
    """End a pledge early: nothing is scheduled after its last month."""
    _change_pledge(pledge, "end", str(Month.parse(last).next()), by, reason=reason)


@pledge_app.command("history")
@friendly
def pledge_history(pledge: str) -> None:
    """A pledge's changes and its schedule by month."""
    with Session(engine()) as session:
        record = session.scalar(select(Pledge).where(Pledge.code == pledge))
        if record is None:
            raise fail(f"pledge {pledge!r} does not exist")
        children = {c.id: c.code for c in session.scalars(select(Child))}
        for change in pledges.changes_of(session, [record])[record.id]:  # type: ignore[index]
            typer.echo(f"{change.from_month:%Y-%m}  {change.kind:<7} {change.reason}")
        for month in pledges.schedules(session, [record])[record.id]:  # type: ignore[index]
            typer.echo(f"  {month.month}  {children[month.child_id]:<12} {format_vnd(month.amount):>14}")


@contextlib.contextmanager
def progress_bar() -> Iterator[run.Progress]:
    """A progress bar on stderr for long work (plain lines when stderr is not a terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    labels = {"prepare": "Xét duyệt / deciding", "post": "Ghi sổ / posting"}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _print_summary(result: run.RunResult, lang: str) -> None:
    s = result.summary
    vi = lang == "vi"
    money = functools.partial(format_vnd, lang=lang)
    lines = [
        (f"Số quyết định: {s.decisions}" if vi else f"Decisions: {s.decisions}"),
        (f"Số trẻ được chi: {s.children_paid}" if vi else f"Children paid: {s.children_paid}"),
        (f"Tổng chi: {money(s.paid_total)}" if vi else f"Total paid: {money(s.paid_total)}"),
        (
            f"  trong đó trả bù tháng trước: {money(s.catch_up_total)}"
            if vi
            else f"  of which catch-up of earlier shortfalls: {money(s.catch_up_total)}"
        ),
        (
            f"Thiếu hụt: {s.shortfalls} trẻ, {money(s.shortfall_total)}"
            if vi
            else f"Shortfalls: {s.shortfalls}, {money(s.shortfall_total)}"
        ),
        (f"Trẻ hết tuổi hưởng: {len(s.aged_out)}" if vi else f"Children who aged out: {len(s.aged_out)}")
        + (f" ({', '.join(s.aged_out[:10])}{', …' if len(s.aged_out) > 10 else ''})" if s.aged_out else ""),
        (f"Trẻ thôi học: {len(s.left_school)}" if vi else f"Children who left school: {len(s.left_school)}")
        + (f" ({', '.join(s.left_school[:10])}{', …' if len(s.left_school) > 10 else ''})" if s.left_school else ""),
        (f"Cam kết đã kết thúc: {len(s.pledges_ended)}" if vi else f"Pledges that ended: {len(s.pledges_ended)}")
        + (
            f" ({', '.join(s.pledges_ended[:10])}{', …' if len(s.pledges_ended) > 10 else ''})"
            if s.pledges_ended
            else ""
        ),
    ]
    for line in lines:
        typer.echo(line)


@app.command("run-month")
@friendly
def run_month_command(
    month: Annotated[str, typer.Argument(help="the month to pay, YYYY-MM")],
    branch: Annotated[str | None, typer.Option(help="this branch and those below it (default: every branch)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would be paid; post nothing")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="re-derive the month's decisions with today's code; report differences")
    ] = False,
    by: By = None,
    lang: Annotated[str, typer.Option(help="vi or en")] = "vi",
    as_json: Annotated[
        bool, typer.Option("--json", help="print the summary (and --dry-run decisions) as JSON")
    ] = False,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, help="decisions posted per database transaction")
    ] = run.CHUNK,
) -> None:
    """The monthly disbursement: pay every eligible child once, keep every decision and its reasons."""
    target_month = Month.parse(month)
    target = engine()
    if check:
        with Session(target) as session:
            checked, differences = run.check_month(session, target_month, branch=branch)
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "month": str(target_month),
                        "checked": checked,
                        "differences": [
                            {"child": d.child, "program": d.program, "run": d.run_id, "difference": d.what}
                            for d in differences
                        ],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            for d in differences:
                typer.echo(f"{d.child}  {d.program:<17} run {d.run_id or '-':<5} {d.what}")
            typer.echo(
                f"{checked} quyết định đã kiểm tra, {len(differences)} khác biệt"
                if lang == "vi"
                else f"{checked} decisions checked, {len(differences)} difference(s)"
            )
        if differences:
            raise typer.Exit(1)
        return
    shown: list[dict[str, Any]] = []

    def show(planned: Any) -> None:
        if as_json:
            shown.append(
                {
                    "child": planned.child,
                    "program": planned.program,
                    "eligible": planned.eligible,
                    "due": planned.due,
                    "catch_up": planned.catch_up,
                    "paid": planned.paid,
                    "shortfall": planned.shortfall,
                    "reasons": [r.text(lang) for r in planned.reasons],
                }
            )
        elif planned.paid or planned.shortfall or planned.aged_out or planned.left_school:
            short = "thiếu" if lang == "vi" else "short"
            note = f"  {short} {format_vnd(planned.shortfall, lang)}" if planned.shortfall else ""
            typer.echo(f"{planned.child:<12} {planned.program:<17} {format_vnd(planned.paid, lang):>14}{note}")

    with progress_bar() as progress:
        result = run.run_month(
            target,
            target_month,
            actor=acting(by),
            branch=branch,
            dry_run=dry_run,
            progress=progress,
            show=show if dry_run else None,
            chunk=chunk_size,
        )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "month": str(target_month),
                    "status": result.status,
                    "run": result.run_id,
                    "resumed": result.resumed,
                    "summary": result.summary.as_json(),
                    **({"decisions": shown} if dry_run else {}),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    vi = lang == "vi"
    for resumed in result.resumed:
        typer.echo(
            f"đã hoàn tất đợt chi {resumed} bị dừng giữa chừng"
            if vi
            else f"finished run {resumed}, which had stopped halfway"
        )
    headline = {
        "done": (
            f"Đợt chi {result.run_id} tháng {target_month}: đã ghi sổ",
            f"Run {result.run_id} for {target_month}: posted",
        ),
        "prepared": (
            f"Đợt chi {result.run_id} tháng {target_month}: đã lập, chờ người thứ hai duyệt "
            f"(godmother run approve {result.run_id})",
            f"Run {result.run_id} for {target_month}: prepared; a second person approves it with "
            f"'godmother run approve {result.run_id}'",
        ),
        "dry-run": (f"Chạy thử tháng {target_month}: chưa ghi sổ gì", f"Dry run for {target_month}: nothing posted"),
        "nothing-new": (
            f"Tháng {target_month}: không có gì mới để chi (đã chạy rồi)",
            f"{target_month}: nothing new to pay (already run)",
        ),
    }[result.status]
    typer.echo(headline[0] if vi else headline[1])
    if result.status != "nothing-new":
        _print_summary(result, lang)


@run_app.command("approve")
@friendly
def run_approve(
    run_id: Annotated[int, typer.Argument(metavar="RUN", help="the run to approve")],
    by: By = None,
    lang: Annotated[str, typer.Option(help="vi or en")] = "vi",
) -> None:
    """Approve a prepared run (not by the person who prepared it) and post it."""
    with progress_bar() as progress:
        result = run.approve_run(engine(), run_id, actor=acting(by), progress=progress)
    typer.echo(f"Đợt chi {run_id} đã được duyệt và ghi sổ" if lang == "vi" else f"Run {run_id} approved and posted")
    _print_summary(result, lang)


@run_app.command("list")
@friendly
def run_list(month: Annotated[str | None, typer.Option(help="YYYY-MM")] = None) -> None:
    """Monthly runs, newest first."""
    with Session(engine()) as session:
        for r in run.runs(session, Month.parse(month) if month else None):
            s = r.summary
            typer.echo(
                f"{r.id:>5}  {r.month:%Y-%m}  {r.status:<10} prepared by {r.prepared_by}"
                + (f", approved by {r.approved_by}" if r.approved_by else "")
                + f"  {s.get('children_paid', 0)} children, {format_vnd(s.get('paid_total', 0))}"
            )


@run_app.command("show")
@friendly
def run_show(
    run_id: Annotated[int, typer.Argument(metavar="RUN")],
    child: Annotated[str | None, typer.Option(help="only this child")] = None,
    lang: Annotated[str, typer.Option(help="vi or en")] = "vi",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A run's decisions, each with its amount and its reasons."""
    with Session(engine()) as session:
        decisions = run.decisions_of(session, run_id, child=child)
    if as_json:
        typer.echo(json.dumps([d.as_json() for d in decisions], ensure_ascii=False, indent=2))
        return
    for d in decisions:
        typer.echo(
            f"{d.child}  {d.program}  {d.month}: "
            f"{'due' if lang == 'en' else 'được hưởng'} {format_vnd(d.due, lang)}, "
            f"{'paid' if lang == 'en' else 'đã chi'} {format_vnd(d.paid, lang)}"
            + (f", {'short' if lang == 'en' else 'thiếu'} {format_vnd(d.shortfall, lang)}" if d.shortfall else "")
        )
        for reason in d.reasons:
            line = reason.get(lang, reason["en"]) + (f" ({reason['source']})" if reason.get("source") else "")
            typer.echo(f"    - {line}")


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


@app.command("handover")
@friendly
def handover_command(
    month: Annotated[str, typer.Option(help="the month whose money is handed over, YYYY-MM")],
    children: Annotated[list[str] | None, typer.Argument(help="child codes (or --branch for all of a branch)")] = None,
    branch: Annotated[str | None, typer.Option(help="every child of this branch and below with money waiting")] = None,
    method: Annotated[str, typer.Option(help="cash or bank")] = "cash",
    bank_account: Annotated[str | None, typer.Option("--bank-account", help="bank account code, for bank")] = None,
    evidence: Annotated[Path | None, typer.Option(help="photo or scan of the signed slip (one child)")] = None,
    received_by: Annotated[str, typer.Option("--received-by", help="who signed for it")] = "",
    on: Annotated[str | None, typer.Option("--date", help="day of the handover (default: today)")] = None,
    by: By = None,
) -> None:
    """Record that guardians received a month's money (payable → cash or bank), with the signed slip."""
    from ledger.disbursement.handover import EvidenceFile, record_handovers
    from ledger.months import today_in_vietnam

    slip = EvidenceFile(evidence.name, evidence.read_bytes()) if evidence else None
    actor = acting(by)
    done = db.run_in_transaction(
        engine(),
        lambda s: record_handovers(
            s,
            month=Month.parse(month),
            on=as_date(on) or today_in_vietnam(),
            actor=actor,
            children=children or (),
            branch=branch,
            method=method,
            bank_account=bank_account,
            received_by=received_by,
            evidence=slip,
        ),
    )
    for h in done:
        typer.echo(f"transaction {h.transaction_id}: {format_vnd(h.amount)} handed over ({h.method})")
    typer.echo(f"{len(done)} guardian(s), {format_vnd(sum(h.amount for h in done))}")


@payment_app.command("record")
@friendly
def payment_record(
    sponsor: Annotated[str, typer.Option(help="the sponsor whose pledges it pays")],
    amount: Annotated[str, typer.Option(help="whole đồng, e.g. 1.500.000")],
    method: Annotated[str, typer.Option(help="bank or cash")],
    on: Annotated[str, typer.Option("--date", help="day received")],
    bank_account: Annotated[str | None, typer.Option("--bank-account", help="bank account code, for bank")] = None,
    pledge: Annotated[
        str | None, typer.Option(help="the pledge it pays (default: the sponsor's oldest arrears)")
    ] = None,
    reference: Annotated[str, typer.Option(help="the transfer's reference or description")] = "",
    payer: Annotated[str, typer.Option(help="who paid, if not the sponsor (e.g. an employer)")] = "",
    by: By = None,
) -> None:
    """Record one sponsor payment; it is allocated to pledge months, oldest arrears first."""
    from ledger.register.payments import record_payment
    from ledger.register.spreadsheets import parse_amount

    value = parse_amount(amount)
    actor = acting(by)

    def work(session: Session) -> list[tuple[str, str, int]]:
        payment = record_payment(
            session,
            sponsor=sponsor,
            amount=value,
            paid_on=parse_date(on),
            method=method,
            bank_account=bank_account,
            pledge=pledge,
            reference=reference,
            payer=payer,
            actor=actor,
        )
        return pledges.allocation_of(session, payment.id)  # type: ignore[arg-type]

    shares = db.run_in_transaction(engine(), work)
    for code, month_text, part in shares:
        typer.echo(f"  {code}  {month_text}  {format_vnd(part)}")
    typer.echo(f"payment recorded: {format_vnd(value)}, {len(shares)} month(s) paid")


@app.command("audit-log")
@friendly
def audit_log_command(
    branch: Annotated[str | None, typer.Option(help="only what concerns this branch and those below it")] = None,
    since: Annotated[str | None, typer.Option(help="only events from this day on, YYYY-MM-DD")] = None,
    action: Annotated[str | None, typer.Option(help="only this action, e.g. payment.record, import, run.start")] = None,
    limit: Annotated[int, typer.Option(help="at most this many, newest first")] = 100,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    by: By = None,
) -> None:
    """Who did or read what, when, and through which door (web, api, cli, job), newest first."""
    from datetime import UTC, datetime

    from ledger.access import audit
    from ledger.accounts import branch_and_descendants

    reader = acting(by)
    start = datetime.combine(parse_date(since), datetime.min.time(), tzinfo=UTC) if since else None
    with Session(engine()) as session:
        ids = {b.id for b in branch_and_descendants(session, branch) if b.id is not None} if branch else None
        found = audit.events(session, reader=reader, branch_ids=ids, action=action, since=start, limit=limit)
    rows = [
        {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "door": e.door, "action": e.action,
         "subject": e.subject, "detail": e.detail}
        for e in found
    ]  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['at'][:19]}  {row['door'] or '-':<4} {row['actor']:<20} {row['action']:<22} {row['subject']}")
    typer.echo(f"{len(rows)} event(s)")


@app.command("arrears")
@friendly
def arrears_command(
    sponsor: Annotated[str | None, typer.Option(help="only this sponsor's pledges")] = None,
    through: Annotated[str | None, typer.Option(help="months up to this one, YYYY-MM (default: this month)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What sponsors still owe: per pledge and month, scheduled − paid."""
    from ledger.months import today_in_vietnam

    last = Month.parse(through) if through else Month.of(today_in_vietnam())
    with Session(engine()) as session:
        rows = pledges.arrears_report(session, through=last, sponsor=sponsor)
    if as_json:
        typer.echo(json.dumps([{"sponsor": s, "pledge": p, "month": m, "arrears": a} for s, p, m, a in rows], indent=2))
        return
    for s, p, m, a in rows:
        typer.echo(f"{s:<12} {p:<12} {m}  {format_vnd(a):>14}")
    typer.echo(f"{'Tổng / Total':<34}{format_vnd(sum(r[3] for r in rows)):>14}")


@app.command("coverage")
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


@app.command("demo")
@friendly
def demo_command(
    folder: Annotated[Path, typer.Option(help="where to write the demo's bank statement")] = Path("demo-files"),
    children: Annotated[int, typer.Option(min=1, help="how many children")] = 300,
    sponsors: Annotated[int, typer.Option(min=1, help="how many sponsors")] = 250,
) -> None:
    """Create the database and load the demo: two years of a province's pledges, payments and runs."""
    target = engine()
    loaded = demo.load_demo(
        target, folder=folder, children=children, sponsors=sponsors, say=lambda line: typer.echo(f"  {line}", err=True)
    )
    if loaded is None:
        typer.echo("demo ledger already present")
    else:
        typer.echo(f"demo ledger loaded: {loaded.months[0]} to {loaded.months[-1]}")
        if loaded.statement is not None:
            typer.echo(f"bank statement of {loaded.months[-2]} for reconciliation: {loaded.statement}")
    trial_balance(branch=demo.PROVINCE, as_of=None, below=True, as_json=False, zero=False)
    verify()
    typer.echo("\nĐăng nhập thử (mật khẩu mới mỗi lần) / demo sign-ins (new passwords every time):")
    for name, role, password in demo.demo_logins(target):
        typer.echo(f"  {name:<16} {password:<14} {role}")
    if loaded is not None:
        this_month = loaded.months[-1]
        typer.echo(
            f"\nThử ngay / try it: godmother run-month {this_month} --dry-run --lang en   "
            f"(then without --dry-run to pay it); godmother run show <RUN> --child C-000003"
        )


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise fail("no password given: pipe it in with --password-stdin, e.g. printf '%s' \"$PW\" | godmother ...", 2)
    return password


@user_app.command("add")
@friendly
def user_add(
    name: Annotated[str, typer.Argument(help="the sign-in name, one word")],
    role: Annotated[str, typer.Option(help="admin | treasurer | auditor | sponsor")],
    branch: Annotated[str | None, typer.Option(help="a treasurer's or auditor's branch")] = None,
    sponsor: Annotated[str | None, typer.Option(help="a sponsor user's sponsor code")] = None,
    below: Annotated[
        bool, typer.Option("--include-below/--only-branch", help="a treasurer's scope: also the branches below")
    ] = True,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False,
    by: By = None,
) -> None:
    """Add a user; the password (10 characters at least, hard to guess) is stored only as an argon2 hash."""
    from ledger.access import users

    password = _read_password(password_stdin)
    actor = acting(by)
    db.run_in_transaction(
        engine(),
        lambda s: users.add_user(
            s, name=name, role=role, password=password, branch=branch, sponsor=sponsor, include_below=below,
            actor=actor,
        ),
    )  # fmt: skip
    where = f" of {branch}" if branch else f" for sponsor {sponsor}" if sponsor else ""
    typer.echo(f"user {name} added: {role}{where}")


@user_app.command("passwd")
@friendly
def user_passwd(
    name: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False,
    by: By = None,
) -> None:
    """Reset a user's password (as an administrator, audited); their open sessions end."""
    from ledger.access import users

    password = _read_password(password_stdin)
    actor = acting(by or "cli-admin")
    db.run_in_transaction(engine(), lambda s: users.set_password(s, name=name, password=password, actor=actor))
    typer.echo(f"password of {name} changed; their tokens are revoked")


@user_app.command("disable")
@friendly
def user_disable(name: str, by: By = None) -> None:
    """Stop a user from signing in; their tokens stop working at once."""
    from ledger.access import users

    actor = acting(by)
    db.run_in_transaction(engine(), lambda s: users.disable_user(s, name=name, actor=actor))
    typer.echo(f"user {name} disabled")


@user_app.command("list")
@friendly
def user_list() -> None:
    """Users with their roles and scopes."""
    from ledger.access.models import User
    from ledger.models import Branch

    with Session(engine()) as session:
        rows = session.execute(
            select(User, Branch.code).outerjoin(Branch, Branch.id == User.branch_id).order_by(User.name)
        ).all()
    for user, branch in rows:
        state = "disabled" if user.disabled_at else "active"
        typer.echo(f"{user.name:<24} {user.role:<10} {branch or '':<24} {state}")


@app.command("serve")
@friendly
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes (PostgreSQL for more than one)")] = 1,
    scheduler: Annotated[
        bool, typer.Option(help="run scheduled jobs in this process too (--no-scheduler when `godmother worker` runs)")
    ] = True,
) -> None:
    """Serve the API (/api/v1, documented at /api/v1/docs) with uvicorn, and the scheduled jobs."""
    import uvicorn

    db_engine = engine()  # migrate an empty SQLite database, or refuse an outdated schema, before listening
    if workers > 1 and Settings().database_url.startswith("sqlite"):
        raise fail("several workers need PostgreSQL: set DATABASE_URL=postgresql+psycopg://…", 2)
    running = None
    if scheduler:  # one scheduler in this (supervising) process, never one per API worker
        from jobs.scheduler import start

        running = start(db_engine)
        typer.echo("scheduled jobs: on (godmother jobs list)", err=True)
    typer.echo(f"serving on http://{host}:{port}/ (the API: /api/v1/docs)  (Ctrl+C to stop)", err=True)
    try:
        uvicorn.run("api.main:app", factory=True, host=host, port=port, workers=workers, log_level="warning")
    finally:
        if running is not None:
            running.shutdown(wait=False)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
