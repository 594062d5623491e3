"""Pledges and what sponsors pay: pledge changes, payments, arrears."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from sqlmodel import Session, col, select

from cli.common import By, acting, engine, fail, friendly
from ledger import db
from ledger.money import format_vnd, parse_date
from ledger.months import Month
from ledger.register import pledges
from ledger.register.models import Child, Pledge

commands = typer.Typer()
pledge_app = typer.Typer(
    help="Change a pledge from a month on (cam kết đỡ đầu); the past never changes.", no_args_is_help=True
)
payment_app = typer.Typer(help="Sponsor payments (tiền nhận).", no_args_is_help=True)


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
        record = session.scalar(select(Pledge).where(col(Pledge.code) == pledge))
        if record is None:
            raise fail(f"pledge {pledge!r} does not exist")
        children = {c.id: c.code for c in session.scalars(select(Child))}
        for change in pledges.changes_of(session, [record])[record.id]:
            typer.echo(f"{change.from_month:%Y-%m}  {change.kind:<7} {change.reason}")
        for month in pledges.schedules(session, [record])[record.id]:
            typer.echo(f"  {month.month}  {children[month.child_id]:<12} {format_vnd(month.amount):>14}")


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
        return pledges.allocation_of(session, payment.id)

    shares = db.run_in_transaction(engine(), work)
    for code, month_text, part in shares:
        typer.echo(f"  {code}  {month_text}  {format_vnd(part)}")
    typer.echo(f"payment recorded: {format_vnd(value)}, {len(shares)} month(s) paid")


@commands.command("arrears")
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
