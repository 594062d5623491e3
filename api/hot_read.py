"""The API's hottest read, an account's balance, answered where the request arrives.

``GET /api/v1/accounts/{code}/balance`` is most of what scripts and phones ask. Through the
application it walks Starlette's and FastAPI's layers (the exception middleware, the router, the
endpoint's request and response objects), which cost it more than its own work.
``HotBalanceRead`` sits inside the ``Guard``, so its answers carry the same security headers, and
answers the common case itself: the same token check (``SignedInUsers``), the same domain
function (``balances.account_in_sight_async``), the same JSON as the route.

Every other request, and every case it would not answer with 200 (no bearer token, a token no
longer valid, an account outside the reader's sight, a bad query, a balance as of a day, a
database that does not answer), it hands to the application untouched, which answers it as it
always has. The read writes nothing, so reading again there changes nothing. The route stays
what the OpenAPI document describes and what serves every case but the common one.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import SignedInUsers
from api.schemas.ledger import BalanceOut, BalanceQuery
from ledger import balances
from ledger.db import AsyncReads
from ledger.errors import LedgerError

PREFIX, SUFFIX = "/api/v1/accounts/", "/balance"
JSON = b"application/json"


class HotBalanceRead:
    """ASGI middleware: the balance read's common case (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, signed_in: SignedInUsers, reads: AsyncReads) -> None:
        self.app, self.signed_in, self.reads = app, signed_in, reads
        self.answered = 0  # how many it answered itself (tests read it)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await self._answer(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        if body is None:
            await self.app(scope, receive, send)
            return
        self.answered += 1
        headers = [(b"content-length", str(len(body)).encode()), (b"content-type", JSON)]  # as the route's Response
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: Scope) -> bytes | None:
        """The answer's body, or None for the application to answer."""
        path: str = scope["path"]
        if scope.get("root_path") or not (path.startswith(PREFIX) and path.endswith(SUFFIX)):
            return None
        code = path[len(PREFIX) : -len(SUFFIX)]
        token = _bearer(scope["headers"])
        if not code or "/" in code or token is None:
            return None
        try:  # as Starlette reads a query string (``validated_query``)
            query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
            asked = BalanceQuery.model_validate(query)
        except (ValidationError, ValueError):
            return None
        if asked.as_of is not None:
            return None
        try:
            actor = self.signed_in.scope(token)
            found = await balances.account_in_sight_async(self.reads, actor, code, asked.branch)
        except (LedgerError, DBAPIError):  # refused, or the database did not answer: the route says so
            return None
        out = BalanceOut(branch=found.branch, account=code, type=found.type, as_of=None, balance=found.balance)
        return out.model_dump_json().encode()


def _bearer(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The bearer token, as ``bearer_user`` reads it (FastAPI's ``get_authorization_scheme_param``)."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token if scheme.lower() == "bearer" and token else None
    return None
