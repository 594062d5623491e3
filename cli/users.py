"""Users, their roles, and the audit log of who did what."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from sqlmodel import Session, col, select

from cli.common import By, acting, engine, fail, friendly
from ledger import db
from ledger.money import parse_date

commands = typer.Typer()
user_app = typer.Typer(help="Users of the API and web application, and their roles.", no_args_is_help=True)


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
            select(User, Branch.code).outerjoin(Branch, col(Branch.id) == User.branch_id).order_by(col(User.name))
        ).all()
    for user, branch in rows:
        state = "disabled" if user.disabled_at else "active"
        typer.echo(f"{user.name:<24} {user.role:<10} {branch or '':<24} {state}")


@commands.command("audit-log")
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
    rows: list[dict[str, Any]] = [
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
