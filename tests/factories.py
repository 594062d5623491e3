"""Plain factory functions for a branch with the accounts of docs/accounting.md."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session

from ledger.access.actor import Actor
from ledger.accounts import AccountKey, create_branch, open_account
from ledger.balances import balance
from ledger.db import run_in_transaction
from ledger.posting import Entry, Leg, Posted, post

OPENED = date(2025, 1, 1)
BANK = "assets:bank:vcb-0011001932418"
CASH = "assets:cash"
SUSPENSE = "liabilities:suspense"
FEES = "expenses:bank-fees"
OPENING = "equity:opening-balances"


def fund(child: str) -> str:
    return f"liabilities:fund:child:{child}"


def payable(child: str) -> str:
    return f"liabilities:payable:guardian:{child}"


def commune(
    engine: Engine,
    code: str = "an-lao",
    *,
    children: tuple[str, ...] = ("C-000123",),
    parent: str | None = None,
    name: str = "Hội LHPN xã An Lão",
) -> str:
    """A commune branch with a bank account, cash, suspense, fees, and a fund and payable per child."""

    def work(session: Session) -> None:
        create_branch(
            session,
            code=code,
            name=name,
            level="commune" if parent else "province",
            parent=parent,
            province="hai-phong",
        )
        for account in (BANK, CASH, FEES, OPENING):
            open_account(session, branch=code, code=account, opened_on=OPENED)
        open_account(session, branch=code, code=SUSPENSE, opened_on=OPENED, may_go_negative=True)
        for child in children:
            open_account(session, branch=code, code=fund(child), opened_on=OPENED)
            open_account(session, branch=code, code=payable(child), opened_on=OPENED)

    run_in_transaction(engine, work)
    return code


def transfer(
    engine: Engine,
    branch: str,
    debit: str,
    credit: str,
    amount: int,
    *,
    on: date = date(2025, 5, 2),
    description: str = "chuyển khoản",
    key: str | None = None,
    by: str = "thu-quy",
) -> Posted:
    entry = Entry(
        effective_date=on,
        description=description,
        legs=(Leg(AccountKey(branch, debit), amount), Leg(AccountKey(branch, credit), -amount)),
        posted_by=by,
        idempotency_key=key,
    )
    return run_in_transaction(engine, lambda s: post(s, entry))


def balance_of(engine: Engine, branch: str, account: str, as_of: date | None = None) -> int:
    with Session(engine) as session:
        return balance(session, AccountKey(branch, account), as_of=as_of)


def admin(name: str = "test") -> Actor:
    """Someone at the server (the CLI, a test's set-up): an administrator of every branch."""
    return Actor.local_administrator(name, door="cli")
