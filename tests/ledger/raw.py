"""Raw SQL as another client would send it, and as an attacker with write access would."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TestDatabase

APPEND_ONLY = ("ledger_transaction", "posting", "period_event", "disbursement")


def execute(database: TestDatabase, *statements: str) -> None:
    """Run statements in one transaction on a raw connection; commit."""
    with database.raw() as connection:
        connection.execute("BEGIN")
        try:
            for statement in statements:
                connection.execute(statement)
            connection.execute("COMMIT")
        except Exception:
            connection.execute("ROLLBACK")
            raise


def refused(database: TestDatabase, *statements: str) -> BaseException:
    with pytest.raises(Exception) as caught:
        execute(database, *statements)
    return caught.value


def scalar(database: TestDatabase, query: str) -> Any:
    with database.raw() as connection:
        return connection.execute(query).fetchone()[0]


def without_protection(database: TestDatabase, *statements: str) -> None:
    """What someone with full control of the database could do: switch the triggers off first."""
    if database.is_postgres:
        execute(database, *(f"ALTER TABLE {t} DISABLE TRIGGER USER" for t in APPEND_ONLY))
        try:
            execute(database, *statements)
        finally:
            execute(database, *(f"ALTER TABLE {t} ENABLE TRIGGER USER" for t in APPEND_ONLY))
    else:
        names = [row[0] for row in _sqlite_triggers(database)]
        sql = {row[0]: row[1] for row in _sqlite_triggers(database)}
        execute(database, *(f"DROP TRIGGER {name}" for name in names), *statements, *(sql[name] for name in names))


def _sqlite_triggers(database: TestDatabase) -> list[tuple[str, str]]:
    with database.raw() as connection:
        return connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
