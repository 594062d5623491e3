"""Users, passwords and sign-in.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended
profile). Sign-in is refused for a while after ``MAX_FAILURES`` failed attempts on one name
within ``FAILURE_WINDOW``, whatever the password, so guessing is slow even across workers:
the attempts are counted in the database. Tokens are random, short-lived, stored as digests,
and revoked at sign-out, on a password change or when the user is disabled.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select, update
from sqlmodel import Session

from ledger.access.models import AccessToken, SignInAttempt, User
from ledger.accounts import get_branch
from ledger.errors import InvalidEntry, LedgerError, NotFound
from ledger.register.models import Sponsor

ROLES = ("admin", "treasurer", "auditor", "sponsor")
STAFF_ROLES = ("treasurer", "auditor")
MIN_PASSWORD_LENGTH = 10
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
TOKEN_LIFETIME = timedelta(minutes=30)

_hasher = PasswordHasher()


class UserError(InvalidEntry):
    """A user that could not exist: a bad name, role, scope or password."""


class UserNotFound(NotFound):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"user {name!r} does not exist")


class SignInRefused(LedgerError):
    """Wrong name or password, or a disabled user: deliberately one message for all three."""

    def __init__(self) -> None:
        super().__init__("wrong user name or password")


class TooManyAttempts(LedgerError):
    def __init__(self, name: str, retry_after: int) -> None:
        self.name, self.retry_after = name, max(1, retry_after)
        super().__init__(
            f"too many failed sign-ins for {name!r}: try again in {max(1, -(-retry_after // 60))} minute(s)"
        )


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def add_user(
    session: Session,
    *,
    name: str,
    role: str,
    password: str,
    branch: str | None = None,
    include_below: bool = True,
    sponsor: str | None = None,
    now: datetime | None = None,
) -> User:
    """A new user; treasurers and auditors work for a branch, a sponsor user is one sponsor."""
    name = name.strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise UserError("a user name is one word of at most 100 characters")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role in STAFF_ROLES and not branch:
        raise UserError(f"a {role} works for a branch: give --branch CODE")
    if role not in STAFF_ROLES and branch:
        raise UserError(f"only treasurers and auditors have a branch, not a user with role {role}")
    if role == "sponsor" and not sponsor:
        raise UserError("a sponsor user is one sponsor: give --sponsor CODE")
    if role != "sponsor" and sponsor:
        raise UserError("only a user with role sponsor has --sponsor")
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise UserError(f"user {name!r} already exists; change the password with 'godmother user passwd'")
    _check_password(password)
    sponsor_id = None
    if sponsor:
        sponsor_id = session.scalar(select(Sponsor.id).where(Sponsor.code == sponsor))
        if sponsor_id is None:
            raise NotFound(f"sponsor {sponsor!r} does not exist")
    user = User(
        name=name,
        password_hash=_hasher.hash(password),
        role=role,
        branch_id=get_branch(session, branch).id if branch else None,
        include_below=include_below,
        sponsor_id=sponsor_id,
        created_at=_now(now),
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise UserNotFound(name)
    return user


def set_password(session: Session, *, name: str, password: str, now: datetime | None = None) -> User:
    """A new password; every token the user holds stops working."""
    user = get_user(session, name)
    _check_password(password)
    user.password_hash = _hasher.hash(password)
    session.add(user)
    _revoke_all(session, user, now)
    return user


def disable_user(session: Session, *, name: str, now: datetime | None = None) -> User:
    """The user can no longer sign in, and their tokens stop working at once."""
    user = get_user(session, name)
    if user.disabled_at is None:
        user.disabled_at = _now(now)
        session.add(user)
    _revoke_all(session, user, now)
    return user


def _revoke_all(session: Session, user: User, now: datetime | None) -> None:
    session.execute(
        update(AccessToken)
        .where(AccessToken.user_id == user.id, AccessToken.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=_now(now))
    )


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime
    user: User


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(
    session: Session, *, name: str, password: str, client: str = "", now: datetime | None = None
) -> IssuedToken:
    """Check the password and hand out a bearer token; every attempt is recorded.

    The caller commits even when this raises: the recorded failure is what slows guessing.
    """
    now = _now(now)
    name = name.strip()[:100]
    recent_failures = (
        SignInAttempt.name == name,
        SignInAttempt.at > now - FAILURE_WINDOW,
        SignInAttempt.succeeded.is_(False),  # type: ignore[attr-defined]
    )
    failures = session.scalar(select(func.count()).select_from(SignInAttempt).where(*recent_failures)) or 0
    if failures >= MAX_FAILURES:
        first = session.scalar(select(SignInAttempt.at).where(*recent_failures).order_by(SignInAttempt.at).limit(1))
        raise TooManyAttempts(name, int(((first or now) + FAILURE_WINDOW - now).total_seconds()))
    user = session.scalar(select(User).where(User.name == name))
    ok = False
    if user is not None and user.disabled_at is None:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    else:
        _hasher.hash(password)  # the same work either way: timing does not tell which names exist
    session.add(SignInAttempt(name=name, client=client[:64], at=now, succeeded=ok))
    if not ok or user is None:
        session.flush()
        raise SignInRefused()
    token = secrets.token_urlsafe(32)
    expires = now + TOKEN_LIFETIME
    session.add(AccessToken(digest=digest(token), user_id=user.id, issued_at=now, expires_at=expires))  # type: ignore[arg-type]
    session.flush()
    return IssuedToken(token, expires, user)


def sign_out(session: Session, token: str, *, now: datetime | None = None) -> None:
    session.execute(
        update(AccessToken)
        .where(AccessToken.digest == digest(token), AccessToken.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=_now(now))
    )
