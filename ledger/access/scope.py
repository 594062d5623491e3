"""What a signed-in user may see and change: a role over a branch subtree, or one sponsor.

- administrator: every branch, reads and writes, and users;
- treasurer: reads and writes in their branch (and the branches below it, if given);
- auditor: reads only, over their branch and every branch below it;
- sponsor: only their own sponsor record, pledges, payments and statements, and of their
  children only what ``docs/roles-and-privacy.md`` allows (first name, age, commune, what was disbursed).

Out of scope is reported exactly as "does not exist", so a scope never reveals what lies
outside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Connection, bindparam
from sqlmodel import Session, col, select

from ledger.access.actor import ADMIN, AUDITOR, SPONSOR, TREASURER, Actor, Forbidden, NotSignedIn
from ledger.access.models import AccessToken, User
from ledger.access.users import digest
from ledger.accounts import branch_and_descendants
from ledger.errors import NotFound
from ledger.models import Branch

__all__ = ["ADMIN", "AUDITOR", "SPONSOR", "TREASURER", "Actor", "Forbidden", "NotSignedIn", "SignedIn", "scope_of"]


@dataclass(frozen=True, slots=True)
class SignedIn:
    user_id: int
    name: str
    role: str
    branch_id: int | None
    include_below: bool
    sponsor_id: int | None


# Built once: every request asks it, and building a statement costs more than running it.
_HOLDER_OF_TOKEN = (
    sa.select(
        col(User.id),
        col(User.name),
        col(User.role),
        col(User.branch_id),
        col(User.include_below),
        col(User.sponsor_id),
        col(AccessToken.expires_at),
    )
    .join(AccessToken, col(AccessToken.user_id) == User.id)
    .where(
        col(AccessToken.digest) == bindparam("digest"),
        col(AccessToken.revoked_at).is_(None),
        col(AccessToken.expires_at) > bindparam("now"),
        col(User.disabled_at).is_(None),
    )
)


def signed_in(db: Session | Connection, token: str, *, now: datetime | None = None) -> tuple[SignedIn, datetime]:
    """The user holding ``token`` and when the token expires, if it is live and the user enabled."""
    row = db.execute(_HOLDER_OF_TOKEN, {"digest": digest(token), "now": now or datetime.now(UTC)}).first()
    if row is None:
        raise NotSignedIn()
    return SignedIn(*row[:6]), row[6]


def subtree(session: Session, branch_id: int, include_below: bool) -> frozenset[int]:
    if not include_below:
        return frozenset({branch_id})
    code = session.scalar(select(Branch.code).where(col(Branch.id) == branch_id))
    assert code is not None
    return frozenset(b.id for b in branch_and_descendants(session, code) if b.id is not None)


def scope_of(session: Session, user: SignedIn, door: str = "api") -> Actor:
    """The actor ``user`` is when acting through ``door``."""
    if user.role == ADMIN:
        return Actor(user.name, ADMIN, None, door=door)
    if user.role == SPONSOR:
        return Actor(user.name, SPONSOR, frozenset(), sponsor_id=user.sponsor_id, door=door)
    assert user.branch_id is not None
    # Auditors read everything below their branch; treasurers only if given.
    below = True if user.role == AUDITOR else user.include_below
    return Actor(
        user.name, user.role, subtree(session, user.branch_id, below), home_branch_id=user.branch_id, door=door
    )


def actor_named(session: Session, name: str, door: str) -> Actor:
    """The actor an enabled user ``name`` is (for a door that names users rather than signing them in)."""
    row = session.execute(
        sa.select(
            col(User.id),
            col(User.name),
            col(User.role),
            col(User.branch_id),
            col(User.include_below),
            col(User.sponsor_id),
        ).where(
            col(User.name) == name,
            col(User.disabled_at).is_(None),
        )
    ).first()
    if row is None:
        raise NotFound(f"there is no enabled user {name!r}")
    return scope_of(session, SignedIn(*row), door=door)
