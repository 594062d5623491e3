"""The books themselves: schema upgrades, verification, balances, history, reversals."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from sqlmodel import Session

from cli.common import acting, as_date, engine, friendly
from ledger import balances, db, journal
from ledger.accounts import AccountKey
from ledger.money import format_vnd
from ledger.verify import verify as verify_ledger

commands = typer.Typer()
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


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


@commands.command()
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


@commands.command("trial-balance")
@friendly
def trial_balance(
    branch: Annotated[str | None, typer.Option(help="branch code (default: every branch)")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="end of this day, YYYY-MM-DD")] = None,
    below: Annotated[bool, typer.Option("--include-below/--only", help="include the branches below")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    zero: Annotated[
        bool, typer.Option("--zero", help="also list accounts that hold nothing (JSON always does)")
    ] = False,
    by_kind: Annotated[
        bool, typer.Option("--by-kind", help="each branch's children's funds and payables on one line each")
    ] = False,
) -> None:
    """Every account's balance in the debit or credit column (bảng cân đối tài khoản)."""
    summed = balances.trial_balance_by_kind if by_kind else balances.trial_balance
    with Session(engine()) as session:
        tb = summed(session, branch=branch, as_of=as_date(as_of), include_descendants=below)
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


@commands.command()
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


@commands.command()
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


@commands.command()
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
