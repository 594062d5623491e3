"""Which rows of an import name something the actor may not change.

Every row is checked before anything is written: the object the row is about (a branch,
bank account, sponsor, child or pledge that already exists) and everything it names (its
branch, parent, sponsor, child, bank account, pledge) must lie in a branch the actor may
change. Codes the database does not know are left to the importer, which reports them
itself; a branch created by this very file counts as the actor's when its parent is (its own
row checks that parent).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, select

from ledger.access.actor import Actor
from ledger.models import Branch
from ledger.register.models import BankAccount, Child, Pledge, Sponsor
from ledger.register.spreadsheets import Row

# The column naming the row's own object, by import kind, and the table that object lives in.
_OWN_CODE = {
    "branches": "branch",
    "bank-accounts": "bank_account",
    "sponsors": "sponsor",
    "children": "child",
    "pledges": "pledge",
}
_REFERENCES = ("branch", "parent", "sponsor", "child", "bank_account", "pledge")


def rows_outside(session: Session, actor: Actor, kind: str, rows: Sequence[Row]) -> list[tuple[int, str, str]]:
    """(row, column, code) for every code a row names that the actor may not change."""
    if actor.is_admin:
        return []
    owners = _owners(session)
    new_branches = {r.cells.get("code", "") for r in rows} if kind == "branches" else set()
    refused: list[tuple[int, str, str]] = []
    for row in rows:
        own = _OWN_CODE.get(kind)
        code = row.cells.get("code", "").strip()
        if own is not None and code and not _may_change(actor, owners[own].get(code)):
            refused.append((row.number, "code", code))
        if kind == "branches" and code not in owners["branch"] and not row.cells.get("parent", "").strip():
            refused.append((row.number, "parent", ""))  # a new province is an administrator's
        for column in _REFERENCES:
            value = row.cells.get(column, "").strip()
            if not value or (column in ("branch", "parent") and value in new_branches):
                continue
            table = "branch" if column in ("branch", "parent") else column
            if not _may_change(actor, owners[table].get(value)):
                refused.append((row.number, column, value))
    return refused


def _may_change(actor: Actor, owned_by: frozenset[int] | None) -> bool:
    """Unknown codes (None) are the importer's to report; known ones need one writable branch."""
    return owned_by is None or any(actor.may_write(b) for b in owned_by)


def _owners(session: Session) -> dict[str, dict[str, frozenset[int]]]:
    """The branch each code belongs to (a pledge: its child's, whose fund it fills)."""
    children = dict(session.execute(select(Child.id, Child.branch_id)).all())
    return {
        "branch": {c: frozenset({i}) for c, i in session.execute(select(Branch.code, Branch.id))},
        "bank_account": {
            c: frozenset({b}) for c, b in session.execute(select(BankAccount.code, BankAccount.branch_id))
        },
        "sponsor": {c: frozenset({b}) for c, b in session.execute(select(Sponsor.code, Sponsor.branch_id))},
        "child": {c: frozenset({b}) for c, b in session.execute(select(Child.code, Child.branch_id))},
        "pledge": {c: frozenset({children[k]}) for c, k in session.execute(select(Pledge.code, Pledge.child_id))},
    }
