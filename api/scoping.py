"""Finding things by their codes, within the signed-in user's scope.

Anything outside the scope raises the same ``NotFound`` as something that does not exist,
so the answer never tells an outsider what is there.
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import NamedTuple

from sqlalchemy import Engine, bindparam, select
from sqlmodel import Session

from ledger.access.scope import Scope
from ledger.db import DirectQuery
from ledger.errors import AccountNotFound, BranchNotFound, InvalidEntry, NotFound
from ledger.models import Account, Branch
from ledger.register import importing
from ledger.register.models import BankAccount, Child, Pledge, Sponsor
from ledger.register.queries import ChildNotFound
from ledger.register.spreadsheets import read_rows


def branch(db: Session, scope: Scope, code: str) -> Branch:
    found = db.scalar(select(Branch).where(Branch.code == code))
    if found is None or not scope.sees_branch(found.id):
        raise BranchNotFound(code)
    return found


def writable_branch(db: Session, scope: Scope, code: str) -> Branch:
    found = branch(db, scope, code)
    scope.require_writer()
    return found


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


def account(engine: Engine, scope: Scope, code: str, branch_code: str | None) -> FoundAccount:
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


def sponsor(db: Session, scope: Scope, code: str) -> Sponsor:
    found = db.scalar(select(Sponsor).where(Sponsor.code == code))
    if found is None or not (scope.sees_branch(found.branch_id) or found.id == scope.sponsor_id):
        raise NotFound(f"sponsor {code!r} is not in the register")
    return found


def sponsors_child(db: Session, scope: Scope, child: Child) -> bool:
    """Whether the signed-in sponsor has (or had) a pledge to ``child``."""
    if scope.sponsor_id is None:
        return False
    return (
        db.scalar(select(Pledge.id).where(Pledge.child_id == child.id, Pledge.sponsor_id == scope.sponsor_id).limit(1))
        is not None
    )


def child(db: Session, scope: Scope, code: str) -> Child:
    """A child the user may see: in the branch scope, or sponsored by the signed-in sponsor."""
    found = db.scalar(select(Child).where(Child.code == code))
    if found is None or not (scope.sees_branch(found.branch_id) or sponsors_child(db, scope, found)):
        raise ChildNotFound(code)
    return found


def writable_child(db: Session, scope: Scope, code: str) -> Child:
    """A child whose records the user may change (treasurers of its branch, administrators)."""
    found = child(db, scope, code)
    scope.require_writer()
    if not scope.may_write(found.branch_id):
        raise ChildNotFound(code)
    return found


def bank_account(db: Session, scope: Scope, code: str) -> BankAccount:
    found = db.scalar(select(BankAccount).where(BankAccount.code == code))
    if found is None or not scope.sees_branch(found.branch_id):
        raise NotFound(f"bank account {code!r} does not exist")
    return found


def writable_bank_account(db: Session, scope: Scope, code: str) -> BankAccount:
    found = bank_account(db, scope, code)
    scope.require_writer()
    return found


def pledge(db: Session, scope: Scope, code: str) -> Pledge:
    found = db.scalar(select(Pledge).where(Pledge.code == code))
    if found is not None:
        owner = db.get(Sponsor, found.sponsor_id)
        child_row = db.get(Child, found.child_id)
        visible = found.sponsor_id == scope.sponsor_id or (
            owner is not None
            and child_row is not None
            and (scope.sees_branch(owner.branch_id) or scope.sees_branch(child_row.branch_id))
        )
        if visible:
            return found
    raise NotFound(f"pledge {code!r} does not exist")


def rows_outside_scope(db: Session, scope: Scope, kind: str, path: FilePath) -> list[importing.RowError]:
    """Rows that name a branch, sponsor, child or bank account the user may not change.

    Codes the database does not know are left to the importer, which reports them itself;
    codes defined by this very file (a new branch, sponsor or child) count as in scope when
    the branch they belong to is.
    """
    if scope.is_admin:
        return []
    columns = {c.name: c.aliases for c in importing.COLUMNS[kind]}
    _, rows = read_rows(path, columns)
    branches = {b.code: b.id for b in db.scalars(select(Branch))}
    owners = {
        "sponsor": dict(db.execute(select(Sponsor.code, Sponsor.branch_id)).all()),
        "child": dict(db.execute(select(Child.code, Child.branch_id)).all()),
        "bank_account": dict(db.execute(select(BankAccount.code, BankAccount.branch_id)).all()),
    }
    new_branches = {r.cells.get("code", "") for r in rows} if kind == "branches" else set()
    errors = []
    for row in rows:
        for column in ("branch", "parent", "sponsor", "child", "bank_account"):
            value = row.cells.get(column, "").strip()
            if not value or value in new_branches:
                continue
            owner = branches.get(value) if column in ("branch", "parent") else owners[column].get(value)
            if owner is not None and not scope.may_write(owner):
                errors.append(
                    importing.RowError(
                        row.number,
                        column,
                        f"{value!r} is outside the branches you may change",
                        f"{value!r} không thuộc các chi hội bạn được quản lý",
                    )
                )
    return errors
