"""One transaction on PostgreSQL in one statement: ``godmother_post`` (migration 0018) locks the accounts
the legs name, checks them as the batch path does in Python, and writes the postings and the transaction
row, whose triggers seal it into the hash chain. A refusal comes back as a row, with nothing written,
and is raised here as the same domain error the batch path raises."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from ledger.accounts import AccountKey
from ledger.errors import AccountClosed, AccountNotFound, BranchNotFound, InsufficientFunds
from ledger.posting.bulk import driver_row
from ledger.posting.entries import Entry, Posted
from ledger.posting.write import currency_refused, header_of, period_closed, take_transaction_ids


def is_plain(entry: Entry) -> bool:
    """Neither a reversal nor a disbursement: nothing to check beyond the accounts it names."""
    return entry.reverses_id is None and entry.disbursement is None


# PostgreSQL, one transaction: one statement does what the batch path does in three (migration 0018).
# Run by the driver itself (``driver_row``): SQLAlchemy's execution of a text statement was about a
# sixth of a single post's time on the client (bench/ledger_bench.py).
_POST_ONE = (
    "SELECT posted_seq, posted_hash, refusal FROM godmother_post(%s, %s, %s, %s, %s, %s::json, %s, %s, %s, %s,"
    " %s::text[], %s::text[], %s::bigint[], %s::text[])"
)


def post_one(session: Session, entry: Entry, now: datetime) -> Posted:
    connection = session.connection()
    (txn_id,) = take_transaction_ids(connection, 1)
    header = header_of(txn_id, entry, now.astimezone(UTC))
    try:
        seq, hash_, refusal = driver_row(
            connection,
            _POST_ONE,
            (
                txn_id,
                header["idempotency_key"],
                header["effective_date"],
                header["recorded_at"],
                header["description"],
                json.dumps(header["metadata"]),
                header["reverses_id"],
                header["posted_by"],
                header["kind"],
                header["content_hash"],
                [leg.account.branch for leg in entry.legs],
                [leg.account.code for leg in entry.legs],
                [leg.amount for leg in entry.legs],
                [leg.currency for leg in entry.legs],
            ),
        )
    except DBAPIError as exc:
        closed = period_closed(exc)
        if closed is not None:
            raise closed from None
        raise
    if refusal is not None:
        raise _refused(refusal)
    return Posted(txn_id, seq, hash_, entry.effective_date, created=True)


def _refused(refusal: Mapping[str, Any]) -> Exception:
    """The domain's error for what ``godmother_post`` refused, as the client-side checks raise it."""
    branch, account = refusal["branch"], refusal["account"]
    match refusal["refused"]:
        case "branch-not-found":
            return BranchNotFound(branch)
        case "account-not-found":
            return AccountNotFound(branch, account)
        case "account-closed":
            return AccountClosed(branch, account)
        case "currency":
            return currency_refused(AccountKey(branch, account), refusal["keeps"], refusal["given"])
        case "insufficient-funds":
            return InsufficientFunds(branch, account, int(refusal["balance"]), int(refusal["change"]))
    raise AssertionError(f"unknown refusal {refusal!r}")
