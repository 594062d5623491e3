"""Finding things by their codes for the signed-in user: the rights are ``ledger.access.rights``.

The API's hot path (an account's balance) has its own lookup that runs on the driver directly.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Engine, bindparam, select

from ledger.access.actor import Actor
from ledger.access.rights import (  # noqa: F401  (the doors' one import for lookups)
    bank_account,
    branch,
    child,
    pledge,
    sponsor,
    writable_bank_account,
    writable_branch,
    writable_child,
    writable_pledge,
    writable_sponsor,
)
from ledger.db import DirectQuery
from ledger.errors import AccountNotFound, InvalidEntry
from ledger.models import Account, Branch


class FoundAccount(NamedTuple):
    branch_id: int
    branch: str
    id: int
    type: str
    balance: int


# Reading a balance is the API's most frequent request: its lookup runs on the driver directly.
_WITH_CODE = (
    select(Branch.id, Branch.code, Account.id, Account.type, Account.balance)
    .join(Branch, Branch.id == Account.branch_id)
    .where(Account.code == bindparam("code"))
)
_ACCOUNTS_WITH_CODE = DirectQuery(_WITH_CODE)
_ACCOUNT_OF_BRANCH = DirectQuery(_WITH_CODE.where(Branch.code == bindparam("branch")))


def account(engine: Engine, scope: Actor, code: str, branch_code: str | None) -> FoundAccount:
    """The account ``code`` of ``branch_code``, or the only one with that code in the scope."""
    if branch_code is None:
        found = _ACCOUNTS_WITH_CODE.rows(engine, code=code)
    else:
        found = _ACCOUNT_OF_BRANCH.rows(engine, code=code, branch=branch_code)
    rows = [FoundAccount(*row) for row in found if scope.sees_branch(row[0])]
    if not rows:
        raise AccountNotFound(branch_code or "(any branch in your scope)", code)
    if len(rows) > 1:
        raise InvalidEntry(
            f"account {code!r} exists in {len(rows)} branches ({', '.join(r.branch for r in rows[:5])}): "
            "say which with ?branch=CODE"
        )
    return rows[0]
