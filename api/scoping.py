"""Finding things by their codes, within the signed-in user's scope.

Anything outside the scope raises the same ``NotFound`` as something that does not exist,
so the answer never tells an outsider what is there.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from ledger.access.scope import Scope
from ledger.errors import AccountNotFound, BranchNotFound, InvalidEntry, NotFound
from ledger.models import Account, Branch
from ledger.register.models import BankAccount, Child, Pledge, Sponsor
from ledger.register.queries import ChildNotFound


def branch(db: Session, scope: Scope, code: str) -> Branch:
    found = db.scalar(select(Branch).where(Branch.code == code))
    if found is None or not scope.sees_branch(found.id):
        raise BranchNotFound(code)
    return found


def writable_branch(db: Session, scope: Scope, code: str) -> Branch:
    found = branch(db, scope, code)
    scope.require_writer()
    return found


def account(db: Session, scope: Scope, code: str, branch_code: str | None) -> tuple[Branch, Account]:
    """The account ``code`` of ``branch_code``, or the only one with that code in the scope."""
    query = select(Branch, Account).join(Branch, Branch.id == Account.branch_id).where(Account.code == code)
    if branch_code is not None:
        query = query.where(Branch.code == branch_code)
    rows = [(row[0], row[1]) for row in db.execute(query) if scope.sees_branch(row[0].id)]
    if not rows:
        raise AccountNotFound(branch_code or "(any branch in your scope)", code)
    if len(rows) > 1:
        raise InvalidEntry(
            f"account {code!r} exists in {len(rows)} branches ({', '.join(b.code for b, _ in rows[:5])}): "
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


def writable_bank_account(db: Session, scope: Scope, code: str) -> BankAccount:
    found = db.scalar(select(BankAccount).where(BankAccount.code == code))
    if found is None or not scope.may_write(found.branch_id):
        raise NotFound(f"bank account {code!r} does not exist")
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
