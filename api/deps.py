"""What endpoints depend on: a database session, the signed-in user's scope, the language.

Endpoints are ``async def`` and read with a synchronous session inline: each request's queries
are short, and a thread-pool hop per request would cost more than it saves (docs/stack.md).
Writes (``in_own_transaction``) and long work (``off_the_loop``: imports, runs, exports) go to
the thread pool, so that a write waiting for a lock never holds up the reads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordBearer
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from api.i18n import language
from api.positions import read_after
from ledger.access import users
from ledger.access.scope import Actor, NotSignedIn, SignedIn, scope_of, signed_in
from ledger.access.users import digest
from ledger.db import reading, rehearse, run_in_transaction
from ledger.errors import LedgerError
from ledger.replicas import run_reading

T = TypeVar("T")
Q = TypeVar("Q", bound=BaseModel)

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

TOKEN_RECHECK_SECONDS = 1.0
"""How long a worker trusts its last check of a token before asking the database again."""
SCOPE_CACHE_SECONDS = 30.0
"""How long a worker reuses a user's branch subtree."""


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


async def session(request: Request) -> AsyncIterator[Session]:
    with Session(engine_of(request), expire_on_commit=False) as db:
        yield db


SessionDep = Annotated[Session, Depends(session)]


async def token(raw: Annotated[str | None, Depends(oauth2)]) -> str:
    if not raw:
        raise NotSignedIn()
    return raw


TokenDep = Annotated[str, Depends(token)]


@dataclass(frozen=True, slots=True)
class _Checked:
    scope: Actor
    expires_at: datetime
    checked_at: float


class SignedInUsers:
    """Who holds which token, as this worker last checked.

    Every request is authenticated, so this is the hottest path of the API. A token found
    live is trusted for ``TOKEN_RECHECK_SECONDS`` before the database is asked again: a
    sign-out, a password change or a disabled user ends the token at once on the worker
    that handled it and within a second on every other. Branch subtrees, which change only
    when a branch is re-parented, are kept for ``SCOPE_CACHE_SECONDS``.
    """

    def __init__(self, engine: Engine) -> None:
        self._reader = reading(engine)
        self._tokens: dict[str, _Checked] = {}
        self._scopes: dict[SignedIn, tuple[float, Actor]] = {}

    def scope(self, token: str) -> Actor:
        key, now = digest(token), time.monotonic()
        hit = self._tokens.get(key)
        if hit is not None and now - hit.checked_at < TOKEN_RECHECK_SECONDS and hit.expires_at > datetime.now(UTC):
            return hit.scope
        with self._reader.connect() as connection:
            try:
                user, expires_at = signed_in(connection, token)
            except NotSignedIn:
                self._tokens.pop(key, None)
                raise
            scope = self._scope_of(connection, user, now)
        if len(self._tokens) > 100_000:
            self._tokens.clear()
        self._tokens[key] = _Checked(scope, expires_at, now)
        return scope

    def _scope_of(self, connection: Connection, user: SignedIn, now: float) -> Actor:
        cached = self._scopes.get(user)
        if cached is not None and now - cached[0] < SCOPE_CACHE_SECONDS:
            return cached[1]
        with Session(bind=connection) as db:
            scope = scope_of(db, user)
        if len(self._scopes) > 10_000:
            self._scopes.clear()
        self._scopes[user] = (now, scope)
        return scope

    def forget(self, *, token: str | None = None, user: str | None = None) -> None:
        """Stop trusting a token, or every token of a user, on this worker now."""
        if token is not None:
            self._tokens.pop(digest(token), None)
        if user is not None:
            for key, checked in list(self._tokens.items()):
                if checked.scope.user == user:
                    self._tokens.pop(key, None)


def signed_in_users(request: Request) -> SignedInUsers:
    return request.app.state.signed_in


async def current_user(request: Request, raw: Annotated[str | None, Depends(oauth2)]) -> Actor:
    if not raw:
        raise NotSignedIn()
    return signed_in_users(request).scope(raw)


CurrentUser = Annotated[Actor, Depends(current_user)]


def bearer_user(request: Request) -> Actor:
    """``CurrentUser`` for a route that takes no dependencies (FastAPI's solving of them cost the
    hottest read about a sixth of its rate): the same bearer token, the same answers."""
    scheme, raw = get_authorization_scheme_param(request.headers.get("authorization"))
    if scheme.lower() != "bearer" or not raw:
        raise NotSignedIn()
    return signed_in_users(request).scope(raw)


BEARER: dict[str, Any] = {"security": [{OAuth2PasswordBearer.__name__: []}]}
"""What ``openapi_extra`` says of a route that reads ``bearer_user``."""


def validated_query(model: type[Q], request: Request) -> Q:
    """``model`` from the request's query string, refused as FastAPI refuses a bad query (422),
    for a route that takes no dependencies."""
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        errors = [{**error, "loc": ("query", *error["loc"])} for error in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """What ``openapi_extra`` says of a query that a route reads with ``validated_query``."""
    schema = model.model_json_schema()
    return [
        {"name": name, "in": "query", "required": name in schema.get("required", ()),
         "description": field.get("description", ""), "schema": field}
        for name, field in schema["properties"].items()
    ]  # fmt: skip


async def reader_language(accept_language: Annotated[str | None, Header()] = None) -> str:
    return language(accept_language)


Language = Annotated[str, Depends(reader_language)]


async def in_own_transaction(request: Request, db: Session, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a database transaction of its own, retried on serialization failures,
    in the thread pool: a write may wait for a lock, and reads must not wait with it.

    The request's session first ends its own (read-only) transaction: on SQLite it holds the
    write lock (every transaction begins IMMEDIATE), and the work's connection would wait for
    it. Ending it with a commit, not a rollback, keeps the objects already read usable
    (``expire_on_commit`` is off) without reading them again.
    """
    db.commit()
    return await run_in_threadpool(_write, request.app.state.writers, engine_of(request), work)


async def in_read_transaction(request: Request, db: Session, work: Callable[[Session], T]) -> T:
    """Run read-only ``work`` (which may record in the audit log that it read) as ``in_own_transaction``
    would, but on the read replica when there is one that has caught up with this reader's own writes."""
    replica = request.app.state.replica
    if replica is None:
        return await in_own_transaction(request, db, work)
    db.commit()
    return await run_in_threadpool(run_reading, engine_of(request), replica, work, after=read_after(request))


async def reading_only(request: Request, db: Session, work: Callable[[Session], T]) -> T:
    """Run ``work``, which reads and records nothing, on the read replica when there is one that has
    caught up with this reader's own writes; else in the thread pool on the request's own session."""
    if request.app.state.replica is None:
        return await off_the_loop(db, work, db)
    return await in_read_transaction(request, db, work)


async def rehearsed(request: Request, db: Session, work: Callable[[Session], T]) -> T:
    """Run ``work`` as ``in_own_transaction`` would, then roll it back: the domain refuses now what it
    would refuse when the act is confirmed, and nothing is written."""
    db.commit()
    return await run_in_threadpool(_write, request.app.state.writers, engine_of(request), work, rehearse)


def _write(
    writers: threading.Lock | None,
    engine: Engine,
    work: Callable[[Session], T],
    how: Callable[[Engine, Callable[[Session], T]], T] = run_in_transaction,
) -> T:
    if writers is None:
        return how(engine, work)
    # SQLite takes one writer at a time; queueing the threads here is much faster than letting
    # them wait on the database lock, which SQLite polls with growing sleeps.
    with writers:
        return how(engine, work)


async def off_the_loop(db: Session, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Long work (a run, an import, an export) in the thread pool, after the request's session
    has let go of its transaction (see ``in_own_transaction``)."""
    db.commit()
    return await run_in_threadpool(work, *args, **kwargs)


async def signing_in(request: Request, db: Session, name: str, password: str) -> users.IssuedToken:
    """Check a password in the thread pool (argon2 takes tens of milliseconds of CPU) and keep the
    attempt, refused or not: the recorded failures are what slow guessing down."""
    client = request.client.host if request.client else ""
    outcome = await in_own_transaction(
        request, db, lambda s: users.sign_in_attempt(s, name=name, password=password, client=client)
    )
    if isinstance(outcome, LedgerError):
        raise outcome
    return outcome
