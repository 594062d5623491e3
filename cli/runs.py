"""The monthly run and the handover to guardians."""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlmodel import Session

from cli.common import By, acting, as_date, engine, friendly
from ledger import db
from ledger.disbursement import checking, paying, run, stored
from ledger.money import format_vnd
from ledger.months import Month

commands = typer.Typer()
run_app = typer.Typer(help="Monthly runs: list, show, approve (four eyes).", no_args_is_help=True)


@contextlib.contextmanager
def progress_bar() -> Iterator[paying.Progress]:
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


@commands.command("run-month")
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
    ] = paying.CHUNK,
) -> None:
    """The monthly disbursement: pay every eligible child once, keep every decision and its reasons."""
    target_month = Month.parse(month)
    target = engine()
    if check:
        with Session(target) as session:
            checked, differences = checking.check_month(session, target_month, branch=branch)
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
        for r in stored.runs(session, Month.parse(month) if month else None):
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
        decisions = stored.decisions_of(session, run_id, child=child)
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


@commands.command("handover")
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
