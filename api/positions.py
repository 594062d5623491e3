"""Read your own writes when reads go to a replica (ledger/replicas.py).

After a write, the door notes the primary's WAL position for the client that wrote: in this
worker's memory (keyed by the client's token or session cookie), in the answer's
``X-Godmother-Written`` header, and in a cookie for the browser. A reading then brings the
highest position it knows of (this worker's note, the cookie, or an ``X-Godmother-After``
header an API client sends back, which any worker understands) and is served by the replica
only once the replica has replayed that far.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping

from fastapi import Request

from api.cookies import COOKIE, WRITTEN_COOKIE
from ledger.replicas import Replica, format_position, parse_position

WRITTEN_HEADER = "x-godmother-written"
AFTER_HEADER = "x-godmother-after"
_KEPT = 100_000


class WritePositions:
    """Where each client's last write ended on the primary, as this worker saw it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._positions: dict[str, int] = {}
        self._floor: int | None = None  # the highest position forgotten: asked of every client not noted since

    def note(self, client: str, position: int) -> None:
        with self._lock:
            if len(self._positions) > _KEPT:
                self._floor = max([*self._positions.values(), self._floor or 0])  # no older page gets through
                self._positions.clear()
            self._positions[client] = max(position, self._positions.get(client, 0))

    def of(self, client: str) -> int | None:
        with self._lock:
            return self._positions.get(client, self._floor)


def credential(headers: Mapping[str, str]) -> str | None:
    """The bearer token, else the web session's cookie; None for anyone."""
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and value:
            return value
    return None


def client_of(headers: Mapping[str, str]) -> str | None:
    """Who is asking, as a digest of their credential (a token is never kept as it is)."""
    found = credential(headers)
    return hashlib.sha256(found.encode()).hexdigest() if found else None


def written_by(replica: Replica, positions: WritePositions, headers: Mapping[str, str]) -> str:
    """After a request that writes: note where the primary stands for this client; the position as text."""
    position = replica.position()
    client = client_of(headers)
    if client is not None:
        positions.note(client, position)
    return format_position(position)


def read_after(request: Request) -> int | None:
    """The position this request's reading must not be older than (None: any)."""
    known = [
        parse_position(request.cookies.get(WRITTEN_COOKIE)),
        parse_position(request.headers.get(AFTER_HEADER)),
    ]
    client = client_of(request.headers)
    if client is not None:
        known.append(request.app.state.write_positions.of(client))
    found = [p for p in known if p is not None]
    return max(found) if found else None
