"""Read-only work on a PostgreSQL streaming replica, never older than the reader's own writes.

A deployment may add a hot standby (``DATABASE_REPLICA_URL``). Work that only reads (lists,
search, a child's or a sponsor's page, the auditor's books, exports) then runs in a
``ReadingSession``: its SELECTs go to the replica, while what it writes (the audit log's
record of the reading) and anything after another write go to the primary.

A replica replays the primary's write-ahead log a little behind it. So that a treasurer
never sees a page older than what she has just saved, every write through a door leaves its
*position*: the primary's WAL position after the commit (``Replica.position``), which covers
the ledger's chain head and the register alike. A reading that brings a position is served
by the replica only once the replica has replayed that far (``caught_up``); otherwise, or
when the replica cannot be reached, the primary answers. Nothing waits for the replica.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Delete, Engine, Insert, Update, select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from ledger.access.models import AuditEvent
from ledger.db import DirectQuery, run_in_transaction

T = TypeVar("T")

log = logging.getLogger(__name__)

_LSN = re.compile(r"^([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})$")
_PRIMARY_POSITION = DirectQuery(select(text("pg_current_wal_lsn()::text")))
_REPLAYED = DirectQuery(select(text("pg_last_wal_replay_lsn()::text")))


def parse_position(text_: str | None) -> int | None:
    """A WAL position as PostgreSQL writes it (``16/B374D848``) as one number; None if it is not one."""
    if not text_:
        return None
    match = _LSN.match(text_.strip())
    return (int(match[1], 16) << 32) + int(match[2], 16) if match else None


def format_position(position: int) -> str:
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


class Replica:
    """The primary and its streaming replica, as the doors use them."""

    def __init__(self, primary: Engine, replica: Engine) -> None:
        if primary.dialect.name != "postgresql" or replica.dialect.name != "postgresql":
            raise ValueError("a read replica is a PostgreSQL streaming replica of a PostgreSQL primary")
        self.primary, self.replica = primary, replica

    def position(self) -> int:
        """The primary's WAL position now: after a commit, every replica that has replayed this far has it."""
        position = parse_position(_PRIMARY_POSITION.rows(self.primary)[0][0])
        assert position is not None
        return position

    def caught_up(self, position: int | None) -> bool:
        """Whether the replica answers and has replayed at least ``position`` (any position, when None)."""
        try:
            replayed = parse_position(_REPLAYED.rows(self.replica)[0][0])
        except DBAPIError as exc:
            log.warning("the read replica does not answer; reading from the primary: %s", exc.orig)
            return False
        if replayed is None:  # not in recovery: this is no replica (a promoted one would take writes)
            log.warning("DATABASE_REPLICA_URL does not name a replica in recovery; reading from the primary")
            return False
        return position is None or replayed >= position


class ReadingSession(Session):
    """A session whose reads go to the replica, and whose writes (and every statement after a write,
    so that it reads what it wrote) go to the primary. Audit records of the reading itself are
    append-only and never read back, so they leave the reads where they are."""

    def __init__(self, primary: Engine, replica: Engine | None, **kwargs: Any) -> None:
        super().__init__(bind=primary, **kwargs)
        self._primary, self._replica = primary, replica
        self.wrote = False

    def get_bind(self, mapper: Any = None, *, clause: Any = None, **kwargs: Any) -> Any:
        if self._replica is None or self.wrote:
            return self._primary
        if self._flushing or isinstance(clause, Update | Delete):
            self.wrote = True
            return self._primary
        if clause is None:  # a connection asked for (raw SQL, the dialect's name): the primary's
            return self._primary
        if isinstance(clause, Insert):
            if clause.table.name != AuditEvent.__tablename__:
                self.wrote = True
            return self._primary
        if not clause.is_select:  # text(): a lock, a setting; whatever it is, the primary takes it
            self.wrote = True
            return self._primary
        return self._replica


def run_reading(engine: Engine, replica: Replica | None, work: Callable[[Session], T], *, after: int | None) -> T:
    """Run read-only ``work`` (which may record that it read) and commit: on the replica when there
    is one that has replayed ``after``, else on the primary as any other unit of work."""
    if replica is None or not replica.caught_up(after):
        return run_in_transaction(engine, work)
    with ReadingSession(replica.primary, replica.replica, expire_on_commit=False) as session:
        result = work(session)
        session.commit()
        return result
