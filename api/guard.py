"""What every request meets before any route: limits on its body, sign-in before a large body, and
the security headers on every answer.

- A body larger than ``GODMOTHER_MAX_BODY_BYTES`` (20 MB by default) is refused with 413 from its
  ``Content-Length``, before a byte of it is read, and a body sent without one is cut off at the
  limit: nothing is spooled to disk beyond it.
- A body larger than a sign-in form needs a live session or token first, so nobody who is not
  signed in can make the server read (or store) a large upload.
- Every answer says: no framing, no sniffing, no referrer outside the site, a content security
  policy without inline script; signed-in answers are not stored by caches; over HTTPS, HSTS.
"""

from __future__ import annotations

import json
import os
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.cookies import COOKIE, WRITTEN_COOKIE
from api.deps import SignedInUsers
from api.i18n import language
from api.positions import WRITTEN_HEADER, WritePositions, credential, written_by
from ledger.access.actor import NotSignedIn
from ledger.replicas import Replica

MAX_BODY = int(os.environ.get("GODMOTHER_MAX_BODY_BYTES", str(20 * 1024 * 1024)))
ANONYMOUS_BODY = 64 * 1024  # a sign-in form, a JSON body: anything larger needs a session first
PUBLIC_UPLOADS = {"/kiem-tra": 5 * 1024 * 1024}  # anyone may check a statement (with a declared length)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
DOCS = ("/api/v1/docs", "/api/v1/openapi.json")  # Swagger UI's own page loads its script from a CDN
BODY_TOO_LARGE = {
    "vi": "Tệp hoặc nội dung gửi lên quá lớn (tối đa {} MB); không có gì được ghi.",
    "en": "What was sent is too large (at most {} MB); nothing was written.",
}
SIGN_IN_FIRST = {
    "vi": "Hãy đăng nhập trước khi gửi tệp.",
    "en": "Sign in before sending a file.",
}


class _BodyTooLarge(Exception):
    pass


class Guard:
    def __init__(
        self,
        app: ASGIApp,
        signed_in: SignedInUsers,
        max_body: int = MAX_BODY,
        replica: Replica | None = None,
        positions: WritePositions | None = None,
    ) -> None:
        self.app, self.signed_in, self.max_body = app, signed_in, max_body
        self.replica, self.positions = replica, positions or WritePositions()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        lang = language(headers.get("accept-language"))
        declared = headers.get("content-length", "")
        length = int(declared) if declared.isdigit() else None
        if length is not None and length > self.max_body:
            await _problem(send, 413, "too-large", BODY_TOO_LARGE[lang].format(self.max_body // (1024 * 1024)))
            return
        has_body = scope["method"] in ("POST", "PUT", "PATCH")
        streamed = length is None and "chunked" in headers.get("transfer-encoding", "")
        allowed = PUBLIC_UPLOADS.get(scope["path"], ANONYMOUS_BODY) if not streamed else ANONYMOUS_BODY
        if has_body and (streamed or (length or 0) > allowed) and not await self._signed_in(headers):
            await _problem(send, 401, "not-signed-in", SIGN_IN_FIRST[lang])
            return
        secure = scope.get("scheme") == "https" or headers.get("x-forwarded-proto") == "https"
        private = "authorization" in headers or f"{COOKIE}=" in headers.get("cookie", "")
        started = False
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _BodyTooLarge()
            return message

        writes = scope["method"] not in ("GET", "HEAD", "OPTIONS")

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                added = _security_headers(scope["path"], secure, private)
                if writes and self.replica is not None:  # its reader's next pages must not be older than this
                    position = await run_in_threadpool(written_by, self.replica, self.positions, headers)
                    added += _written(position, secure)
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        try:
            await self.app(scope, counted, with_headers)
        except _BodyTooLarge:
            if not started:
                await _problem(send, 413, "too-large", BODY_TOO_LARGE[lang].format(self.max_body // (1024 * 1024)))

    async def _signed_in(self, headers: dict[str, str]) -> bool:
        token = credential(headers)
        if not token:
            return False
        try:
            await run_in_threadpool(self.signed_in.scope, token)
        except NotSignedIn:
            return False
        return True


def _written(position: str, secure: bool) -> list[tuple[bytes, bytes]]:
    cookie = f"{WRITTEN_COOKIE}={position}; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
    return [(WRITTEN_HEADER.encode(), position.encode()), (b"set-cookie", cookie.encode())]


def _security_headers(path: str, secure: bool, private: bool) -> list[tuple[bytes, bytes]]:
    found = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    ]
    if not path.startswith(DOCS):
        found.append((b"content-security-policy", CSP.encode()))
    if private and not path.startswith("/static/"):
        found.append((b"cache-control", b"no-store"))
    if secure:
        found.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return found


async def _problem(send: Send, status: int, slug: str, detail: str) -> None:
    body: dict[str, Any] = {"type": f"/problems/{slug}", "title": slug.replace("-", " "), "status": status,
                            "detail": detail}  # fmt: skip
    encoded = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(encoded)).encode()),
                (b"connection", b"close"),
                *_security_headers("", False, False),
            ],
        }
    )
    await send({"type": "http.response.body", "body": encoded})
