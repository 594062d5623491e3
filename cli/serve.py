"""Serving the product, and the demo to try it on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import engine, fail, friendly
from cli.ledger import trial_balance, verify
from ledger import demo, demo_register
from ledger.settings import Settings

commands = typer.Typer()


@commands.command("demo")
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
    trial_balance(branch=demo_register.PROVINCE, as_of=None, below=True, as_json=False, zero=False)
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


@commands.command("serve")
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
