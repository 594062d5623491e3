"""Branches and their accounts: the chart every posting refers to."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from ledger.errors import AccountNotFound, BranchNotFound, InvalidEntry, LedgerError
from ledger.models import TYPE_OF_ROOT, Account, AccountType, Branch, BranchLevel
from ledger.register.models import BranchParent

ACCOUNT_CODE = re.compile(r"^(assets|liabilities|equity|income|expenses)(:[A-Za-z0-9][A-Za-z0-9._-]*)+$")
EARLIEST = date(1900, 1, 1)
BRANCH_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True, slots=True, order=True)
class AccountKey:
    """An account as people name it: the branch's code and the account's code."""

    branch: str
    code: str

    def __str__(self) -> str:
        return f"{self.branch}/{self.code}"


def create_branch(
    session: Session,
    *,
    code: str,
    name: str,
    level: BranchLevel | str,
    parent: str | None = None,
    province: str | None = None,
) -> Branch:
    """Register a branch under ``parent`` (a branch code; none for a province)."""
    if not BRANCH_CODE.match(code):
        raise InvalidEntry(f"branch code {code!r} must be letters, digits, '.', '_' or '-' (at most 64)")
    level = BranchLevel(level)
    parent_branch = get_branch(session, parent) if parent else None
    if session.scalar(select(Branch.id).where(col(Branch.code) == code)) is not None:
        raise InvalidEntry(f"branch {code!r} already exists")
    branch = Branch(
        code=code,
        name=name,
        level=level.value,
        province=province or (parent_branch.province if parent_branch else None),
        parent_id=parent_branch.id if parent_branch else None,
    )
    session.add(branch)
    session.flush()
    session.add(BranchParent(branch_id=branch.id, parent_id=branch.parent_id, valid_from=EARLIEST))
    session.flush()
    return branch


def reparent_branch(session: Session, *, code: str, parent: str | None, valid_from: date) -> Branch:
    """Put a branch under ``parent`` from ``valid_from`` on (e.g. a 2025 province merger).

    The past keeps its parents."""
    branch = get_branch(session, code)
    new_parent = get_branch(session, parent) if parent else None
    if new_parent is not None and any(b.id == new_parent.id for b in branch_and_descendants(session, code)):
        raise InvalidEntry(f"branch {parent!r} is below {code!r}: it cannot become its parent")
    history = session.scalars(
        select(BranchParent).where(col(BranchParent.branch_id) == branch.id, col(BranchParent.valid_from) >= valid_from)
    ).first()
    if history is not None:
        raise InvalidEntry(f"branch {code!r} already has a parent recorded from {history.valid_from.isoformat()}")
    session.add(
        BranchParent(branch_id=branch.id, parent_id=new_parent.id if new_parent else None, valid_from=valid_from)
    )
    branch.parent_id = new_parent.id if new_parent else None
    session.add(branch)
    session.flush()
    return branch


def get_branch(session: Session, code: str) -> Branch:
    branch = session.scalar(select(Branch).where(col(Branch.code) == code))
    if branch is None:
        raise BranchNotFound(code)
    return branch


def branch_and_descendants(session: Session, code: str, *, as_of: date | None = None) -> list[Branch]:
    """The branch and every branch below it (on ``as_of``, by the parent history; now by default)."""
    root = get_branch(session, code)
    if as_of is None:
        # The subtree only (a commune's is a handful of rows; the nation has some ten thousand).
        below = select(Branch.id).where(col(Branch.id) == root.id).cte("below", recursive=True)
        below = below.union(select(Branch.id).where(col(Branch.parent_id) == below.c.id))
        branches = {b.id: b for b in session.scalars(select(Branch).where(col(Branch.id).in_(select(below.c.id))))}
        parents = {b.id: b.parent_id for b in branches.values()}
    else:
        branches = {b.id: b for b in session.scalars(select(Branch))}
        parents = {}
        for link in session.scalars(
            select(BranchParent).where(col(BranchParent.valid_from) <= as_of).order_by(col(BranchParent.valid_from))
        ):
            parents[link.branch_id] = link.parent_id  # the latest link on or before as_of wins
    children: dict[int | None, list[Branch]] = {}
    for branch_id, parent_id in parents.items():
        children.setdefault(parent_id, []).append(branches[branch_id])
    ordered, stack = [], [root]
    while stack:
        branch = stack.pop()
        ordered.append(branch)
        stack.extend(sorted(children.get(branch.id, []), key=lambda b: b.code, reverse=True))
    return ordered


def default_may_go_negative(type_: AccountType) -> bool:
    """Assets and liabilities (funds) may not go negative unless said otherwise; the rest may."""
    return type_ not in (AccountType.asset, AccountType.liability)


def open_account(
    session: Session,
    *,
    branch: str,
    code: str,
    opened_on: date,
    name: str = "",
    may_go_negative: bool | None = None,
) -> Account:
    """Open ``code`` in ``branch``; its type follows from the code's root (``assets:…`` …)."""
    return open_accounts(session, branch=branch, accounts=[(code, name)], opened_on=opened_on,
                         may_go_negative=may_go_negative)[0]  # fmt: skip


def open_accounts(
    session: Session,
    *,
    branch: str,
    accounts: Sequence[tuple[str, str]],
    opened_on: date,
    may_go_negative: bool | None = None,
) -> list[Account]:
    """Open each (code, name) of ``accounts`` in ``branch``, all or none (a child's fund and payable)."""
    for code, _ in accounts:
        if not ACCOUNT_CODE.match(code):
            raise InvalidEntry(
                f"account code {code!r} must start with assets, liabilities, equity, income or expenses "
                "and continue with ':'-separated parts of letters, digits, '.', '_' or '-'"
            )
    owner = get_branch(session, branch)
    codes = [code for code, _ in accounts]
    taken = session.scalar(
        select(Account.code).where(col(Account.branch_id) == owner.id, col(Account.code).in_(codes)).limit(1)
    )
    if taken is not None:
        raise InvalidEntry(f"account {taken!r} already exists in branch {branch!r}")
    opened = []
    for code, name in accounts:
        type_ = TYPE_OF_ROOT[code.split(":", 1)[0]]
        opened.append(
            Account(
                branch_id=owner.id,
                code=code,
                name=name,
                type=type_.value,
                may_go_negative=default_may_go_negative(type_) if may_go_negative is None else may_go_negative,
                opened_on=opened_on,
            )
        )
    session.add_all(opened)
    session.flush()
    return opened


def get_account(session: Session, key: AccountKey) -> Account:
    account = session.scalar(
        select(Account).join(Branch).where(col(Branch.code) == key.branch, col(Account.code) == key.code)
    )
    if account is None:
        if session.scalar(select(Branch.id).where(col(Branch.code) == key.branch)) is None:
            raise BranchNotFound(key.branch)
        raise AccountNotFound(key.branch, key.code)
    return account


def close_account(session: Session, key: AccountKey) -> Account:
    """Close an account that holds nothing; postings to it are refused from then on."""
    account = get_account(session, key)
    if account.balance != 0:
        raise LedgerError(
            f"account {key.code!r} of branch {key.branch!r} still holds {account.balance:,} ₫: "
            "move the balance before closing it"
        )
    account.is_open = False
    session.add(account)
    session.flush()
    return account
