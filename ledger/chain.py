"""The hash chain that makes tampering evident.

Each transaction has a ``content_hash``: SHA-256 over a canonical JSON encoding of
everything it says (id, dates, description, metadata, who posted it, what it reverses, and
its postings in line order, each naming its branch and account by code). Its ``hash`` links
it to the one before: ``sha256(prev_hash + content_hash)`` over the hex strings, with
sixty-four zeros before the first. Changing, removing or inserting a row anywhere breaks
either a content hash or a link, and ``verify`` names the first transaction where it breaks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class HashedPosting:
    branch: str
    account: str
    amount: int
    currency: str


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 as it is (one encoder, as ``json.dumps`` would build for each call)."""
    return _CANONICAL.encode(value)


def content_hash(
    *,
    transaction_id: int,
    idempotency_key: str | None,
    effective_date: date,
    recorded_at: datetime,
    description: str,
    metadata: Mapping[str, Any],
    reverses_id: int | None,
    posted_by: str,
    kind: str,
    postings: Iterable[HashedPosting],
) -> str:
    document = {
        "id": transaction_id,
        "idempotency_key": idempotency_key,
        "effective_date": effective_date.isoformat(),
        "recorded_at": recorded_text(recorded_at),
        "description": description,
        "metadata": dict(metadata),
        "reverses_id": reverses_id,
        "posted_by": posted_by,
        "kind": kind,
        "postings": [[p.branch, p.account, p.amount, p.currency] for p in postings],
    }
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()


def recorded_text(recorded_at: datetime) -> str:
    """The moment a transaction was recorded, as its content hash writes it (UTC, microseconds)."""
    return recorded_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def link_hash(prev_hash: str, content: str) -> str:
    """The chain link; PostgreSQL's sealing trigger computes exactly the same."""
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()
