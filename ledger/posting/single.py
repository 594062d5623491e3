"""One transaction on PostgreSQL in one statement: ``godmother_post`` (migration 0018) locks the accounts
the legs name, checks them as the batch path does in Python, and writes the postings and the transaction
row, whose triggers seal it into the hash chain. A refusal comes back as a row, with nothing written,
and is raised here as the same domain error the batch path raises."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from ledger.accounts import AccountKey
from ledger.errors import AccountClosed, AccountNotFound, BranchNotFound, InsufficientFunds
from ledger.posting.entries import Entry, Posted
from ledger.posting.write import currency_refused, header_of, period_closed, take_transaction_ids


def is_plain(entry: Entry) -> bool:
    """Neither a reversal nor a disbursement: nothing to check beyond the accounts it names."""
    return entry.reverses_id is None and entry.disbursement is None


# PostgreSQL, one transaction: one statement does what the batch path does in three (migration 0018).
_POST_ONE = text(
    "SELECT posted_seq, posted_hash, refusal FROM godmother_post(:id, :key, :day, :at, :description, "
    "CAST(:metadata AS json), :reverses, :by, :kind, :content, CAST(:branches AS text[]), CAST(:accounts AS text[]), "
    "CAST(:amounts AS bigint[]), CAST(:currencies AS text[]))"
)


def post_one(session: Session, entry: Entry, now: datetime) -> Posted:
    connection = session.connection()
    (txn_id,) = take_transaction_ids(connection, 1)
    header = header_of(txn_id, entry, now.astimezone(UTC))
    try:
        seq, hash_, refusal = connection.execute(
            _POST_ONE,
            {
                "id": txn_id,
                "key": header["idempotency_key"],
                "day": header["effective_date"],
                "at": header["recorded_at"],
                "description": header["description"],
                "metadata": json.dumps(header["metadata"]),
                "reverses": header["reverses_id"],
                "by": header["posted_by"],
                "kind": header["kind"],
                "content": header["content_hash"],
                "branches": [leg.account.branch for leg in entry.legs],
                "accounts": [leg.account.code for leg in entry.legs],
                "amounts": [leg.amount for leg in entry.legs],
                "currencies": [leg.currency for leg in entry.legs],
            },
        ).one()
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
