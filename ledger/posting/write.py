"""The write path: lock the accounts, check them against the ledger, write postings and balances,
then seal the transactions into the hash chain. Bulk writes go through Core tables: ORM objects
cost ~9x per row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, func, insert, text, tuple_
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col, select

from ledger import chain
from ledger.accounts import AccountKey
from ledger.db import is_sqlite
from ledger.errors import (
    AccountClosed,
    AccountNotFound,
    AlreadyReversed,
    BranchNotFound,
    DuplicateDisbursement,
    InsufficientFunds,
    InvalidEntry,
    PeriodClosed,
    TransactionNotFound,
)
from ledger.ground.columns import table_of
from ledger.models import (
    Account,
    AccountType,
    Branch,
    ChainHead,
    Disbursement,
    LedgerTransaction,
    PeriodEvent,
    Posting,
)

# Bulk writes go through Core tables: ORM objects cost ~9x per row (docs/stack.md).
from ledger.posting.bulk import as_array, as_json_rows, copy_rows
from ledger.posting.entries import DisbursementKey, Entry, Posted, chunks

POSTING = table_of(Posting)
ACCOUNT = table_of(Account)
TRANSACTION = table_of(LedgerTransaction)
DISBURSEMENT = table_of(Disbursement)
CHAIN_HEAD = table_of(ChainHead)
PERIOD_EVENT = table_of(PeriodEvent)
ID_BLOCK = 100  # the transaction id sequence's INCREMENT BY (migration 0001)
PERIOD_CLOSED_SQLSTATE = "GM007"  # raised by the sealing trigger (see migration 0001)


# --- the write path ---------------------------------------------------------------------
# Statements are built once and run on the session's connection: building and routing them
# through the ORM cost more than executing them. The database adds each posting to its
# account's cached balance (a trigger), so the write path is: read and lock, insert the
# postings, insert the transaction rows, commit.


@dataclass(slots=True)
class _LockedAccount:
    id: int
    branch_id: int
    key: AccountKey
    type: AccountType
    currency: str
    may_go_negative: bool
    is_open: bool
    balance: int


_ACCOUNT_COLUMNS = (
    ACCOUNT.c.id,
    ACCOUNT.c.branch_id,
    col(Branch.code),
    ACCOUNT.c.code,
    ACCOUNT.c.type,
    ACCOUNT.c.currency,
    ACCOUNT.c.may_go_negative,
    ACCOUNT.c.is_open,
    ACCOUNT.c.balance,
)
_BY_KEY = tuple_(col(Branch.code), ACCOUNT.c.code).in_(bindparam("keys", expanding=True))
_FROM = ACCOUNT.join(table_of(Branch), col(Branch.id) == ACCOUNT.c.branch_id)
_LOCK_BY_KEY = (
    sa.select(*_ACCOUNT_COLUMNS).select_from(_FROM).where(_BY_KEY).order_by(ACCOUNT.c.id).with_for_update(of=ACCOUNT)
)
# PostgreSQL, many accounts: the (branch, code) pairs as one JSON parameter (psycopg writes a
# Python list as an array parameter item by item, in Python), locked in ascending id order (the
# lock is taken after the sort). SQLite has no arrays: it looks accounts up by code (indexed), then
# keeps the pairs asked for (neither engine uses an index for a large row-value IN).
_LOCK_BY_PAIRS = text(
    "SELECT a.id, a.branch_id, b.code, a.code, a.type, a.currency, a.may_go_negative, a.is_open, a.balance"
    " FROM json_to_recordset(CAST(:keys AS json)) AS wanted(branch text, code text)"
    " JOIN account a ON a.code = wanted.code"
    " JOIN branch b ON b.id = a.branch_id AND b.code = wanted.branch"
    " ORDER BY a.id FOR UPDATE OF a"
)
_BY_CODE = ACCOUNT.c.code.in_(bindparam("codes", expanding=True))
# SQLite: writers are serialised, so one statement can also read each branch's last closed
# day and the chain head. (Not on PostgreSQL: a subquery there would see the snapshot taken
# before the row locks were granted, and could miss a month closed in between.)
_SQLITE_READ = (
    sa.select(
        *_ACCOUNT_COLUMNS,
        select(PERIOD_EVENT.c.closed_through)
        .where(PERIOD_EVENT.c.branch_id == ACCOUNT.c.branch_id)
        .order_by(PERIOD_EVENT.c.id.desc())
        .limit(1)
        .scalar_subquery(),
        select(CHAIN_HEAD.c.seq).where(CHAIN_HEAD.c.id == 1).scalar_subquery(),
        select(CHAIN_HEAD.c.hash).where(CHAIN_HEAD.c.id == 1).scalar_subquery(),
    )
    .select_from(_FROM)
    .where(_BY_CODE)
)
_SQLITE_HEAD = select(CHAIN_HEAD.c.seq, CHAIN_HEAD.c.hash).where(CHAIN_HEAD.c.id == 1)
# Many accounts at once (a monthly run): the accounts alone, then each branch's last closed day
# once per branch rather than once per account.
_ACCOUNTS_BY_CODE = sa.select(*_ACCOUNT_COLUMNS).select_from(_FROM).where(_BY_CODE)
_CLOSED_THROUGH = select(PERIOD_EVENT.c.branch_id, PERIOD_EVENT.c.closed_through).where(
    PERIOD_EVENT.c.id.in_(
        select(func.max(PERIOD_EVENT.c.id))
        .where(PERIOD_EVENT.c.branch_id.in_(bindparam("branches", expanding=True)))
        .group_by(PERIOD_EVENT.c.branch_id)
    )
)
_ADVANCE_CHAIN_HEAD = (
    CHAIN_HEAD.update().where(CHAIN_HEAD.c.id == 1).values(seq=bindparam("seq"), hash=bindparam("hash"))
)
_NEXT_BLOCKS = text("SELECT nextval('ledger_transaction_id_seq') FROM generate_series(1, :n)")
_INSERT_POSTINGS = insert(POSTING)
_INSERT_POSTINGS_BATCHED = insert(POSTING).returning(POSTING.c.line)
_INSERT_DISBURSEMENTS = insert(DISBURSEMENT)
_INSERT_TRANSACTIONS = insert(TRANSACTION)
_INSERT_TRANSACTIONS_RETURNING = insert(TRANSACTION).returning(
    TRANSACTION.c.id, TRANSACTION.c.seq, TRANSACTION.c.hash, sort_by_parameter_order=True
)


@dataclass(slots=True)
class Context:
    accounts: dict[AccountKey, _LockedAccount]
    closed: dict[int, date]
    ids: list[int]
    head: tuple[int, str] | None  # SQLite only: the chain head before this write


def post_new(session: Session, entries: Sequence[Entry], now: datetime) -> list[Posted]:
    connection = session.connection()
    keys = {leg.account for entry in entries for leg in entry.legs}
    context = (
        _read_sqlite(connection, keys, len(entries))
        if is_sqlite(session)
        else read_postgres(connection, keys, len(entries))
    )
    _check_reversals(session, entries)
    check_disbursements(session, [entry.disbursement for entry in entries if entry.disbursement is not None])

    accounts = context.accounts
    by_id = {account.id: account for account in accounts.values()}
    for entry in entries:
        _check_against_ledger(entry, accounts, context.closed)
        for account_id, change in _net_changes(entry, accounts).items():
            account = by_id[account_id]
            sign = account.type.normal_sign
            if not account.may_go_negative and sign * (account.balance + change) < 0:
                raise InsufficientFunds(account.key.branch, account.key.code, sign * account.balance, sign * change)
            account.balance += change

    postings: list[dict[str, Any]] = []
    headers: list[dict[str, Any]] = []
    disbursements: list[dict[str, Any]] = []
    for txn_id, entry in zip(context.ids, entries, strict=True):
        for line, leg in enumerate(entry.legs, start=1):
            account = accounts[leg.account]
            postings.append(
                {
                    "transaction_id": txn_id,
                    "line": line,
                    "account_id": account.id,
                    "amount": leg.amount,
                    "currency": leg.currency,
                    "effective_date": entry.effective_date,
                    "_toward_normal": account.type.normal_sign * leg.amount,
                }
            )
        headers.append(header_of(txn_id, entry, now))
        if entry.disbursement:
            disbursements.append(
                {
                    "transaction_id": txn_id,
                    "child_code": entry.disbursement.child,
                    "program": entry.disbursement.program,
                    "month": entry.disbursement.month.first_day,
                }
            )

    # Increases first: the balance trigger then never takes an account below where it ends,
    # so the database's CHECK agrees with the per-transaction check above.
    postings.sort(key=lambda p: -p.pop("_toward_normal"))
    if context.head is None and len(postings) >= COPY_FROM:
        # PostgreSQL, a large batch: one COPY, so the statement-level balance trigger runs once
        # and no multi-row INSERT text is built and parsed.
        copy_rows(connection, POSTING, postings)
    elif context.head is None:
        # PostgreSQL: multi-row INSERTs of up to 1,000 rows (RETURNING makes SQLAlchemy batch
        # them), so the statement-level balance trigger runs once per 1,000 postings, not per row.
        connection.execute(_INSERT_POSTINGS_BATCHED, postings).all()
    else:
        connection.execute(_INSERT_POSTINGS, postings)
    if disbursements:
        try:
            with session.begin_nested():
                if context.head is None and len(disbursements) >= COPY_FROM // 2:
                    copy_rows(session.connection(), DISBURSEMENT, disbursements)
                else:
                    session.connection().execute(_INSERT_DISBURSEMENTS, disbursements)
        except IntegrityError:
            first = disbursements[0]
            raise DuplicateDisbursement(first["child_code"], first["program"], first["month"], None) from None
    return _seal(connection, headers, context.head)


def period_closed(exc: DBAPIError) -> PeriodClosed | None:
    """The sealing trigger's refusal of a closed month, as the domain's error (else None)."""
    if getattr(exc.orig, "sqlstate", None) != PERIOD_CLOSED_SQLSTATE:
        return None
    failure: Any = exc.orig  # psycopg's error: the trigger's detail names the close
    through, day, branch = str(failure.diag.message_detail).split(" ", 2)
    return PeriodClosed(branch, date.fromisoformat(day), date.fromisoformat(through))


def header_of(txn_id: int, entry: Entry, now: datetime) -> dict[str, Any]:
    return {
        "id": txn_id,
        "idempotency_key": entry.idempotency_key,
        "effective_date": entry.effective_date,
        "recorded_at": now,
        "description": entry.description,
        "metadata": dict(entry.metadata),
        "reverses_id": entry.reverses_id,
        "posted_by": entry.posted_by,
        "kind": entry.kind,
        "content_hash": chain.content_hash(
            transaction_id=txn_id,
            idempotency_key=entry.idempotency_key,
            effective_date=entry.effective_date,
            recorded_at=now,
            description=entry.description,
            metadata=entry.metadata,
            reverses_id=entry.reverses_id,
            posted_by=entry.posted_by,
            kind=entry.kind,
            postings=[
                chain.HashedPosting(leg.account.branch, leg.account.code, leg.amount, leg.currency)
                for leg in entry.legs
            ],
        ),
    }


def _net_changes(entry: Entry, accounts: dict[AccountKey, _LockedAccount]) -> dict[int, int]:
    changes: dict[int, int] = {}
    for leg in entry.legs:
        account_id = accounts[leg.account].id
        changes[account_id] = changes.get(account_id, 0) + leg.amount
    return changes


def _check_against_ledger(entry: Entry, accounts: dict[AccountKey, _LockedAccount], closed: dict[int, date]) -> None:
    for leg in entry.legs:
        account = accounts[leg.account]
        if not account.is_open:
            raise AccountClosed(account.key.branch, account.key.code)
        if leg.currency != account.currency:
            raise currency_refused(account.key, account.currency, leg.currency)
        through = closed.get(account.branch_id)
        if through is not None and entry.effective_date <= through:
            raise PeriodClosed(account.key.branch, entry.effective_date, through)


def currency_refused(key: AccountKey, keeps: str, given: str) -> InvalidEntry:
    return InvalidEntry(f"account {key} keeps {keeps}, not {given}")


def _as_locked(row: Any) -> _LockedAccount:
    id_, branch_id, branch, code, type_, currency, may_go_negative, is_open, balance = row[:9]
    return _LockedAccount(
        id_,
        branch_id,
        AccountKey(branch, code),
        AccountType(type_),
        currency,
        bool(may_go_negative),
        bool(is_open),
        balance,
    )


def _read_sqlite(connection: Any, keys: set[AccountKey], count: int) -> Context:
    accounts: dict[AccountKey, _LockedAccount] = {}
    closed: dict[int, date] = {}
    head: tuple[int, str] | None = None
    few = len(keys) <= 500
    for chunk in chunks(sorted(keys), 500):
        wanted = set(chunk)
        statement = _SQLITE_READ if few else _ACCOUNTS_BY_CODE
        for row in connection.execute(statement, {"codes": sorted({k.code for k in chunk})}):
            account = _as_locked(row)
            if account.key not in wanted:
                continue
            accounts[account.key] = account
            if few:
                if row[9] is not None:
                    closed[account.branch_id] = _as_date(row[9])
                head = (row[10], row[11])
    require_all(connection, keys, accounts)
    if not few:
        branches = sorted({a.branch_id for a in accounts.values()})
        for branch_id, through in connection.execute(_CLOSED_THROUGH, {"branches": branches}):
            if through is not None:
                closed[branch_id] = _as_date(through)
    if head is None:
        head = tuple(connection.execute(_SQLITE_HEAD).one())
    assert head is not None
    return Context(accounts, closed, list(range(head[0] + 1, head[0] + 1 + count)), head)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def read_postgres(connection: Any, keys: set[AccountKey], count: int) -> Context:
    """Lock (``FOR UPDATE``, ascending id) every account the entries touch.

    Closed periods are checked by the sealing trigger, which runs after these locks are held.
    """
    ordered = sorted(keys)
    if len(ordered) <= 50:
        rows = connection.execute(_LOCK_BY_KEY, {"keys": [(k.branch, k.code) for k in ordered]}).all()
    else:
        # Many accounts (a monthly run): the pairs go as one parameter, so the statement is the same
        # for every batch (parsed and planned once) and each pair is found by the indexed code.
        rows = connection.execute(
            _LOCK_BY_PAIRS, {"keys": as_json_rows([{"branch": k.branch, "code": k.code} for k in ordered])}
        ).all()
    accounts = {account.key: account for account in map(_as_locked, rows)}
    require_all(connection, keys, accounts)
    return Context(accounts, {}, take_transaction_ids(connection, count), None)


def take_transaction_ids(connection: Any, count: int) -> list[int]:
    """Transaction ids for PostgreSQL, taken from the sequence a block at a time (hi/lo).

    The unused rest of a block stays with the pooled database connection (``info``), which one
    thread uses at a time; ids left unused when it closes are simply skipped.
    """
    free: list[int] = connection.info.setdefault("godmother_free_transaction_ids", [])
    if len(free) < count:
        blocks = -(-(count - len(free)) // ID_BLOCK)
        for start in connection.execute(_NEXT_BLOCKS, {"n": blocks}).scalars():
            free.extend(range(start, start + ID_BLOCK))
        free.sort(reverse=True)
    return [free.pop() for _ in range(count)]


def require_all(connection: Any, keys: set[AccountKey], found: Mapping[AccountKey, Any]) -> None:
    missing = keys - found.keys()
    if missing:
        key = min(missing)
        if connection.execute(select(Branch.id).where(col(Branch.code) == key.branch)).first() is None:
            raise BranchNotFound(key.branch)
        raise AccountNotFound(key.branch, key.code)


def _check_reversals(session: Session, entries: Sequence[Entry]) -> None:
    targets = [entry.reverses_id for entry in entries if entry.reverses_id is not None]
    if not targets:
        return
    if len(set(targets)) != len(targets):
        raise InvalidEntry("a batch reverses the same transaction twice")
    existing = set(session.scalars(select(LedgerTransaction.id).where(col(LedgerTransaction.id).in_(targets))))
    for target in targets:
        if target not in existing:
            raise TransactionNotFound(target)
    for target, reversal in session.execute(
        select(LedgerTransaction.reverses_id, LedgerTransaction.id).where(
            col(LedgerTransaction.reverses_id).in_(targets)
        )
    ):
        raise AlreadyReversed(target, reversal)


def check_disbursements(session: Session, keys: Sequence[DisbursementKey]) -> None:
    """Refuse a (child, program, month) paid twice in the batch, or already paid."""
    if not keys:
        return
    seen: set[DisbursementKey] = set()
    for key in keys:
        if key in seen:
            raise DuplicateDisbursement(key.child, key.program, key.month.first_day, None)
        seen.add(key)
    wanted = {(k.child, k.program, k.month.first_day) for k in keys}
    if is_sqlite(session):
        # By child code (the unique index's first column), then the exact (program, month) in Python:
        # a row-value IN would scan the whole table on SQLite.
        children = sorted({k.child for k in keys})
        found = [row for chunk in chunks(children, 500) for row in session.execute(_PAID, {"children": list(chunk)})]
    else:  # one statement, the same text for every batch
        exact = {
            "children": as_array([k.child for k in keys]),
            "programs": as_array([k.program for k in keys]),
            "months": as_array([k.month.first_day for k in keys]),
        }
        found = list(session.execute(_PAID_EXACT, exact))
    for row in found:
        if (row[0], row[1], row[2]) in wanted:
            raise DuplicateDisbursement(row[0], row[1], row[2], row[3])


_PAID = select(
    col(Disbursement.child_code), col(Disbursement.program), col(Disbursement.month), col(Disbursement.transaction_id)
).where(col(Disbursement.child_code).in_(bindparam("children", expanding=True)))
# One probe of the unique index for each key, however stale the statistics: a run writes the
# table it checks, so the planner may believe it empty. (As a semi-join, each chunk could hash
# every disbursement written before it; as ``= ANY`` of an array, it scanned the table comparing
# each row with every key. Both grow with the square of the run.) ``OFFSET 0`` keeps the lateral
# subquery from being flattened into a join.
_PAID_EXACT = text(
    "SELECT d.child_code, d.program, d.month, d.transaction_id"
    " FROM unnest(CAST(:children AS text[]), CAST(:programs AS text[]), CAST(:months AS date[]))"
    " AS k(child, program, month)"
    " CROSS JOIN LATERAL (SELECT child_code, program, month, transaction_id FROM disbursement"
    " WHERE child_code = k.child AND program = k.program AND month = k.month OFFSET 0) AS d"
)


def _seal(connection: Any, headers: list[dict[str, Any]], head: tuple[int, str] | None) -> list[Posted]:
    """Insert the transaction rows, which link them into the hash chain, last before commit."""
    if head is not None:  # SQLite: linked here, under the database's single write lock
        seq, prev = head
        for header in headers:
            seq += 1
            header["seq"], header["prev_hash"] = seq, prev
            header["hash"] = prev = chain.link_hash(prev, header["content_hash"])
        connection.execute(_INSERT_TRANSACTIONS, headers)
        connection.execute(_ADVANCE_CHAIN_HEAD, {"seq": seq, "hash": prev})
        return [Posted(h["id"], h["seq"], h["hash"], h["effective_date"], created=True) for h in headers]
    # PostgreSQL: the sealing trigger assigns seq, prev_hash and hash under the chain-head lock.
    for header in headers:
        header.update(seq=0, prev_hash="", hash="")
    try:
        if len(headers) >= COPY_FROM // 2:
            copy_rows(connection, TRANSACTION, headers)
            ids = as_json_rows([h["id"] for h in headers])
            linked = {row[0]: row for row in connection.execute(_LINKED, {"ids": ids})}
            rows = [linked[h["id"]] for h in headers]
        else:
            rows = connection.execute(_INSERT_TRANSACTIONS_RETURNING, headers).all()
    except DBAPIError as exc:
        closed = period_closed(exc)
        if closed is not None:
            raise closed from None
        raise
    return [
        Posted(id_, seq, hash_, h["effective_date"], created=True)
        for (id_, seq, hash_), h in zip(rows, headers, strict=True)
    ]


COPY_FROM = 1000
"""From this many postings, PostgreSQL batches are written with COPY (triggers fire all the same)."""
_LINKED = text(
    "SELECT id, seq, hash FROM ledger_transaction"
    " WHERE id IN (SELECT CAST(json_array_elements_text(CAST(:ids AS json)) AS bigint))"
)
