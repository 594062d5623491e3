"""Paying a month's decisions: one transaction per child and program, fund → the guardian's payable.

``post_payouts`` is the monthly run's write, with every guarantee of ``post_many``. On SQLite it
is ``post_many`` over one entry per payout. On PostgreSQL a batch of thousands is a handful of
set statements, each reading the batch as one array parameter a column (``as_array``): the
accounts are found and the disbursement rows inserted, then the accounts are locked (ascending
id) and checked, and the postings and the transaction rows inserted. The database writes
each transaction's content hash itself, from the same canonical JSON ``ledger.chain`` defines
(sorted keys, no spaces, strings escaped as JSON escapes them), so nothing is formatted or hashed
row by row in Python; ``verify`` recomputes every hash in Python and would name the first that
differed. The triggers that guard every post fire as for any other: balances, closed periods,
the chain's link and seal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from ledger import chain
from ledger.accounts import AccountKey
from ledger.db import is_sqlite
from ledger.errors import AccountClosed, DuplicateDisbursement, InsufficientFunds, InvalidEntry
from ledger.models import AccountType
from ledger.posting import post_many
from ledger.posting.bulk import as_array
from ledger.posting.entries import MAX_AMOUNT, DisbursementKey, Entry, Leg, validate
from ledger.posting.write import (
    check_disbursements,
    currency_refused,
    period_closed,
    require_all,
    take_transaction_ids,
)


@dataclass(frozen=True, slots=True)
class Payout:
    """What one decision pays: ``amount`` from ``fund`` to ``payable``, once per (child, program, month)."""

    fund: AccountKey
    payable: AccountKey
    amount: int
    description: str
    disbursement: DisbursementKey


def post_payouts(
    session: Session,
    payouts: Sequence[Payout],
    *,
    effective_date: date,
    posted_by: str,
    metadata: Mapping[str, Any],
    now: datetime | None = None,
) -> int:
    """Post every payout in the caller's database transaction, all or none; returns how many."""
    if not payouts:
        return 0
    now = now or datetime.now(UTC)
    if is_sqlite(session):
        return len(post_many(session, [_entry(p, effective_date, posted_by, metadata) for p in payouts], now=now))
    validate(_entry(payouts[0], effective_date, posted_by, metadata))  # who, metadata: the same for all
    for payout in payouts:
        if type(payout.amount) is not int or not 0 < payout.amount <= MAX_AMOUNT:
            raise InvalidEntry(f"a payout is a whole, positive number of đồng, not {payout.amount!r}")
        if not payout.description.strip():
            raise InvalidEntry("a transaction needs a description")
    connection = session.connection()
    # Everything that needs no lock is done before the accounts are locked: a run's two writers take
    # turns at a commune's program fund only while they write what moves it.
    found = _account_ids(connection, {k for p in payouts for k in (p.fund, p.payable)})
    funds, payables = [found[p.fund] for p in payouts], [found[p.payable] for p in payouts]
    ids = take_transaction_ids(connection, len(payouts))
    columns = {"ids": as_array(ids), "amounts": as_array([p.amount for p in payouts])}
    try:
        with session.begin_nested():  # the savepoint is taken on the session's connection as it is asked for
            session.connection().execute(_DISBURSEMENTS, {"ids": columns["ids"], **_disbursement_columns(payouts)})
    except IntegrityError:
        # Paid twice in the batch or paid before: named (with the transaction that paid it) by the check.
        check_disbursements(session, [p.disbursement for p in payouts])
        first = payouts[0].disbursement
        raise DuplicateDisbursement(first.child, first.program, first.month.first_day, None) from None
    _check_locked(connection, payouts, found, funds, payables)
    connection.execute(
        _POSTINGS, {**columns, "funds": as_array(funds), "payables": as_array(payables), "day": effective_date}
    )
    try:
        connection.execute(
            _TRANSACTIONS,
            {
                **columns,
                "descriptions": as_array([p.description for p in payouts]),
                "fund_branches": as_array([p.fund.branch for p in payouts]),
                "fund_codes": as_array([p.fund.code for p in payouts]),
                "payable_branches": as_array([p.payable.branch for p in payouts]),
                "payable_codes": as_array([p.payable.code for p in payouts]),
                "day": effective_date,
                "recorded_at": now,
                "metadata": chain.canonical_json(dict(metadata)),
                "posted_by": posted_by,
                # What every row's canonical JSON shares, written here exactly as ledger.chain writes it.
                "day_json": chain.canonical_json(effective_date.isoformat()),
                "posted_by_json": chain.canonical_json(posted_by),
                "recorded_json": chain.canonical_json(chain.recorded_text(now)),
            },
        )
    except DBAPIError as exc:
        closed = period_closed(exc)
        if closed is not None:
            raise closed from None
        raise
    return len(payouts)


def _disbursement_columns(payouts: Sequence[Payout]) -> dict[str, str]:
    return {
        "children": as_array([p.disbursement.child for p in payouts]),
        "programs": as_array([p.disbursement.program for p in payouts]),
        "months": as_array([p.disbursement.month.first_day for p in payouts]),
    }


def _account_ids(connection: Any, keys: set[AccountKey]) -> dict[AccountKey, int]:
    """The id of each account, read without a lock (an account's id and key never change)."""
    wanted = {"branches": as_array([k.branch for k in keys]), "codes": as_array([k.code for k in keys])}
    found = {AccountKey(branch, code): id_ for id_, branch, code in connection.execute(_FIND, wanted)}
    require_all(connection, keys, found)
    return found


def _check_locked(
    connection: Any, payouts: Sequence[Payout], found: Mapping[AccountKey, int], funds: list[int], payables: list[int]
) -> None:
    """Lock the accounts (``FOR UPDATE``, ascending id, as every poster does) and check the payouts
    against them, in order, as ``post_many`` would find the first to go below zero. ``funds`` and
    ``payables`` are the ids of each payout's accounts."""
    ids = as_array(sorted(set(found.values())))
    locked = {row[0]: row for row in connection.execute(_LOCK, {"ids": ids})}
    balances: dict[int, int] = {}
    signs: dict[int, int] = {}  # 0 where the account may go negative
    for key, id_ in sorted(found.items(), key=lambda item: item[1]):  # the first refused in id order
        _, type_, currency, may_go_negative, is_open, balance = locked[id_]
        if not is_open:
            raise AccountClosed(key.branch, key.code)
        if currency != "VND":
            raise currency_refused(key, currency, "VND")
        balances[id_] = balance
        signs[id_] = 0 if may_go_negative else AccountType(type_).normal_sign
    for payout, fund, payable in zip(payouts, funds, payables, strict=True):
        for id_, key, change in ((fund, payout.fund, payout.amount), (payable, payout.payable, -payout.amount)):
            sign, balance = signs[id_], balances[id_]
            if sign * (balance + change) < 0:
                raise InsufficientFunds(key.branch, key.code, sign * balance, sign * change)
            balances[id_] = balance + change


def _entry(payout: Payout, effective_date: date, posted_by: str, metadata: Mapping[str, Any]) -> Entry:
    return Entry(
        effective_date=effective_date,
        description=payout.description,
        legs=(Leg(payout.fund, payout.amount), Leg(payout.payable, -payout.amount)),
        posted_by=posted_by,
        metadata=metadata,
        kind="disbursement",
        disbursement=payout.disbursement,
    )


_FIND = text(
    "SELECT a.id, b.code, a.code FROM unnest(CAST(:branches AS text[]), CAST(:codes AS text[])) AS wanted(branch, code)"
    " JOIN account a ON a.code = wanted.code JOIN branch b ON b.id = a.branch_id AND b.code = wanted.branch"
)
# The ids as one array parameter, written as its text (psycopg would adapt a list item by item).
_LOCK = text(
    "SELECT id, type, currency, may_go_negative, is_open, balance FROM account"
    " WHERE id = ANY (CAST(:ids AS bigint[])) ORDER BY id FOR UPDATE"
)
# The batch is one array parameter for each column (``as_array``), read by the server as rows.
_IDS_AND_AMOUNTS = "CAST(:ids AS bigint[]), CAST(:amounts AS bigint[])"
# Line 1 takes the money out of the fund, line 2 owes it to the guardian.
_POSTINGS = text(
    "INSERT INTO posting (transaction_id, line, account_id, amount, currency, effective_date)"
    " SELECT t.id, leg.line, CASE leg.line WHEN 1 THEN t.fund ELSE t.payable END,"
    " CASE leg.line WHEN 1 THEN t.amount ELSE -t.amount END, 'VND', :day"
    f" FROM unnest({_IDS_AND_AMOUNTS}, CAST(:funds AS bigint[]), CAST(:payables AS bigint[]))"
    " AS t(id, amount, fund, payable) CROSS JOIN (VALUES (1), (2)) AS leg(line)"
)
_DISBURSEMENTS = text(
    "INSERT INTO disbursement (transaction_id, child_code, program, month) SELECT t.id, t.child, t.program, t.month"
    " FROM unnest(CAST(:ids AS bigint[]), CAST(:children AS text[]), CAST(:programs AS text[]),"
    " CAST(:months AS date[])) AS t(id, child, program, month)"
)
# The canonical JSON of ledger.chain.content_hash, keys in sorted order: description,
# effective_date, id, idempotency_key, kind, metadata, posted_by, postings, recorded_at, reverses_id.
# (A backslash before a colon keeps it from being read as a bound parameter.)
_CONTENT = (
    "'{\"description\":' || to_json(t.description)::text"
    " || ',\"effective_date\":' || :day_json || ',\"id\":' || t.id"
    ' || \',"idempotency_key"\\:null,"kind":"disbursement","metadata":\' || :metadata'
    " || ',\"posted_by\":' || :posted_by_json"
    " || ',\"postings\":[[' || to_json(t.fund_branch)::text || ',' || to_json(t.fund_code)::text"
    " || ',' || t.amount || ',\"VND\"],[' || to_json(t.payable_branch)::text || ','"
    " || to_json(t.payable_code)::text || ',' || (-t.amount) || ',\"VND\"]]'"
    " || ',\"recorded_at\":' || :recorded_json || ',\"reverses_id\"\\:null}'"
)
_TRANSACTIONS = text(
    "INSERT INTO ledger_transaction (id, idempotency_key, effective_date, recorded_at, description, metadata,"
    " reverses_id, posted_by, kind, content_hash, seq, prev_hash, hash)"
    " SELECT t.id, NULL, :day, :recorded_at, t.description, CAST(:metadata AS json), NULL, :posted_by,"
    f" 'disbursement', encode(sha256(convert_to({_CONTENT}, 'UTF8')), 'hex'), 0, '', ''"
    f" FROM unnest({_IDS_AND_AMOUNTS}, CAST(:descriptions AS text[]), CAST(:fund_branches AS text[]),"
    " CAST(:fund_codes AS text[]), CAST(:payable_branches AS text[]), CAST(:payable_codes AS text[]))"
    " AS t(id, amount, description, fund_branch, fund_code, payable_branch, payable_code)"
    " ORDER BY t.id"  # the chain links them in id order, as post_many does
)
