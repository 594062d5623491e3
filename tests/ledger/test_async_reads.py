"""The asynchronous reads behind the balance lookup (ledger.db.AsyncReads), on a real PostgreSQL:
never more connections than asked for, however many readers arrive at once; a connection the
server ended is replaced and the read answered; a server that cannot be reached is an error
SQLAlchemy's way (the API answers it as unavailable), not a reader left waiting."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from ledger.db import ASYNC_READS_NAME, AsyncReads, DirectQuery, make_engine

pytestmark = pytest.mark.postgres_only

WHO = DirectQuery(select(text("pg_backend_pid()")))


def terminate_async_readers(database) -> int:
    with database.raw() as connection:
        return connection.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            (ASYNC_READS_NAME,),
        ).fetchone()[0]


def test_readers_share_at_most_size_connections_and_outlive_a_lost_one(database):
    async def main() -> None:
        reads = AsyncReads(database.engine, size=2)
        reads.open()
        try:
            first = await asyncio.gather(*(reads.rows(WHO) for _ in range(30)))
            assert 1 <= len({rows[0][0] for rows in first}) <= 2
            assert terminate_async_readers(database) >= 1
            again = await asyncio.gather(*(reads.rows(WHO) for _ in range(10)))
            assert {rows[0][0] for rows in again}.isdisjoint({rows[0][0] for rows in first})
        finally:
            await reads.close()

    asyncio.run(main())


def test_a_server_that_cannot_be_reached_is_an_operational_error(database):
    unreachable = make_engine(database.engine.url.set(host="127.0.0.1", port=1).render_as_string(False))

    async def main() -> None:
        reads = AsyncReads(unreachable, size=1)
        reads.open()
        try:
            for _ in range(2):  # the room a failed connection took is given back
                with pytest.raises(OperationalError):
                    await reads.rows(WHO)
        finally:
            await reads.close()

    asyncio.run(main())
