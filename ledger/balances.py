"""Reading the ledger: balances, an account's history, the trial balance.

The balance now is the cached one, kept in the same database transaction as the postings,
so reading it costs one row whatever the history. Balances as of a date sum the postings
up to that date through the (account, effective date) index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import BigInteger, Engine, bindparam, case, cast, func
from sqlmodel import Session, col, select

from ledger.access.actor import Actor
from ledger.accounts import AccountKey, branch_and_descendants, get_account, get_branch
from ledger.db import AsyncReads, DirectQuery
from ledger.errors import AccountNotFound, InvalidEntry
from ledger.models import Account, AccountType, Branch, LedgerTransaction, Posting, total


def balance(session: Session, key: AccountKey, *, as_of: date | None = None) -> int:
    """The account's balance in đồng, debit positive; as of the end of ``as_of`` if given."""
    account = get_account(session, key)
    if as_of is None:
        return account.balance
    return int(
        session.execute(
            select(total(Posting.amount)).where(
                col(Posting.account_id) == account.id, col(Posting.effective_date) <= as_of
            )
        ).scalar_one()
    )


def balances_as_of(session: Session, accounts: Any, day: date, *, before: bool = False) -> dict[int, int]:
    """Each account's balance (debit positive) at the end of ``day`` (or just before it, with
    ``before``), for the account ids ``accounts`` selects; accounts without postings are left out."""
    dated = col(Posting.effective_date) < day if before else col(Posting.effective_date) <= day
    return {
        account_id: int(amount)
        for account_id, amount in session.execute(
            select(Posting.account_id, total(Posting.amount))
            .where(col(Posting.account_id).in_(accounts), dated)
            .group_by(col(Posting.account_id))
        )
    }


@dataclass(frozen=True, slots=True)
class HistoryLine:
    effective_date: date
    transaction_id: int
    line: int
    description: str
    amount: int
    running_balance: int


def account_history(
    session: Session, key: AccountKey, *, start: date | None = None, end: date | None = None
) -> tuple[int, list[HistoryLine]]:
    """The opening balance at ``start`` and every posting from ``start`` to ``end`` with its running balance."""
    account = get_account(session, key)
    opening = 0
    if start is not None:
        opening = session.execute(
            select(total(Posting.amount)).where(
                col(Posting.account_id) == account.id, col(Posting.effective_date) < start
            )
        ).scalar_one()
    order = (col(Posting.effective_date), col(Posting.transaction_id), col(Posting.line))
    query = (
        sa.select(
            col(Posting.effective_date),
            col(Posting.transaction_id),
            col(Posting.line),
            col(LedgerTransaction.description),
            col(Posting.amount),
            cast(func.sum(Posting.amount).over(order_by=order), BigInteger),
        )
        .join(LedgerTransaction, col(LedgerTransaction.id) == Posting.transaction_id)
        .where(col(Posting.account_id) == account.id)
        .order_by(*order)
    )
    if start is not None:
        query = query.where(col(Posting.effective_date) >= start)
    if end is not None:
        query = query.where(col(Posting.effective_date) <= end)
    lines = [
        HistoryLine(day, txn, line, description, amount, opening + running)
        for day, txn, line, description, amount, running in session.execute(query)
    ]
    return opening, lines


@dataclass(frozen=True, slots=True)
class TrialBalanceLine:
    branch: str
    account: str
    type: AccountType
    balance: int

    @property
    def debit(self) -> int:
        return self.balance if self.balance > 0 else 0

    @property
    def credit(self) -> int:
        return -self.balance if self.balance < 0 else 0


@dataclass(frozen=True, slots=True)
class TrialBalance:
    as_of: date | None
    lines: list[TrialBalanceLine]

    @property
    def total_debit(self) -> int:
        return sum(line.debit for line in self.lines)

    @property
    def total_credit(self) -> int:
        return sum(line.credit for line in self.lines)


def trial_balance(
    session: Session, *, branch: str | None = None, as_of: date | None = None, include_descendants: bool = False
) -> TrialBalance:
    """Every account's balance, in the debit or credit column, for a branch (and those below it) or all."""
    query = sa.select(
        col(Branch.code), col(Account.code), col(Account.type), col(Account.balance), col(Account.id)
    ).join(Branch, col(Branch.id) == Account.branch_id)
    if branch is not None:
        branches = (
            branch_and_descendants(session, branch, as_of=as_of)
            if include_descendants
            else [get_branch(session, branch)]
        )
        query = query.where(col(Account.branch_id).in_([b.id for b in branches]))
    rows: list[tuple[str, str, str, int, int]] = [
        tuple(row) for row in session.execute(query.order_by(col(Branch.code), col(Account.code)))
    ]
    if as_of is not None:
        summed = session.execute(
            select(Posting.account_id, total(Posting.amount))
            .where(
                col(Posting.effective_date) <= as_of,
                col(Posting.account_id).in_(query.with_only_columns(col(Account.id))),
            )
            .group_by(col(Posting.account_id))
        )
        sums: dict[int, int] = {account_id: amount for account_id, amount in summed}
        rows = [(b, a, t, sums.get(account_id, 0), account_id) for b, a, t, _, account_id in rows]
    return TrialBalance(as_of, [TrialBalanceLine(b, a, AccountType(t), amount) for b, a, t, amount, _ in rows])


PER_CHILD = ("liabilities:fund:child:", "liabilities:payable:guardian:")
"""The accounts every child has: folded, per branch, into one line each (``liabilities:fund:child:*``)."""


def trial_balance_by_kind(
    session: Session, *, branch: str | None = None, as_of: date | None = None, include_descendants: bool = False
) -> TrialBalance:
    """``trial_balance`` with each branch's children's funds and guardians' payables on one line each:
    the nation's in tens of thousands of lines rather than millions, summed by the database. As of a
    day, from the cached balances back (what moved after it), so the cost follows the months since,
    not the ledger's age."""
    kind = case(
        *[(col(Account.code).startswith(prefix), sa.literal(prefix + "*")) for prefix in PER_CHILD],
        else_=col(Account.code),
    ).label("kind")
    keys: tuple[Any, ...] = (col(Account.branch_id).label("branch"), kind, col(Account.type).label("type"))
    ids = None
    if branch is not None:
        chosen = (
            branch_and_descendants(session, branch, as_of=as_of)
            if include_descendants
            else [get_branch(session, branch)]
        )
        ids = [b.id for b in chosen]

    def summed(amount: Any, *where: Any, postings: bool = False) -> dict[tuple[int, str, str], int]:
        query = sa.select(*keys, total(amount))
        if postings:
            query = query.select_from(Posting).join(Account, col(Account.id) == Posting.account_id)
        if ids is not None:
            query = query.where(col(Account.branch_id).in_(ids))
        rows = session.execute(query.where(*where).group_by("branch", "kind", "type"))
        return {(b, k, t): int(v or 0) for b, k, t, v in rows}

    now = summed(Account.balance)
    later = summed(Posting.amount, col(Posting.effective_date) > as_of, postings=True) if as_of is not None else {}
    codes: dict[int, str] = {i: code for i, code in session.execute(sa.select(col(Branch.id), col(Branch.code)))}
    lines = [
        TrialBalanceLine(codes[b], k, AccountType(t), amount - later.get((b, k, t), 0))
        for (b, k, t), amount in now.items()
    ]
    lines.sort(key=lambda line: (line.branch, line.account))
    return TrialBalance(as_of, lines)


# --- an account in the reader's sight, by code ------------------------------------------------


class FoundAccount(NamedTuple):
    branch_id: int
    branch: str
    id: int
    type: str
    balance: int


# Reading a balance is the API's most frequent request: its lookup runs on the driver directly.
_WITH_CODE = (
    sa.select(col(Branch.id), col(Branch.code), col(Account.id), col(Account.type), col(Account.balance))
    .join(Branch, col(Branch.id) == Account.branch_id)
    .where(col(Account.code) == bindparam("code"))
)
_ACCOUNTS_WITH_CODE = DirectQuery(_WITH_CODE)
_ACCOUNT_OF_BRANCH = DirectQuery(_WITH_CODE.where(col(Branch.code) == bindparam("branch")))


def account_in_sight(engine: Engine, scope: Actor, code: str, branch_code: str | None) -> FoundAccount:
    """The account ``code`` of ``branch_code``, or the only one with that code in the scope."""
    query, params = _lookup(code, branch_code)
    return _the_one_in_sight(query.rows(engine, **params), scope, code, branch_code)


async def account_in_sight_async(reads: AsyncReads, scope: Actor, code: str, branch_code: str | None) -> FoundAccount:
    """``account_in_sight``, read without holding up the event loop (``AsyncReads``)."""
    query, params = _lookup(code, branch_code)
    return _the_one_in_sight(await reads.rows(query, **params), scope, code, branch_code)


def _lookup(code: str, branch_code: str | None) -> tuple[DirectQuery, dict[str, str]]:
    if any(ord(c) < 32 for c in code + (branch_code or "")):
        raise InvalidEntry("an account or branch code has no control characters")
    if branch_code is None:
        return _ACCOUNTS_WITH_CODE, {"code": code}
    return _ACCOUNT_OF_BRANCH, {"code": code, "branch": branch_code}


def _the_one_in_sight(found: list[tuple[Any, ...]], scope: Actor, code: str, branch_code: str | None) -> FoundAccount:
    rows = [FoundAccount(*row) for row in found if scope.sees_branch(row[0])]
    if not rows:
        raise AccountNotFound(branch_code or "(any branch in your scope)", code)
    if len(rows) > 1:
        raise InvalidEntry(
            f"account {code!r} exists in {len(rows)} branches ({', '.join(r.branch for r in rows[:5])}): "
            "say which with ?branch=CODE"
        )
    return rows[0]
