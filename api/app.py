"""The HTTP API: ``create_app`` builds it around an engine; ``godmother serve`` runs it."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from api import problems
from api.deps import SignedInUsers
from api.guard import Guard
from api.hot_read import HotBalanceRead
from api.isolation import Isolated
from api.pack_jobs import PackJobs
from api.positions import WritePositions
from api.routes import (
    audit,
    auth,
    bank,
    branches,
    children,
    files,
    jobs,
    ledger,
    payments,
    pledges,
    runs,
    search,
    sponsors,
    statements,
    users,
)
from api.run_jobs import RunJobs
from api.web import (
    admin,
    books,
    check,
    importing,
    lists,
    month_end,
    pages,
    people,
    public,
    reconciling,
    register_forms,
    sponsoring,
    work,
)  # fmt: skip
from api.web.session import FormExpired, SignInRequired, error_page, page, reader_lang
from ledger.db import AsyncReads, is_sqlite, reading
from ledger.replicas import Replica

DESCRIPTION = """\
The ledger of the Women's Union's **Mẹ đỡ đầu** (Godmother) and social-aid programs.

Sign in at `POST /api/v1/auth/token` (OAuth2 password form) and send the token as
`Authorization: Bearer …`. What you see depends on your role: an administrator sees every
branch; a treasurer their branch (and those below it, if given) and may change it; an auditor
reads their branch and everything below it; a sponsor sees only their own pledges, payments
and what reached their children. Anything outside your scope is answered as *not found*.

Money is an integer number of đồng. Errors are RFC 9457 problem details
(`application/problem+json`) in Vietnamese, or English with `Accept-Language: en`.
"""


def create_app(engine: Engine, replica: Engine | None = None) -> FastAPI:
    """The API and the web application on ``engine``; read-only work on ``replica`` when given
    (a PostgreSQL streaming replica of it, ledger/replicas.py)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.reads.open()
        yield
        await app.state.reads.close()
        app.state.isolated.close()
        engine.dispose()
        if replica is not None:
            replica.dispose()

    app = FastAPI(
        title="Godmother ledger API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.signed_in = SignedInUsers(engine)
    app.state.reader = reading(engine)
    app.state.reads = AsyncReads(engine)
    app.state.replica = Replica(engine, replica) if replica is not None else None
    app.state.write_positions = WritePositions()
    app.state.writers = threading.Lock() if is_sqlite(engine) else None
    app.state.run_jobs = RunJobs(engine)
    app.state.pack_jobs = PackJobs(engine, app.state.replica)
    app.state.isolated = Isolated()
    app.add_middleware(HotBalanceRead, signed_in=app.state.signed_in, reads=app.state.reads)  # inside the Guard
    app.add_middleware(
        Guard, signed_in=app.state.signed_in, replica=app.state.replica, positions=app.state.write_positions
    )
    problems.install(app, web_page=error_page)
    # One level of routers, the most used first: matching a path walks them in order.
    for module in (
        ledger,
        branches,
        sponsors,
        children,
        pledges,
        payments,
        runs,
        auth,
        users,
        files,
        statements,
        bank,
        jobs,
        audit,
        search,
    ):
        app.include_router(module.router, prefix="/api/v1", responses=problems.PROBLEM_RESPONSES)
    app.include_router(pages.router)  # the web application, after the API
    app.include_router(sponsoring.router)
    app.include_router(work.router)
    app.include_router(month_end.router)
    app.include_router(reconciling.router)
    app.include_router(admin.router)
    app.include_router(books.router)
    app.include_router(check.router)
    app.include_router(public.router)
    app.include_router(importing.router)
    app.include_router(lists.router)
    app.include_router(people.router)
    app.include_router(register_forms.router)
    app.mount("/static", StaticFiles(directory=Path(pages.__file__).parent / "static"), name="static")

    @app.exception_handler(FormExpired)
    async def form_expired(request: Request, exc: FormExpired) -> HTMLResponse:
        return page(request, "message.html", reader_lang(request), 400, message="bad_form", user=None, back=None)

    @app.exception_handler(SignInRequired)
    async def to_sign_in(request: Request, exc: SignInRequired) -> RedirectResponse:
        return RedirectResponse(f"/sign-in?next={quote(request.url.path)}", status_code=303)

    return app
