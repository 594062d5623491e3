"""One run at a time per database: a PostgreSQL advisory lock, or a lock file beside SQLite."""

from __future__ import annotations

import fcntl
import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from ledger.db import is_sqlite
from ledger.errors import RunInProgress, RunLockLost

# --- one run at a time ------------------------------------------------------------------


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect garbage less often while a run holds hundreds of thousands of live objects.

    With the default thresholds Python rescans them all again and again: a third of a run's time
    at 40,000 children. Cycles are still collected, just in larger batches.
    """
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@dataclass(slots=True)
class RunLock:
    """The monthly-run lock as held: ``check`` before each chunk, so that a lock lost with its
    connection stops the run instead of letting a second run start beside it unseen."""

    connection: Any = None  # PostgreSQL: the session holding the advisory lock

    def check(self) -> None:
        if self.connection is None:
            return  # SQLite: a file lock lives as long as this process
        try:
            self.connection.scalar(text("SELECT 1"))
            self.connection.commit()
        except DBAPIError:
            raise RunLockLost() from None


@contextmanager
def exclusive_run(engine: Engine) -> Iterator[RunLock]:
    """Hold the database's monthly-run lock, or raise ``RunInProgress`` at once.

    The lock dies with its holder (a killed process releases it): PostgreSQL ends the
    session's advisory lock, the kernel closes the SQLite lock file.
    """
    if is_sqlite(engine):
        path = f"{engine.url.database}.run-lock"
        handle = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RunInProgress() from None
            yield RunLock()
        finally:
            os.close(handle)
        return
    with engine.connect() as connection:
        key = text("SELECT hashtext('godmother-monthly-run:' || current_schema())")
        lock_id = connection.scalar(key)
        if not connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_id}):
            connection.rollback()
            raise RunInProgress()
        connection.commit()
        lock = RunLock(connection)
        try:
            yield lock
        finally:
            if not connection.invalidated:
                try:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_id})
                    connection.commit()
                except DBAPIError:
                    pass  # the connection is gone, and the lock with it
