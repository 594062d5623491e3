"""``godmother bank ...``: import a bank statement, match it to the ledger, explain what differs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from cli.common import By, acting, engine, fail, friendly
from ledger.access import rights
from ledger.db import reading, run_in_transaction
from ledger.money import format_vnd
from ledger.months import Month
from ledger.reconciliation import by_hand, reconcile, suspense
from ledger.reconciliation.formats import FORMATS
from ledger.reconciliation.importing import import_statement
from ledger.reconciliation.report import Report, reconciliation_report

bank_app = typer.Typer(
    help="Bank reconciliation (đối chiếu ngân hàng): import statements, match, report.", no_args_is_help=True
)

AccountOption = Annotated[str, typer.Option("--account", help="the bank account's code, e.g. vcb-hp-an-lao")]
Reason = Annotated[str, typer.Option("--reason", help="why: kept with the match in the audit trail")]


def _parts(values: list[str], what: str) -> list[tuple[int, int | None]]:
    """``12`` (all that is left) or ``12:500000`` / ``12:500.000`` (a part)."""
    parts = []
    for value in values:
        key, _, amount = value.partition(":")
        if not key.strip().isdigit():
            raise fail(f"--{what} {value!r}: give the {what}'s number, optionally with :AMOUNT", 2)
        parts.append((int(key), int(amount.replace(".", "").replace(",", "")) if amount else None))
    return parts


@bank_app.command("import")
@friendly
def import_command(
    file: Annotated[Path, typer.Argument(help="the statement: CSV or XLSX export, or camt.053 XML")],
    account: AccountOption,
    format: Annotated[str | None, typer.Option(help=f"one of {', '.join(FORMATS)} (default: from the file)")] = None,
    map: Annotated[
        str | None, typer.Option("--map", help="generic CSV columns: date=Ngày,amount=Số tiền,description=Nội dung")
    ] = None,
    by: By = None,
) -> None:
    """Import a bank statement; lines already known (the same file again, an overlap) are skipped."""
    actor = acting(by)
    result = run_in_transaction(
        engine(), lambda s: import_statement(s, path=file, account=account, actor=actor, format=format, mapping=map)
    )
    balances = ""
    if result.opening is not None and result.closing is not None:
        balances = f"; opening {format_vnd(result.opening)} + lines = closing {format_vnd(result.closing)} ✓"
    period = f" from {result.first_day:%d/%m/%Y} to {result.last_day:%d/%m/%Y}" if result.first_day else ""
    typer.echo(
        f"{result.format} statement {result.statement_id}: {result.lines} lines{period}, {result.new_lines} new, "
        f"{result.known_lines} already imported{balances}"
    )


@bank_app.command("match")
@friendly
def match_command(
    account: AccountOption,
    line: Annotated[list[str] | None, typer.Option("--line", help="a bank line, LINE or LINE:AMOUNT (repeat)")] = None,
    entry: Annotated[
        list[str] | None, typer.Option("--entry", help="a ledger transaction, TXN or TXN:AMOUNT (repeat)")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="why (for a match by hand)")] = "",
    by: By = None,
) -> None:
    """Match automatically (no --line/--entry), or match lines and transactions by hand with a reason."""
    who = acting(by)
    if line or entry:
        found = run_in_transaction(
            engine(),
            lambda s: by_hand.match(
                s, account=account, lines=_parts(line or [], "line"), entries=_parts(entry or [], "entry"),
                reason=reason, actor=who,
            ),
        )  # fmt: skip
        typer.echo(f"match {found.id} made")
        return
    result = run_in_transaction(engine(), lambda s: reconcile.auto_match(s, account=account, actor=who))
    rules = ", ".join(f"{rule} {count}" for rule, count in sorted(result.rules.items())) or "nothing to match"
    typer.echo(
        f"{result.matched_lines} lines matched ({rules}); {result.payments_created} payments created from "
        f"references, {result.to_suspense} to suspense; {result.unmatched_lines} lines left for you"
    )


@bank_app.command("split")
@friendly
def split_command(
    account: AccountOption,
    line: Annotated[int, typer.Argument(help="the bank line to split")],
    part: Annotated[list[str], typer.Option("--part", help="TXN:AMOUNT, one per part (repeat)")],
    reason: Reason,
    by: By = None,
) -> None:
    """Split one bank line over several ledger transactions, a part each."""
    parts = _parts(part, "part")
    actor = acting(by)
    if any(amount is None for _, amount in parts):
        raise fail("each --part is TXN:AMOUNT", 2)

    def work(session: Session) -> list[int]:
        return [
            by_hand.match(
                session, account=account, lines=[(line, amount)], entries=[(txn, amount)], reason=reason,
                actor=actor,
            ).id
            for txn, amount in parts
        ]  # fmt: skip

    typer.echo(f"matches {', '.join(map(str, run_in_transaction(engine(), work)))} made")


@bank_app.command("unmatch")
@friendly
def unmatch_command(
    match: Annotated[int, typer.Argument(help="the match to undo")], reason: Reason, by: By = None
) -> None:
    """Undo a match; it stays in the record as undone, with who and why."""
    actor = acting(by)
    run_in_transaction(engine(), lambda s: by_hand.unmatch(s, match_id=match, reason=reason, actor=actor))
    typer.echo(f"match {match} undone")


@bank_app.command("book")
@friendly
def book_command(
    line: Annotated[int, typer.Argument(help="the bank line")],
    to: Annotated[str, typer.Option("--to", help="the other account, e.g. expenses:bank-fees or income:interest")],
    description: Annotated[str, typer.Option("--description", help="what it is, e.g. 'Phí SMS tháng 10'")],
    by: By = None,
) -> None:
    """Post a bank line the ledger does not have (a fee, interest) and match it."""
    actor = acting(by)
    found = run_in_transaction(
        engine(), lambda s: by_hand.book_line(s, line_id=line, account=to, description=description, actor=actor)
    )
    typer.echo(f"posted and matched (match {found.id})")


@bank_app.command("suspense")
@friendly
def suspense_command(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Money received but not yet identified: the treasurer's to-do list."""
    with Session(reading(engine())) as session:
        items = suspense.suspense_items(session)
    if as_json:
        typer.echo(json.dumps([{"transaction": i.transaction_id, "branch": i.branch, "date": str(i.day),
                                "amount": i.amount, "description": i.description} for i in items],
                              ensure_ascii=False, indent=2))  # fmt: skip
        return
    for item in items:
        typer.echo(
            f"{item.transaction_id:>8}  {item.day}  {item.branch:<20} {format_vnd(item.amount):>14}  {item.description}"
        )
    typer.echo(f"{len(items)} waiting, {format_vnd(sum(i.amount for i in items))}")


@bank_app.command("clear")
@friendly
def clear_command(
    transaction: Annotated[int, typer.Argument(help="the transaction that put the money in suspense")],
    reason: Reason,
    sponsor: Annotated[str | None, typer.Option(help="it was this sponsor's payment")] = None,
    pledge: Annotated[str | None, typer.Option(help="for this pledge")] = None,
    to: Annotated[str | None, typer.Option("--to", help="or it belongs to this account of the branch")] = None,
    amount: Annotated[int | None, typer.Option(help="only part of it (đồng)")] = None,
    by: By = None,
) -> None:
    """Move identified money out of suspense: a sponsor's payment (allocated as usual) or an account."""
    actor = acting(by)
    txn = run_in_transaction(
        engine(),
        lambda s: suspense.clear_suspense(
            s, transaction_id=transaction, actor=actor, reason=reason, sponsor=sponsor, pledge=pledge,
            account=to, amount=amount,
        ),
    )  # fmt: skip
    typer.echo(f"moved out of suspense: transaction {txn}")


@bank_app.command("lines")
@friendly
def lines_command(
    account: AccountOption,
    open_only: Annotated[bool, typer.Option("--open", help="only lines not fully matched")] = False,
) -> None:
    """The bank lines of an account, with what of each is not matched yet."""
    with Session(reading(engine())) as session:
        bank = rights.bank_account(session, acting(), account)
        for shown in reconcile.lines_of(session, bank, open_only=open_only):
            line = shown.line
            state = f"open {format_vnd(shown.open)}" if shown.open else "matched"
            amount = format_vnd(line.amount)
            typer.echo(f"{line.id:>7}  {line.booked_on:%d/%m/%Y}  {amount:>15}  {state:<20}  {line.description}")


@bank_app.command("report")
@friendly
def report_command(
    account: AccountOption,
    month: Annotated[str, typer.Option("--month", help="YYYY-MM")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The month's reconciliation: bank vs ledger balance, every unmatched item, the difference explained."""
    with Session(reading(engine())) as session:
        report = reconciliation_report(session, account=account, month=Month.parse(month))
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        _print(report)
    if not report.reconciled:
        raise typer.Exit(1)


def _print(report: Report) -> None:
    bank = "no statement" if report.bank_balance is None else format_vnd(report.bank_balance)
    typer.echo(f"{report.account} {report.month}: {report.status}")
    typer.echo(f"  bank balance at month end   {bank:>18}{'' if report.bank_balance_stated else ' (opening + lines)'}")
    typer.echo(f"  ledger balance at month end {format_vnd(report.ledger_balance):>18}")
    typer.echo(f"  difference                  {format_vnd(report.difference):>18}")
    typer.echo(f"  matched this month: in {format_vnd(report.matched_in)}, out {format_vnd(report.matched_out)}")
    if report.opening_difference:
        typer.echo(f"  opening balances differ by {format_vnd(report.opening_difference)}")
    for title, found, sign in (
        ("in the bank, not in the ledger", report.unmatched_lines, 1),
        ("in the ledger, not in the bank", report.unmatched_entries, -1),
        ("recorded in different months", report.timing, 1),
    ):
        if found:
            typer.echo(f"  {title}: {format_vnd(sign * sum(i.amount for i in found))}")
            for item in found:
                ref = (
                    f"line {item.line_id}"
                    if item.line_id
                    else f"txn {item.transaction_id}"
                    if item.transaction_id
                    else ""
                )
                typer.echo(f"    {item.day:%d/%m/%Y} {format_vnd(item.amount):>15}  {ref:<12} {item.description[:70]}")
    typer.echo(f"  explained {format_vnd(report.explained)}, unexplained {format_vnd(report.unexplained)}")
