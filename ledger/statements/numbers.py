"""The account numbers of the accounting regime a branch keeps, shown beside our codes (docs/books.md).

Our codes stay the key (``assets:cash``, ``liabilities:fund:child:C-000123``); the number is how the
branch's accountant files the account: 111 cash and 112 bank deposits for every branch alike, the
rest her choice (a child's fund under 3388, say). A branch sets a number for one of our codes or
for a prefix of them ending in ':' (``liabilities:fund:child:``); the longest prefix that fits an
account gives its number. A branch without a number of its own for a prefix follows the nearest
branch above that has one, else the default. Setting again adds a row, so who changed what and
when is never lost; an empty number hands the prefix back to the branch above.

A book keeps the numbers it was issued with (``AccountNumbers.to_json`` rides in its body), so a
statement issued before the accountant renumbered still verifies against the ledger.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from ledger.access import audit
from ledger.access.actor import Actor
from ledger.accounts import get_branch
from ledger.errors import BranchNotFound, InvalidEntry
from ledger.models import AccountNumber, Branch

DEFAULTS: Mapping[str, str] = {"assets:cash": "111", "assets:bank:": "112"}
KNOWN = (  # the shapes of our codes, offered when a number is set
    "assets:cash",
    "assets:bank:",
    "liabilities:fund:child:",
    "liabilities:fund:program:",
    "liabilities:payable:guardian:",
    "liabilities:suspense",
    "income:donations:general",
    "expenses:bank-fees",
    "equity:opening-balances",
)
ROOTS = ("assets", "liabilities", "equity", "income", "expenses")
NUMBER = re.compile(r"^[0-9]{3,4}([.\-][0-9A-Za-z]{1,8})*$")
PREFIX = re.compile(r"^[a-z]+(:[a-z0-9][a-z0-9\-]*)*:?$")


class AccountPrefixInvalid(InvalidEntry):
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        super().__init__(
            f"an account prefix is one of our codes or its beginning ending in ':' "
            f"(e.g. liabilities:fund:child:), under {', '.join(ROOTS)}; not {prefix!r}"
        )


class AccountNumberInvalid(InvalidEntry):
    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(f"an account number is three or four digits, with sub-accounts after a dot: not {number!r}")


@dataclass(frozen=True, slots=True)
class AccountNumbers:
    """Numbers by our code or prefix; ``number_of`` finds an account's."""

    by_prefix: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULTS))

    def number_of(self, code: str) -> str:
        best = ""
        for prefix in self.by_prefix:
            if (code == prefix or (prefix.endswith(":") and code.startswith(prefix))) and len(prefix) > len(best):
                best = prefix
        return self.by_prefix.get(best, "") if best else ""

    def to_json(self) -> dict[str, str]:
        return dict(sorted(self.by_prefix.items()))

    @classmethod
    def from_json(cls, value: Mapping[str, str] | None) -> AccountNumbers | None:
        return None if value is None else cls(dict(value))


def numbers_for(session: Session, branch_id: int) -> AccountNumbers:
    """The numbers in force for a branch: the defaults, overlaid by each branch from the top down to it."""
    return AccountNumbers({prefix: number for prefix, (number, _) in _in_force(session, branch_id).items()})


def _in_force(session: Session, branch_id: int) -> dict[str, tuple[str, int | None]]:
    """Prefix → (number, the branch whose row gives it; None for a default)."""
    chain: list[int] = []
    current: int | None = branch_id
    while current is not None and current not in chain:
        chain.append(current)
        current = session.scalar(select(Branch.parent_id).where(col(Branch.id) == current))
    latest: dict[tuple[int, str], str] = {}  # the newest row per branch and prefix
    for owner, prefix, number in session.execute(
        select(AccountNumber.branch_id, AccountNumber.prefix, AccountNumber.number)
        .where(col(AccountNumber.branch_id).in_(chain))
        .order_by(col(AccountNumber.id))
    ):
        latest[(owner, prefix)] = number
    found: dict[str, tuple[str, int | None]] = {prefix: (number, None) for prefix, number in DEFAULTS.items()}
    for b in reversed(chain):  # from the top, so the branch's own comes last and wins
        for (owner, prefix), number in latest.items():
            if owner == b and number:
                found[prefix] = (number, owner)
    return found


def set_account_number(
    session: Session, *, branch: str, prefix: str, number: str, actor: Actor, now: datetime | None = None
) -> AccountNumber:
    """File ``prefix`` under ``number`` for ``branch`` and the branches below it without their own."""
    prefix, number = prefix.strip(), number.strip()
    if not PREFIX.match(prefix) or prefix.split(":")[0] not in ROOTS:
        raise AccountPrefixInvalid(prefix)
    if number and not NUMBER.match(number):
        raise AccountNumberInvalid(number)
    owner = get_branch(session, branch)
    if not actor.sees_branch(owner.id):
        raise BranchNotFound(branch)
    actor.require_writer()
    row = AccountNumber(
        branch_id=owner.id, prefix=prefix, number=number, set_at=now or datetime.now(UTC), set_by=actor.user
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor=actor, action="branch.account-number", subject=f"branch:{branch}", branch_id=owner.id,
        detail={prefix: number}, now=now,
    )  # fmt: skip
    return row


@dataclass(frozen=True, slots=True)
class NumberInForce:
    prefix: str
    number: str
    source: str  # the branch whose row gives it, or "" for the default


def numbers_in_force(session: Session, branch: str, actor: Actor) -> list[NumberInForce]:
    """What the page of a branch's account numbers shows: every known shape and every prefix set, with its
    number (blank: none) and where it comes from."""
    owner = get_branch(session, branch)
    if not actor.sees_branch(owner.id):
        raise BranchNotFound(branch)
    actor.require_staff()
    codes = dict(session.execute(select(Branch.id, Branch.code)).all())
    found = {
        prefix: NumberInForce(prefix, number, codes[source] if source is not None else "")
        for prefix, (number, source) in _in_force(session, owner.id).items()
    }
    for prefix in KNOWN:
        found.setdefault(prefix, NumberInForce(prefix, "", ""))
    return sorted(found.values(), key=lambda n: (n.number or "~", n.prefix))


def number_history(session: Session, branch_id: int) -> list[AccountNumber]:
    """Every number the branch itself set, newest first."""
    return list(
        session.scalars(
            select(AccountNumber)
            .where(col(AccountNumber.branch_id) == branch_id)
            .order_by(col(AccountNumber.id).desc())
        )
    )
