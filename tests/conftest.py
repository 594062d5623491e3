"""Test databases: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set.

Each test gets a freshly migrated database of its own. On SQLite that is a copy of a file
migrated once per run; on PostgreSQL a schema of its own, migrated by Alembic and dropped
afterwards. Many tests must commit (the database checks some invariants only at commit),
so rolling back an outer transaction would not do.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from ledger.db import make_engine, upgrade

PG_URL = os.environ.get("TEST_DATABASE_URL")
os.environ.setdefault("BACKUP_SCHEDULE", "off")  # tests that back up say so (tests/backup)
os.environ.setdefault("LEDGER_CHECK_SCHEDULE", "off")  # the nightly check is run by the test that is about it


@dataclass
class TestDatabase:
    url: str
    engine: Engine
    schema: str | None = None
    sqlite_path: Path | None = None

    @property
    def is_postgres(self) -> bool:
        return self.schema is not None

    @contextmanager
    def raw(self) -> Iterator[Any]:
        """A plain DB-API connection, as another client would open: no ORM, no engine hooks."""
        if self.sqlite_path is not None:
            connection = sqlite3.connect(self.sqlite_path, isolation_level=None)
            try:
                yield connection
            finally:
                connection.close()
        else:
            url = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
            with psycopg.connect(url, options=f"-csearch_path={self.schema}", autocommit=True) as connection:
                yield connection

    def env(self) -> dict[str, str]:
        """Environment for running the CLI against this database."""
        env = dict(os.environ)
        if self.schema is not None:
            env["DATABASE_URL"] = self.url
            env["PGOPTIONS"] = f"-csearch_path={self.schema}"
        else:
            env["DATABASE_URL"] = self.url
        return env


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def make_test_database(tmp_path: Path, sqlite_template: Path) -> Iterator[TestDatabase]:
    if PG_URL:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_size=10, max_overflow=20)
        with engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        upgrade(engine)
        try:
            yield TestDatabase(PG_URL, engine, schema=schema)
        finally:
            engine.dispose()
            cleanup = make_engine(PG_URL)
            with cleanup.begin() as connection:
                # A session the test left open in a transaction would hold the drop forever: fail instead,
                # after a bound no busy machine reaches.
                connection.execute(text("SET LOCAL lock_timeout = '600s'"))
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            cleanup.dispose()
    else:
        path = tmp_path / "godmother.db"
        shutil.copyfile(sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
        try:
            yield TestDatabase(f"sqlite:///{path}", engine, sqlite_path=path)
        finally:
            engine.dispose()


@pytest.fixture
def database(tmp_path: Path, sqlite_template: Path) -> Iterator[TestDatabase]:
    yield from make_test_database(tmp_path, sqlite_template)


@pytest.fixture
def engine(database: TestDatabase) -> Engine:
    return database.engine


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)
