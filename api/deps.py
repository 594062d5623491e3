"""What endpoints depend on: a database session, the signed-in user's scope, the language.

Endpoints are ``async def`` and use a synchronous session inline: each request's queries are
short, and a thread-pool hop per request would cost more than it saves (notes/stack.md).
Long work (imports, runs, exports) is handed to the thread pool by the endpoint itself.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Engine
from sqlmodel import Session

from api.i18n import language
from ledger.access.scope import NotSignedIn, Scope, SignedIn, scope_of, signed_in
from ledger.db import run_in_transaction

T = TypeVar("T")

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

SCOPE_CACHE_SECONDS = 30.0
"""How long a worker reuses a user's branch subtree; the token itself is checked every time."""


def engine_of(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


async def session(request: Request) -> AsyncIterator[Session]:
    with Session(engine_of(request), expire_on_commit=False) as db:
        yield db


SessionDep = Annotated[Session, Depends(session)]


async def token(raw: Annotated[str | None, Depends(oauth2)]) -> str:
    if not raw:
        raise NotSignedIn()
    return raw


TokenDep = Annotated[str, Depends(token)]


class ScopeCache:
    """Branch subtrees per user, kept briefly: re-parenting a branch is rare and takes effect
    within ``SCOPE_CACHE_SECONDS``; revoking a token or disabling a user takes effect at once."""

    def __init__(self) -> None:
        self._entries: dict[SignedIn, tuple[float, Scope]] = {}

    def get(self, db: Session, user: SignedIn) -> Scope:
        now = time.monotonic()
        hit = self._entries.get(user)
        if hit is not None and now - hit[0] < SCOPE_CACHE_SECONDS:
            return hit[1]
        scope = scope_of(db, user)
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[user] = (now, scope)
        return scope


async def current_user(request: Request, db: SessionDep, raw: TokenDep) -> Scope:
    user = signed_in(db, raw)
    cache: ScopeCache = request.app.state.scopes
    return cache.get(db, user)


CurrentUser = Annotated[Scope, Depends(current_user)]


async def reader_language(accept_language: Annotated[str | None, Header()] = None) -> str:
    return language(accept_language)


Language = Annotated[str, Depends(reader_language)]


def in_own_transaction(request: Request, db: Session, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a database transaction of its own, retried on serialization failures.

    The request's session first ends its own (read-only) transaction: on SQLite it holds the
    write lock (every transaction begins IMMEDIATE), and the work's connection would wait for
    it. Ending it with a commit, not a rollback, keeps the objects already read usable
    (``expire_on_commit`` is off) without reading them again.
    """
    db.commit()
    return run_in_transaction(engine_of(request), work)


async def off_the_loop(db: Session, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Long work (a run, an import, an export) in the thread pool, after the request's session
    has let go of its transaction (see ``in_own_transaction``)."""
    db.commit()
    return await run_in_threadpool(work, *args, **kwargs)
