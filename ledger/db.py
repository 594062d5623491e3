"""Engines, migrations and units of work for SQLite and PostgreSQL.

SQLite runs in WAL mode with foreign keys on, and every transaction starts with
``BEGIN IMMEDIATE`` so that writers queue on the database lock instead of failing halfway.
PostgreSQL runs at READ COMMITTED with row locks taken in a fixed order; serialization
failures and deadlocks are retried here, by ``run_in_transaction``, never shown to callers.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from ledger.errors import DatabaseNotReady

if TYPE_CHECKING:
    from alembic.config import Config

T = TypeVar("T")

DEFAULT_DATABASE_URL = "sqlite:///godmother.db"
MIGRATIONS = Path(__file__).parent / "migrations"

RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
IDEMPOTENCY_CONSTRAINTS = ("uq_ledger_transaction_idempotency_key", "ledger_transaction.idempotency_key")


def make_engine(url: str = DEFAULT_DATABASE_URL, **kwargs: Any) -> Engine:
    """An engine for ``url`` (``sqlite:///file.db`` or ``postgresql+psycopg://…``)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 60)
        if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
            raise ValueError("use a SQLite file, not an in-memory database: each connection would see its own")
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_sqlite(engine_or_session: Engine | Session) -> bool:
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "sqlite"


# --- migrations -------------------------------------------------------------------------
# Alembic is imported inside these functions: it doubles the start-up time of every command.


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(create_engine("sqlite://"))).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (all migrations by default)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> None:
    """Upgrade an empty SQLite database by itself; refuse to run on an out-of-date schema."""
    current = current_revision(engine)
    if current is None and is_sqlite(engine):
        upgrade(engine)
        return
    if current != head_revision():
        raise DatabaseNotReady(
            f"the database schema is at {current or 'nothing'}, this code needs {head_revision()}: "
            "run 'godmother db upgrade'"
        )


# --- units of work ----------------------------------------------------------------------


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def _is_retryable(exc: DBAPIError) -> bool:
    if _sqlstate(exc) in RETRYABLE_SQLSTATES:
        return True
    message = str(exc.orig)
    if "database is locked" in message:
        return True
    # Two requests with the same idempotency key raced; the retry finds the winner's row.
    return isinstance(exc, IntegrityError) and any(name in message for name in IDEMPOTENCY_CONSTRAINTS)


def run_in_transaction(engine: Engine, work: Callable[[Session], T], *, attempts: int = 30) -> T:
    """Run ``work`` in a new session and commit, retrying on conflicts between concurrent writers.

    ``work`` must be safe to run again from the start: it sees a fresh session every time.
    """
    for attempt in range(1, attempts + 1):
        with Session(engine, expire_on_commit=False) as session:
            try:
                result = work(session)
                session.commit()
                return result
            except DBAPIError as exc:
                session.rollback()
                if attempt == attempts or not _is_retryable(exc):
                    raise
        time.sleep(random.uniform(0, min(0.002 * 2**attempt, 0.2)))
    raise AssertionError("unreachable")
