"""Copying a database and loading a copy, for each engine, each read at one moment.

SQLite: the online backup API copies the file while the server keeps serving (in WAL mode
readers block no writer), in one step so that the copy is one consistent state. PostgreSQL:
``pg_dump`` in custom format, in a snapshot exported from the transaction that read the
fingerprint, so that the manifest describes exactly what the dump holds.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import Connection, Engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from ledger.backup.fingerprint import Fingerprint, fingerprint
from ledger.db import current_revision, make_engine, reading
from ledger.errors import LedgerError


class BackupFailed(LedgerError):
    """A copy could not be taken or loaded; ``stage`` says where, ``reason`` why."""

    def __init__(self, stage: str, reason: str) -> None:
        self.stage, self.reason = stage, reason
        super().__init__(f"{stage}: {reason}")


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise BackupFailed("the database", f"{url!r} names no SQLite file")
    return Path(database)


def copy_sqlite(url: str, destination: Path) -> None:
    source = sqlite3.connect(f"file:{sqlite_path(url)}?mode=ro", uri=True, timeout=60)
    target = sqlite3.connect(destination)
    try:
        source.backup(target)  # all pages in one step: one consistent state of the file
    finally:
        target.close()
        source.close()


def describe_sqlite(path: Path) -> tuple[Fingerprint, str]:
    """The fingerprint and schema revision of a SQLite file (read-only)."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        revision = current_revision(engine) or "none"
        with Session(reading(engine)) as session:
            return fingerprint(session), revision
    finally:
        engine.dispose()


def sqlite_is_empty(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return True
    connection = sqlite3.connect(path)
    try:
        tables: int = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        return tables == 0
    finally:
        connection.close()


def integrity_of_sqlite(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()


# --- PostgreSQL ---------------------------------------------------------------------------


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without its password, and the environment that carries the password."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(name, f"{name} is not installed: install postgresql-client (the same major version)")
    return found


def _run(command: list[str], env: dict[str, str], stage: str) -> None:
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        lines = [line for line in finished.stderr.splitlines() if line.strip()]
        raise BackupFailed(stage, " / ".join(lines[-3:]) or f"exit status {finished.returncode}")


def dump_postgres(engine: Engine, url: str, destination: Path) -> tuple[Fingerprint, str, str]:
    """Dump the ledger's schema in custom format; return its fingerprint, schema name and revision."""
    pg_dump = _tool("pg_dump")
    with engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True) as connection:
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        with Session(bind=connection) as session:
            described = fingerprint(session)
        target, env = _libpq(url)
        _run(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--schema={schema}", "--no-owner",
             "--no-privileges", f"--file={destination}", f"--dbname={target}"],
            env, "pg_dump",
        )  # fmt: skip
        connection.rollback()
    return described, schema, revision


def pg_schema_is_empty(url: str, schema: str) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            count = connection.execute(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema = :schema"), {"schema": schema}
            ).scalar_one()
        return int(count) == 0
    finally:
        engine.dispose()


def restore_postgres(dump: Path, url: str, schema: str, *, replace: bool) -> None:
    """Load a dump into ``url``, in one transaction: all of it or nothing."""
    pg_restore = _tool("pg_restore")
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if replace:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            if schema == "public":  # the dump creates every other schema itself
                connection.execute(text("CREATE SCHEMA IF NOT EXISTS public"))
            _trigrams_in_public(connection)
    finally:
        engine.dispose()
    target, env = _libpq(url)
    listing = subprocess.run([pg_restore, "--list", str(dump)], capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        raise BackupFailed("pg_restore", listing.stderr.strip() or "the dump cannot be read")
    wanted = [line for line in listing.stdout.splitlines() if not (schema == "public" and " SCHEMA - public " in line)]
    order = dump.with_suffix(".list")
    order.write_text("\n".join(wanted) + "\n", encoding="utf-8")
    try:
        _run(
            [pg_restore, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
             f"--use-list={order}", f"--dbname={target}", str(dump)],
            env, "pg_restore",
        )  # fmt: skip
    finally:
        order.unlink(missing_ok=True)


def _trigrams_in_public(connection: Connection) -> None:
    """The search index's operator class (pg_trgm, migration 0017) lives outside the dumped schema, where
    the migration found or put it (public): a database restored into needs it there too. Without the
    right to create it, pg_restore says which index could not be made."""
    with suppress(DBAPIError):
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))


@contextmanager
def temporary_postgres(url: str) -> Iterator[str]:
    """A database of its own on the same server, dropped afterwards (to verify a copy in)."""
    name = f"godmother_verify_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:
            raise BackupFailed(
                "a temporary database to verify into", f"the server refused to create one ({exc.__class__.__name__}): "
                "the database user needs the CREATEDB right"
            ) from None  # fmt: skip
        try:
            yield make_url(url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
