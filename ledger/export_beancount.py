"""Writing the ledger as a beancount file, for auditors and as an independent cross-check.

``bean-check`` re-adds every transaction and checks each account against a ``balance``
assertion carrying our cached balance, so a file that passes proves our arithmetic with
someone else's code. Accounts become ``Root:Branch:Rest`` with beancount's capitalisation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import TextIO

from sqlalchemy import func
from sqlmodel import Session, col, select

from ledger.models import ROOT_OF_TYPE, Account, AccountType, Branch, LedgerTransaction, Posting

_INVALID = re.compile(r"[^A-Za-z0-9-]")


def beancount_component(text: str) -> str:
    cleaned = _INVALID.sub("-", text)
    return cleaned[0].upper() + cleaned[1:] if cleaned[0].isalpha() else "X" + cleaned


def beancount_account(branch: str, code: str, type_: AccountType) -> str:
    root, *rest = code.split(":")
    return ":".join([ROOT_OF_TYPE[type_].capitalize(), beancount_component(branch), *map(beancount_component, rest)])


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def export_beancount(session: Session, out: TextIO) -> int:
    """Write the whole ledger to ``out``; returns the number of transactions written."""
    names: dict[int, str] = {}
    out.write('option "operating_currency" "VND"\n\n')
    first_use = dict(
        session.execute(
            select(Posting.account_id, func.min(Posting.effective_date)).group_by(col(Posting.account_id))
        ).all()
    )
    last_day = session.execute(select(func.max(LedgerTransaction.effective_date))).scalar_one() or date.today()
    accounts = session.execute(
        select(Account, Branch.code)
        .join(Branch, col(Branch.id) == Account.branch_id)
        .order_by(col(Branch.code), col(Account.code))
    ).all()
    for account, branch in accounts:
        names[account.id] = name = beancount_account(branch, account.code, AccountType(account.type))
        opened = min(account.opened_on, first_use.get(account.id, account.opened_on))
        out.write(f"{opened.isoformat()} open {name} VND\n")
    out.write("\n")
    written = 0
    for txn, postings in _transactions_by_date(session):
        out.write(f"{txn.effective_date.isoformat()} * {_quote(txn.description)}\n")
        out.write(f"  txn-id: {txn.id}\n  seq: {txn.seq}\n  hash: {_quote(txn.hash)}\n")
        if txn.reverses_id is not None:
            out.write(f"  reverses: {txn.reverses_id}\n")
        for account_id, amount in postings:
            out.write(f"  {names[account_id]}  {amount} VND\n")
        out.write("\n")
        written += 1
    check_day = last_day + timedelta(days=1)
    for account, _ in accounts:
        out.write(f"{check_day.isoformat()} balance {names[account.id]}  {account.balance} VND\n")
    return written


def _transactions_by_date(session: Session) -> Iterator[tuple[LedgerTransaction, list[tuple[int, int]]]]:
    query = select(LedgerTransaction).order_by(col(LedgerTransaction.effective_date), col(LedgerTransaction.seq))
    batch: list[LedgerTransaction] = []
    for txn in session.scalars(query.execution_options(yield_per=2000)):
        batch.append(txn)
        if len(batch) == 2000:
            yield from _with_postings(session, batch)
            batch = []
    yield from _with_postings(session, batch)


def _with_postings(
    session: Session, batch: list[LedgerTransaction]
) -> Iterator[tuple[LedgerTransaction, list[tuple[int, int]]]]:
    if not batch:
        return
    postings: dict[int, list[tuple[int, int]]] = {txn.id: [] for txn in batch}
    for txn_id, account_id, amount in session.execute(
        select(Posting.transaction_id, Posting.account_id, Posting.amount)
        .where(col(Posting.transaction_id).in_(list(postings)))
        .order_by(col(Posting.transaction_id), col(Posting.line))
    ):
        postings[txn_id].append((account_id, amount))
    for txn in batch:
        yield txn, postings[txn.id]
