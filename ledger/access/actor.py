"""Who is acting, with which rights, through which door.

Every domain operation that reads or changes a branch's data takes an ``Actor`` and checks it
itself (``ledger.access.rights``), so the web, the API, the CLI, imports and scheduled jobs
give the same answer to the same person. The door only says who is acting:

- ``api`` and ``web``: the signed-in user, with the role and branch scope of their account;
- ``cli``: a named local administrator (whoever can open the database file may already do
  anything), or, with ``--as USER``, that user's own role and scope;
- ``job``: the scheduler, acting as an administrator of the branches its job concerns.

Out of scope is reported exactly as "does not exist", so a scope never reveals what lies
outside it; a role that may only read gets ``Forbidden``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ledger.errors import LedgerError

ADMIN, TREASURER, AUDITOR, SPONSOR = "admin", "treasurer", "auditor", "sponsor"
DOORS = ("api", "web", "cli", "job")


class NotSignedIn(LedgerError):
    def __init__(self) -> None:
        super().__init__("sign in first: the token is missing, expired or revoked")


class Forbidden(LedgerError):
    """The thing is in the user's scope, but the role may not do this to it."""


@dataclass(frozen=True, slots=True)
class Actor:
    user: str
    role: str
    branch_ids: frozenset[int] | None  # None: every branch
    sponsor_id: int | None = None
    home_branch_id: int | None = None
    door: str = "api"

    @classmethod
    def local_administrator(cls, name: str, door: str = "cli") -> Actor:
        """Someone at the server itself (the CLI, a job): every branch, as an administrator."""
        return cls(name, ADMIN, None, door=door)

    def via(self, door: str) -> Actor:
        return replace(self, door=door)

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
