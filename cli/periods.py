"""Closing and reopening months (khóa sổ)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from cli.common import acting, engine, friendly
from ledger import closing, db, periods
from ledger.months import Month

commands = typer.Typer()
period_app = typer.Typer(help="Close and reopen months (khóa sổ).", no_args_is_help=True)


@period_app.command("close")
@friendly
def period_close(branch: str, month: str, by: Annotated[str, typer.Option(help="who closes it")] = "cli") -> None:
    """Close a month (and those before it) for a branch."""
    event = db.run_in_transaction(
        engine(), lambda s: closing.close_month(s, branch=branch, month=Month.parse(month), actor=acting(by))
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
        lambda s: closing.reopen_month(s, branch=branch, month=Month.parse(month), actor=actor, reason=reason),
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
