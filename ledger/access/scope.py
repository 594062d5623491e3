"""What a signed-in user may see and change: a role over a branch subtree, or one sponsor.

- administrator: every branch, reads and writes, and users;
- treasurer: reads and writes in their branch (and the branches below it, if given);
- auditor: reads only, over their branch and every branch below it;
- sponsor: only their own sponsor record, pledges, payments and statements, and of their
  children only what ``people.md`` allows (first name, age, commune, what was disbursed).

Out of scope is reported exactly as "does not exist", so a scope never reveals what lies
outside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, select
from sqlmodel import Session

from ledger.access.models import AccessToken, User
from ledger.access.users import digest
from ledger.accounts import branch_and_descendants
from ledger.errors import LedgerError
from ledger.models import Branch

ADMIN, TREASURER, AUDITOR, SPONSOR = "admin", "treasurer", "auditor", "sponsor"


class NotSignedIn(LedgerError):
    def __init__(self) -> None:
        super().__init__("sign in first: the token is missing, expired or revoked")


class Forbidden(LedgerError):
    """The thing is in the user's scope, but the role may not do this to it."""


@dataclass(frozen=True, slots=True)
class Scope:
    user: str
    role: str
    branch_ids: frozenset[int] | None  # None: every branch
    sponsor_id: int | None = None
    home_branch_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def is_sponsor(self) -> bool:
        return self.role == SPONSOR

    def sees_branch(self, branch_id: int | None) -> bool:
        if self.role == SPONSOR:
            return False
        return self.branch_ids is None or branch_id in self.branch_ids

    def may_write(self, branch_id: int | None) -> bool:
        return self.role in (ADMIN, TREASURER) and self.sees_branch(branch_id)

    def require_staff(self) -> None:
        if self.role == SPONSOR:
            raise Forbidden("sponsors see only their own pledges, payments and statements")

    def require_writer(self) -> None:
        if self.role not in (ADMIN, TREASURER):
            raise Forbidden(f"a user with role {self.role} may read but not change anything")

    def require_admin(self) -> None:
        if self.role != ADMIN:
            raise Forbidden("only an administrator may do this")


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
    select(User.id, User.name, User.role, User.branch_id, User.include_below, User.sponsor_id, AccessToken.expires_at)
    .join(AccessToken, AccessToken.user_id == User.id)
    .where(
        AccessToken.digest == bindparam("digest"),
        AccessToken.revoked_at.is_(None),  # type: ignore[union-attr]
        AccessToken.expires_at > bindparam("now"),
        User.disabled_at.is_(None),  # type: ignore[union-attr]
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
    code = session.scalar(select(Branch.code).where(Branch.id == branch_id))
    assert code is not None
    return frozenset(b.id for b in branch_and_descendants(session, code) if b.id is not None)


def scope_of(session: Session, user: SignedIn) -> Scope:
    if user.role == ADMIN:
        return Scope(user.name, ADMIN, None)
    if user.role == SPONSOR:
        return Scope(user.name, SPONSOR, frozenset(), sponsor_id=user.sponsor_id)
    assert user.branch_id is not None
    # Auditors read everything below their branch; treasurers only if given.
    below = True if user.role == AUDITOR else user.include_below
    return Scope(user.name, user.role, subtree(session, user.branch_id, below), home_branch_id=user.branch_id)
