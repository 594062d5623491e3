"""``godmother jobs ...`` and ``godmother worker``: scheduled work, its record, running it now."""

from __future__ import annotations

import json
import logging
import signal
import threading
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from sqlmodel import Session

from cli.common import engine, friendly
from jobs.mail import Mailer
from ledger.db import reading
from ledger.months import VIETNAM
from ledger.schedule.executions import history
from ledger.schedule.plans import job_specs

jobs_app = typer.Typer(help="Scheduled jobs: the monthly run, statements, reminders, the sweep.", no_args_is_help=True)


@jobs_app.command("list")
@friendly
def list_jobs() -> None:
    """Every scheduled job, its schedule (Vietnam time), next due moment and last outcome."""
    now = datetime.now(UTC)
    with Session(reading(engine())) as session:
        specs = job_specs(session)
        last = {spec.id: next(iter(history(session, job=spec.id, limit=1)), None) for spec in specs}
    if not specs:
        typer.echo("no scheduled jobs: switch them on with godmother branch set BRANCH monthly-run on")
    for spec in specs:
        upcoming = spec.when.due_times(now, now + timedelta(days=40))
        when = f"{upcoming[0]:%d/%m/%Y %H:%M}" if upcoming else "—"
        done = last[spec.id]
        outcome = f"{done.period} {done.status}" if done else "never run"
        typer.echo(f"{spec.id:<40} every {spec.when.every:<5} {str(spec.when):<10} next {when}  last: {outcome}")


@jobs_app.command("history")
@friendly
def job_history(
    job: Annotated[str | None, typer.Option(help="one job, e.g. monthly-run:hp-an-lao")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 30,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Executions, newest first: job, period, when due, started, finished, outcome, counts, error."""
    with Session(reading(engine())) as session:
        rows = history(session, job=job, limit=limit)
    if as_json:
        typer.echo(json.dumps([_json(r) for r in rows], ensure_ascii=False, indent=2))
        return
    for r in rows:
        local = r.started_at.astimezone(VIETNAM)
        counts = json.dumps(r.counts, ensure_ascii=False) if r.counts else ""
        error = f"  {r.error}" if r.error else ""
        typer.echo(
            f"{r.id:>5} {r.job:<36} {r.period:<10} {r.status:<9} try {r.attempts}  {local:%d/%m %H:%M} "
            f"{r.trigger:<8} {counts}{error}"
        )


def _json(r: object) -> dict[str, object]:
    fields = ("id", "job", "period", "status", "attempts", "trigger", "counts", "error", "worker")
    out = {f: getattr(r, f) for f in fields}
    for f in ("scheduled_for", "started_at", "finished_at", "next_retry_at"):
        value = getattr(r, f)
        out[f] = value.isoformat() if value else None
    return out


@jobs_app.command("run-now")
@friendly
def run_now(
    job: Annotated[str, typer.Argument(help="e.g. monthly-run:hp-an-lao (see godmother jobs list)")],
    period: Annotated[str | None, typer.Option(help="the period (default: the latest due one)")] = None,
) -> None:
    """Run a job now, once for its period: a period already done is not done again."""
    from jobs import runner  # with the PDF engine behind it: loaded only by the commands that run jobs

    outcome = runner.run_now(engine(), job, period=period, mailer=Mailer.from_settings())
    if outcome.status == "skipped":
        typer.echo(f"{job} for {outcome.period} has already run or is running (godmother jobs history --job {job})")
        return
    typer.echo(f"{job} for {outcome.period}: {outcome.status} {json.dumps(outcome.counts, ensure_ascii=False)}")
    if outcome.status != "succeeded":
        raise typer.Exit(1)


@friendly
def worker(
    once: Annotated[bool, typer.Option("--once", help="catch up and retry what is due, then exit (for cron)")] = False,
) -> None:
    """Run the scheduled jobs (without the API): catch up what was missed, then keep time."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    jobs_log = logging.getLogger("godmother.jobs")
    jobs_log.addHandler(handler)
    jobs_log.setLevel(logging.INFO)
    from jobs import runner  # with the PDF engine behind it: loaded only by the commands that run jobs

    db = engine()
    if once:
        mailer = Mailer.from_settings()
        outcomes = runner.catch_up(db, mailer=mailer) + runner.retry_due(db, mailer=mailer)
        for o in outcomes:
            typer.echo(f"{o.job} {o.period}: {o.status} {json.dumps(o.counts, ensure_ascii=False)}")
        return
    from jobs.scheduler import start

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    scheduler = start(db)
    typer.echo("worker running (Ctrl+C to stop)", err=True)
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    scheduler.shutdown(wait=True)
