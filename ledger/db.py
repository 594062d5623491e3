"""Engines, migrations and units of work for SQLite and PostgreSQL.

SQLite runs in WAL mode with foreign keys on, and every transaction starts with
``BEGIN IMMEDIATE`` so that writers queue on the database lock instead of failing halfway.
PostgreSQL runs at READ COMMITTED with row locks taken in a fixed order; serialization
failures and deadlocks are retried here, by ``run_in_transaction``, never shown to callers.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, Select, create_engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from ledger.errors import DatabaseNotReady

if TYPE_CHECKING:
    from alembic.config import Config

T = TypeVar("T")

DEFAULT_DATABASE_URL = "sqlite:///godmother.db"
MIGRATIONS = Path(__file__).parent / "migrations"

RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
READ_ONLY = "godmother_read_only"
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
    engine = create_engine(url, **kwargs)
    _CONNECT_ARGS[engine] = dict(kwargs.get("connect_args", {}))
    return engine


_CONNECT_ARGS: weakref.WeakKeyDictionary[Engine, dict[str, Any]] = weakref.WeakKeyDictionary()


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
        # Writers queue on the lock from the start; readers (``reading``) need no lock at all.
        deferred = connection.get_execution_options().get(READ_ONLY)
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def reading(engine: Engine) -> Engine:
    """The same engine for work that only reads: on SQLite its transactions take no write
    lock, so reads never wait for a writer (WAL gives them a consistent snapshot)."""
    return engine.execution_options(**{READ_ONLY: True})


def engine_recipe(engine: Engine) -> tuple[str, dict[str, Any]]:
    """What another process needs to open an engine on the same database as ``engine``: its URL
    (with the password) and the connection arguments it was made with (``make_engine``)."""
    made = _CONNECT_ARGS.get(engine)
    if made is None and hasattr(engine, "_proxied"):  # an engine with other execution options (``reading``)
        made = _CONNECT_ARGS.get(engine._proxied)
    return engine.url.render_as_string(hide_password=False), dict(made or {})


class DirectQuery:
    """A SELECT of plain columns (numbers, text), compiled once per dialect and run by the
    driver itself, without SQLAlchemy's execution machinery or the pool.

    For the few reads on every request's path. Each thread keeps one connection of its own in
    autocommit mode, so a read is one round trip: no checkout, no ping, no rollback on return
    (on PostgreSQL those were three round trips for one row). A connection that fails is
    dropped and the next read opens a new one. No result types are applied, so this is only
    for columns the driver returns as they are.
    """

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}

    def rows(self, engine: Engine, **params: Any) -> list[tuple[Any, ...]]:
        sql, order = self.compiled(engine)
        args: Any = tuple(params[name] for name in order) if order is not None else params
        for attempt in (1, 2):
            connection = self._connection(engine)
            try:
                cursor = connection.cursor()
                cursor.execute(sql, args)
                rows = [tuple(row) for row in cursor.fetchall()]
                cursor.close()
                return rows
            except engine.dialect.loaded_dbapi.Error as exc:
                lost = bool(getattr(connection, "broken", False) or getattr(connection, "closed", False))
                self._drop(engine)
                if lost and attempt == 1:
                    continue  # a database restart, a terminated backend: once more on a new connection
                # As SQLAlchemy would raise it (DataError, OperationalError, …), so callers answer alike.
                raise DBAPIError.instance(
                    sql, args, exc, engine.dialect.loaded_dbapi.Error, connection_invalidated=lost
                ) from exc
            except Exception:
                self._drop(engine)
                raise
        raise AssertionError("unreachable")

    def compiled(self, engine: Engine) -> tuple[str, tuple[str, ...] | None]:
        """The SQL for ``engine``'s driver, and the order of its parameters when they are positional."""
        compiled = self._compiled.get(engine.dialect.name)
        if compiled is None:
            done = self.statement.compile(dialect=engine.dialect)
            positional = engine.dialect.paramstyle in ("qmark", "format", "numeric")
            compiled = (str(done), tuple(done.positiontup or ()) if positional else None)
            self._compiled[engine.dialect.name] = compiled
        return compiled

    @staticmethod
    def _connection(engine: Engine) -> Any:
        own = _direct_connections(engine)
        connection = own.get(threading.get_ident())
        if connection is None:
            proxied = engine.raw_connection()
            proxied.detach()  # ours for good: the pool neither pings, resets nor reuses it
            connection = proxied.dbapi_connection
            if connection is None:
                raise RuntimeError("the pool handed out a closed connection")
            if not is_sqlite(engine):
                connection.autocommit = True
            own[threading.get_ident()] = connection
        return connection

    @staticmethod
    def _drop(engine: Engine) -> None:
        connection = _direct_connections(engine).pop(threading.get_ident(), None)
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()


_DIRECT: weakref.WeakKeyDictionary[Engine, dict[int, Any]] = weakref.WeakKeyDictionary()
_DIRECT_LOCK = threading.Lock()


def _direct_connections(engine: Engine) -> dict[int, Any]:
    """The direct connections of ``engine``, one per thread; closed with the engine."""
    with _DIRECT_LOCK:
        own = _DIRECT.get(engine)
        if own is None:
            own = _DIRECT[engine] = {}
            weakref.finalize(engine, _close_all, own)
            event.listen(engine, "engine_disposed", lambda _engine: _close_all(own))
        return own


def _close_all(connections: dict[int, Any]) -> None:
    for connection in list(connections.values()):
        with contextlib.suppress(Exception):
            connection.close()
    connections.clear()


ASYNC_READS_NAME = "godmother async reads"
"""How ``AsyncReads``' connections name themselves to PostgreSQL (pg_stat_activity)."""


class AsyncReads:
    """The API's hottest reads (``DirectQuery``) on the driver's asynchronous connections, so that
    the event loop serves other requests while PostgreSQL answers one.

    Opened and closed in one event loop (the API's lifespan), with at most ``size`` connections
    in autocommit mode. Called from any other loop, or on SQLite (no network to wait for), it
    reads as ``DirectQuery.rows`` does. A lost connection is dropped and the read tried once more.
    """

    def __init__(self, engine: Engine, size: int = 4) -> None:
        self.engine, self.size = engine, size
        self._loop: asyncio.AbstractEventLoop | None = None
        # A connection ready to read, or None: room to open one. Readers queue here, never beyond ``size``.
        self._ready: asyncio.Queue[Any] | None = None
        self._opened: list[Any] = []

    def open(self) -> None:
        if not is_sqlite(self.engine):
            self._loop, self._ready = asyncio.get_running_loop(), asyncio.Queue()
            for _ in range(self.size):
                self._ready.put_nowait(None)

    async def close(self) -> None:
        self._loop = self._ready = None
        for connection in self._opened:
            with contextlib.suppress(Exception):
                await connection.close()
        self._opened.clear()

    async def rows(self, query: DirectQuery, **params: Any) -> list[tuple[Any, ...]]:
        ready = self._ready
        if ready is None or asyncio.get_running_loop() is not self._loop:
            return query.rows(self.engine, **params)
        sql, _ = query.compiled(self.engine)
        error = self.engine.dialect.loaded_dbapi.Error
        for attempt in (1, 2):
            connection = await ready.get()
            try:
                if connection is None:
                    connection = await self._connect()
                cursor = await connection.execute(sql, params)
                rows = [tuple(row) for row in await cursor.fetchall()]
            except error as exc:
                lost = connection is None or bool(connection.broken or connection.closed)
                await self._drop(ready, connection)
                if lost and attempt == 1:
                    continue  # a database restart, a terminated backend: once more on a new connection
                raise DBAPIError.instance(sql, params, exc, error, connection_invalidated=lost) from exc
            except BaseException:
                await self._drop(ready, connection)  # cancelled halfway: its answer may still be on the way
                raise
            ready.put_nowait(connection)
            return rows
        raise AssertionError("unreachable")

    async def _connect(self) -> Any:
        import psycopg

        args, options = self.engine.dialect.create_connect_args(self.engine.url)
        options = {**options, **_CONNECT_ARGS.get(self.engine, {}), "autocommit": True,
                   "application_name": ASYNC_READS_NAME}  # fmt: skip
        connection = await psycopg.AsyncConnection.connect(*args, **options)
        self._opened.append(connection)
        return connection

    async def _drop(self, ready: asyncio.Queue[Any], connection: Any) -> None:
        if connection is not None:
            self._opened.remove(connection)
            with contextlib.suppress(Exception):
                await connection.close()
        ready.put_nowait(None)  # its room, for the next reader to open a new one


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


def hold_key(session: Session, key: str) -> None:
    """Hold ``key`` until the transaction ends, so that work keyed by it goes one at a time.

    PostgreSQL: a transaction-scoped advisory lock. SQLite writes one transaction at a time anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


def rehearse(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a new session and roll it back: whatever it would refuse, it refuses now, and
    nothing stays (the page that asks before an act rehearses the act first)."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            return work(session)
        finally:
            session.rollback()


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
