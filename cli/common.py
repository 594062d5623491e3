"""What every command shares: one-line errors, the engine, dates as treasurers write them."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from datetime import date
from typing import Annotated, ParamSpec, TypeVar

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from ledger import db
from ledger.access.actor import Actor
from ledger.access.scope import actor_named
from ledger.access.users import UserError
from ledger.errors import LedgerError, NotReconciled
from ledger.money import parse_date
from ledger.reconciliation.formats import StatementNotRecognised
from ledger.settings import Settings
from ledger.told import explain

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo("error: " + " ".join(message.split()), err=True)
    return typer.Exit(code)


USER_HINTS = {  # the flags that say what a refused user needed, for the command line only
    "branch-needed": "give --branch CODE",
    "sponsor-needed": "give --sponsor CODE",
    "sponsor-only": "--sponsor is for users with role sponsor",
    "exists": "change the password with 'godmother user passwd'",
}


def friendly(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors a user can cause into one line on stderr and a non-zero exit."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except NotReconciled as exc:
            raise fail(f"{exc}. See: godmother bank report --account CODE --month {exc.month}") from None
        except UserError as exc:
            hint = USER_HINTS.get(exc.reason)
            raise fail(f"{exc}: {hint}" if hint else str(exc)) from None
        except StatementNotRecognised as exc:
            raise fail(f"{exc}: give --format csv with --map date=…,amount=…,description=…") from None
        except LedgerError as exc:
            # The operator's English by default; GODMOTHER_LANG=vi tells it as the web does.
            told = explain(exc, "vi") if os.environ.get("GODMOTHER_LANG") == "vi" else None
            raise fail(told or str(exc)) from None
        except ValueError as exc:
            raise fail(str(exc), 2) from None
        except OperationalError as exc:
            raise fail(f"cannot use the database ({masked(Settings().database_url)}): {exc.orig}") from None
        except DBAPIError as exc:
            raise fail(f"the database refused the operation: {exc.orig}") from None
        except BrokenPipeError:  # the reader (e.g. `| head`) has had enough: stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except OSError as exc:
            raise fail(str(exc)) from None
        except Exception as exc:  # a bug: one line for the user, the traceback on request
            if os.environ.get("GODMOTHER_DEBUG"):
                raise
            raise fail(
                f"internal error ({type(exc).__name__}: {exc}); rerun with GODMOTHER_DEBUG=1 and report it", 70
            ) from None

    return wrapper


def masked(url: str) -> str:
    """A database URL fit to print: its password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not even a URL: say nothing of it
        return "DATABASE_URL"


def engine(*, migrate: bool = True) -> Engine:
    engine = db.make_engine(Settings().database_url)
    if migrate:
        db.ensure_schema(engine)
    return engine


def as_date(value: str | None) -> date | None:
    return parse_date(value) if value else None


_ACTING_AS: list[str] = []  # set by the global --as option


def act_as(name: str | None) -> None:
    _ACTING_AS[:] = [name] if name else []


def acting(by: str | None = None) -> Actor:
    """Who acts through this command: the user given with --as (their role and branches), else a
    local administrator named by --by, $GODMOTHER_USER or the login name (whoever can reach the
    database from the server may do anything; the name is what the trail records)."""
    if _ACTING_AS:
        with Session(engine()) as session:
            return actor_named(session, _ACTING_AS[0], door="cli")
    return Actor.local_administrator(by or default_user(), door="cli")


def default_user() -> str:
    """Who runs the command: $GODMOTHER_USER, else the login name."""
    import getpass

    return os.environ.get("GODMOTHER_USER") or getpass.getuser()


By = Annotated[str | None, typer.Option("--by", help="who does it (default: $GODMOTHER_USER or your login)")]
