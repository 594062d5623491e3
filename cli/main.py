"""The ``godmother`` command: a thin adapter that parses arguments, calls the ledger, prints.

Every failure the user can cause prints one line and exits non-zero: 1 for a refusal or an
unreachable database, 2 for bad arguments. No traceback reaches the terminal.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli import ledger, periods, pledges, register, runs, serve, users
from cli.backup import backup_app, restore_command
from cli.bank import bank_app
from cli.common import act_as
from cli.jobs import jobs_app, worker
from cli.keys import keys_app
from cli.statements import statement_app

app = typer.Typer(
    help="Godmother: the ledger of Mẹ đỡ đầu and social-aid programs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def everything(
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="act as this user, with their role and branches (default: a local administrator)"),
    ] = None,
) -> None:
    """Godmother: the ledger of Mẹ đỡ đầu and social-aid programs."""
    act_as(as_user)


# Commands by area, each in its module; groups under their names.
for area in (ledger, periods, register, pledges, runs, users, serve):
    app.add_typer(area.commands)
app.add_typer(users.user_app, name="user")
app.add_typer(runs.run_app, name="run")
app.add_typer(register.branch_app, name="branch")
app.add_typer(pledges.payment_app, name="payment")
app.add_typer(ledger.db_app, name="db")
app.add_typer(periods.period_app, name="period")
app.add_typer(pledges.pledge_app, name="pledge")
app.add_typer(statement_app, name="statement")
app.add_typer(bank_app, name="bank")
app.add_typer(jobs_app, name="jobs")
app.add_typer(backup_app, name="backup")
app.add_typer(keys_app, name="keys")
app.command("restore")(restore_command)
app.command("worker")(worker)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
