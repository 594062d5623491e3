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
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, text, update
from sqlmodel import Session, col, select
from zxcvbn import zxcvbn

from ledger.access import audit
from ledger.access.actor import Actor
from ledger.access.models import AccessToken, SignInAttempt, User
from ledger.accounts import get_branch
from ledger.errors import InvalidEntry, LedgerError, NotFound
from ledger.register.models import Sponsor

ROLES = ("admin", "treasurer", "auditor", "sponsor")
STAFF_ROLES = ("treasurer", "auditor")
MIN_PASSWORD_LENGTH = 10
MIN_PASSWORD_SCORE = 3  # zxcvbn: "safely unguessable: moderate protection from offline slow-hash attacks"
MAX_FAILURES = 5
MAX_CLIENT_FAILURES = 30  # one address guessing many names
FAILURE_WINDOW = timedelta(minutes=15)
TOKEN_LIFETIME = timedelta(minutes=30)

_hasher = PasswordHasher()


class UserError(InvalidEntry):
    """A user that could not exist: a bad name, role, scope or password. ``reason`` names which (a door
    tells it from that and ``facts``; the message is for logs and the API)."""

    def __init__(self, message: str, *, reason: str = "", **facts: str) -> None:
        self.reason, self.facts = reason, facts
        super().__init__(message)


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


def check_password(password: str, *, name: str) -> None:
    """Long enough, and not guessable: not a common password, a keyboard walk, a repetition or the
    user's own name (zxcvbn's estimate, with the name and its parts as known words)."""
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    known = [name, *name.replace("_", "-").replace(".", "-").split("-"), "godmother", "hoi phu nu", "me do dau"]
    estimate = zxcvbn(password[:100], user_inputs=known)
    if estimate["score"] < MIN_PASSWORD_SCORE:
        hint = estimate["feedback"]["warning"] or "it is too easy to guess"
        raise UserError(f"choose a harder password: {hint.rstrip('.')} (a few unrelated words work well)")


def add_user(
    session: Session,
    *,
    name: str,
    role: str,
    password: str,
    branch: str | None = None,
    include_below: bool = True,
    sponsor: str | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> User:
    """A new user (administrators); treasurers and auditors work for a branch, a sponsor user is one sponsor."""
    actor.require_admin()
    name = name.strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise UserError("a user name is one word of at most 100 characters")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role in STAFF_ROLES and not branch:
        raise UserError(f"a {role} works for a branch: name it", reason="branch-needed", role=role)
    if role not in STAFF_ROLES and branch:
        raise UserError(
            f"only treasurers and auditors have a branch, not a user with role {role}", reason="no-branch", role=role
        )
    if role == "sponsor" and not sponsor:
        raise UserError("a sponsor user is one sponsor: name the sponsor", reason="sponsor-needed")
    if role != "sponsor" and sponsor:
        raise UserError("only a user with role sponsor is a sponsor's", reason="sponsor-only", role=role)
    if session.scalar(select(User.id).where(col(User.name) == name)) is not None:
        raise UserError(f"user {name!r} already exists", reason="exists", name=name)
    check_password(password, name=name)
    sponsor_id = None
    if sponsor:
        sponsor_id = session.scalar(select(Sponsor.id).where(col(Sponsor.code) == sponsor))
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
    audit.record(session, actor=actor, action="user.add", subject=f"user:{name}", branch_id=user.branch_id,
                 detail={"role": role}, now=now)  # fmt: skip
    return user


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(col(User.name) == name))
    if user is None:
        raise UserNotFound(name)
    return user


def set_password(
    session: Session,
    *,
    name: str,
    password: str,
    actor: Actor,
    current: str | None = None,
    now: datetime | None = None,
) -> User:
    """A new password; every token the user holds stops working.

    Changing one's own password needs the current one (a stolen session must not be enough to
    take the account); an administrator resetting someone else's does not, and it is audited.
    """
    user = get_user(session, name)
    resetting = actor.user != name
    if resetting:
        actor.require_admin()
    elif current is None or not _matches(user, current):
        raise UserError("give your current password to change it")
    check_password(password, name=name)
    user.password_hash = _hasher.hash(password)
    session.add(user)
    _revoke_all(session, user, now)
    audit.record(session, actor=actor, action="user.password-reset" if resetting else "user.passwd",
                 subject=f"user:{name}", branch_id=user.branch_id, now=now)  # fmt: skip
    return user


def _matches(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def disable_user(session: Session, *, name: str, actor: Actor, now: datetime | None = None) -> User:
    """The user can no longer sign in, and their tokens stop working at once (administrators)."""
    actor.require_admin()
    user = get_user(session, name)
    if user.disabled_at is None:
        user.disabled_at = _now(now)
        session.add(user)
    _revoke_all(session, user, now)
    audit.record(session, actor=actor, action="user.disable", subject=f"user:{name}", branch_id=user.branch_id,
                 now=now)  # fmt: skip
    return user


def _revoke_all(session: Session, user: User, now: datetime | None) -> None:
    session.execute(
        update(AccessToken)
        .where(col(AccessToken.user_id) == user.id, col(AccessToken.revoked_at).is_(None))
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
    name, client = name.strip()[:100], client[:64]
    _one_attempt_at_a_time(session, name, client)
    _refuse_after_failures(session, col(SignInAttempt.name) == name, MAX_FAILURES, name, now)
    if client:
        _refuse_after_failures(session, col(SignInAttempt.client) == client, MAX_CLIENT_FAILURES, name, now)
    user = session.scalar(select(User).where(col(User.name) == name))
    ok = False
    if user is not None and user.disabled_at is None:
        ok = _matches(user, password)
    else:
        _hasher.hash(password)  # the same work either way: timing does not tell which names exist
    session.add(SignInAttempt(name=name, client=client, at=now, succeeded=ok))
    if not ok or user is None:
        session.flush()
        raise SignInRefused()
    token = secrets.token_urlsafe(32)
    expires = now + TOKEN_LIFETIME
    session.add(AccessToken(digest=digest(token), user_id=user.id, issued_at=now, expires_at=expires))
    session.flush()
    return IssuedToken(token, expires, user)


def sign_in_attempt(
    session: Session, *, name: str, password: str, client: str = "", now: datetime | None = None
) -> IssuedToken | SignInRefused | TooManyAttempts:
    """``sign_in``, with a refusal returned rather than raised, so that the caller's transaction
    commits the recorded attempt with it."""
    try:
        return sign_in(session, name=name, password=password, client=client, now=now)
    except (SignInRefused, TooManyAttempts) as refused:
        return refused


def _one_attempt_at_a_time(session: Session, name: str, client: str) -> None:
    """Attempts on one name (and from one client) are counted and recorded one at a time, so that
    parallel guesses cannot all read the same count before any is recorded (PostgreSQL; SQLite
    writes one transaction at a time anyway). Name before client: always the same order."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in (f"sign-in:name:{name}", f"sign-in:client:{client}" if client else None):
        if key is not None:
            session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


def _refuse_after_failures(session: Session, whose: Any, limit: int, name: str, now: datetime) -> None:
    recent_failures = (
        whose,
        col(SignInAttempt.at) > now - FAILURE_WINDOW,
        col(SignInAttempt.succeeded).is_(False),
    )
    failures = session.scalar(select(func.count()).select_from(SignInAttempt).where(*recent_failures)) or 0
    if failures >= limit:
        oldest_that_counts = failures - limit
        first = session.scalar(
            select(SignInAttempt.at).where(*recent_failures).order_by(col(SignInAttempt.at)).offset(oldest_that_counts)
        )
        raise TooManyAttempts(name, int(((first or now) + FAILURE_WINDOW - now).total_seconds()))


def sign_out(session: Session, token: str, *, now: datetime | None = None) -> None:
    session.execute(
        update(AccessToken)
        .where(col(AccessToken.digest) == digest(token), col(AccessToken.revoked_at).is_(None))
        .values(revoked_at=_now(now))
    )
