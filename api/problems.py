"""RFC 9457 problem details for every error, in Vietnamese or English.

HTTP status codes live here and only here. Domain errors carry English messages for people;
each problem also gets a title in the reader's language, and validation errors name the
field and say what is wrong with it in that language. No stack trace ever leaves the server;
a database that cannot be reached is a 503, and the request's transaction is rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.i18n import language
from ledger.access.scope import Forbidden, NotSignedIn
from ledger.access.users import SignInRefused, TooManyAttempts
from ledger.errors import DatabaseNotReady, InvalidEntry, LedgerError, NotFound, NotPermitted, TooLarge
from ledger.ground.messages import message

log = logging.getLogger("godmother.api")
MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://godmother.example/problems/"


class FieldError(BaseModel):
    field: str = Field(description="where the bad value is, e.g. body.legs.0.amount or query.month")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem."""

    type: str = Field(examples=[TYPE_BASE + "not-found"])
    title: str = Field(examples=["Không tìm thấy"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["child 'C-000999' is not in the register"])
    instance: str | None = None
    errors: list[FieldError] | None = None
    retry_after: int | None = None


STATUS: dict[str, int] = {  # each problem type's HTTP status; its title is the catalogue's ``problem:<type>``
    "not-found": 404,
    "not-signed-in": 401,
    "sign-in-refused": 401,
    "too-many-attempts": 429,
    "forbidden": 403,
    "invalid": 422,
    "conflict": 409,
    "unavailable": 503,
    "internal": 500,
    "method-not-allowed": 405,
    "too-large": 413,
    "http": 400,
}

NOT_FOUND_DETAIL = {"vi": "Không có tài nguyên này.", "en": "There is no such resource."}
UNAVAILABLE_DETAIL = {
    "vi": "Không kết nối được cơ sở dữ liệu; không có gì được ghi. Hãy thử lại sau.",
    "en": "The database cannot be reached; nothing was written. Try again later.",
}
INTERNAL_DETAIL = {
    "vi": "Lỗi hệ thống; không có gì được ghi. Hãy báo cho quản trị viên.",
    "en": "Internal error; nothing was written. Please tell an administrator.",
}

VALIDATION_MESSAGES = {
    "missing": ("thiếu trường bắt buộc", "field required"),
    "int_parsing": ("phải là số nguyên", "must be a whole number"),
    "int_type": ("phải là số nguyên", "must be a whole number"),
    "int_from_float": ("phải là số nguyên (đồng không có phần lẻ)", "must be a whole number (đồng have no fraction)"),
    "greater_than_equal": ("quá nhỏ", "too small"),
    "greater_than": ("quá nhỏ", "too small"),
    "less_than_equal": ("quá lớn", "too large"),
    "less_than": ("quá lớn", "too large"),
    "date_from_datetime_parsing": ("phải là ngày dạng YYYY-MM-DD", "must be a date, YYYY-MM-DD"),
    "date_parsing": ("phải là ngày dạng YYYY-MM-DD", "must be a date, YYYY-MM-DD"),
    "date_type": ("phải là ngày dạng YYYY-MM-DD", "must be a date, YYYY-MM-DD"),
    "string_pattern_mismatch": ("sai định dạng", "has the wrong format"),
    "string_too_long": ("quá dài", "too long"),
    "string_too_short": ("quá ngắn", "too short"),
    "literal_error": ("không phải giá trị cho phép", "is not one of the allowed values"),
    "enum": ("không phải giá trị cho phép", "is not one of the allowed values"),
    "bool_parsing": ("phải là true hoặc false", "must be true or false"),
    "json_invalid": ("không phải JSON hợp lệ", "is not valid JSON"),
    "list_type": ("phải là danh sách", "must be a list"),
    "too_short": ("quá ít phần tử", "has too few items"),
    "too_long": ("quá nhiều phần tử", "has too many items"),
    "extra_forbidden": ("không có trường này", "is not a known field"),
}


WebPage = Callable[[Request, int, str, str, LedgerError | None], Response]
_web_page: WebPage | None = None  # the web application's error page, for paths outside /api/


def problem(
    request: Request,
    slug: str,
    detail: str,
    *,
    status: int | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    retry_after: int | None = None,
    error: LedgerError | None = None,
) -> Response:
    lang = language(request.headers.get("accept-language"))
    body = Problem(
        type=TYPE_BASE + slug,
        title=message(f"problem:{slug}", lang),
        status=status or STATUS[slug],
        detail=detail,
        instance=request.url.path,
        errors=errors,
        retry_after=retry_after,
    )
    if _web_page is not None and not request.url.path.startswith("/api/"):
        return _web_page(request, body.status, body.title, detail, error)
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=body.status,
        media_type=MEDIA_TYPE,
        headers={"Content-Language": lang, **(headers or {})},
    )


def _slug_of(exc: LedgerError) -> str:
    if isinstance(exc, NotSignedIn):
        return "not-signed-in"
    if isinstance(exc, SignInRefused):
        return "sign-in-refused"
    if isinstance(exc, TooManyAttempts):
        return "too-many-attempts"
    if isinstance(exc, Forbidden | NotPermitted):
        return "forbidden"
    if isinstance(exc, NotFound):
        return "not-found"
    if isinstance(exc, DatabaseNotReady):
        return "unavailable"
    if isinstance(exc, TooLarge):
        return "too-large"
    if isinstance(exc, InvalidEntry):
        return "invalid"
    return "conflict"


def _field_errors(exc: RequestValidationError, lang: str) -> list[FieldError]:
    errors = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error.get("loc", ()))
        known = VALIDATION_MESSAGES.get(error.get("type", ""))
        message = (known[0] if lang == "vi" else known[1]) if known else str(error.get("msg", "invalid"))
        context = error.get("ctx") or {}
        for bound in ("ge", "gt", "le", "lt", "max_length", "min_length", "pattern", "expected"):
            if bound in context:
                message += f" ({bound}: {context[bound]})"
        errors.append(FieldError(field=location, message=message))
    return errors


def install(app: FastAPI, web_page: WebPage | None = None) -> None:
    """Every error as problem details under /api/; elsewhere, with ``web_page``, as a page."""
    global _web_page
    _web_page = web_page

    @app.exception_handler(LedgerError)
    async def ledger_error(request: Request, exc: LedgerError) -> Response:
        slug = _slug_of(exc)
        headers: dict[str, str] = {}
        retry_after = None
        if slug == "not-signed-in" or slug == "sign-in-refused":
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, TooManyAttempts):
            retry_after = exc.retry_after
            headers["Retry-After"] = str(exc.retry_after)
        errors = getattr(exc, "field_errors", None)
        return problem(request, slug, str(exc), headers=headers, retry_after=retry_after, errors=errors, error=exc)

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError) -> Response:
        # The domain's parsers (months, dates, amounts) refuse bad text with ValueError.
        return problem(request, "invalid", str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        lang = language(request.headers.get("accept-language"))
        errors = _field_errors(exc, lang)
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
        return problem(request, "invalid", summary, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        lang = language(request.headers.get("accept-language"))
        slug = {404: "not-found", 405: "method-not-allowed", 401: "not-signed-in", 413: "too-large"}.get(
            exc.status_code, "http"
        )
        detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else NOT_FOUND_DETAIL[lang]
        return problem(request, slug, detail, status=exc.status_code, headers=dict(exc.headers or {}))

    @app.exception_handler(OperationalError)
    async def database_down(request: Request, exc: OperationalError) -> Response:
        log.warning("database unavailable: %s", exc.orig)
        lang = language(request.headers.get("accept-language"))
        return problem(request, "unavailable", UNAVAILABLE_DETAIL[lang], headers={"Retry-After": "5"})

    @app.exception_handler(DBAPIError)
    async def database_refused(request: Request, exc: DBAPIError) -> Response:
        if isinstance(exc, DataError):  # a value the database cannot hold, e.g. an id beyond its range
            return problem(request, "invalid", f"a value is out of range: {str(exc.orig).splitlines()[0]}")
        if isinstance(exc, IntegrityError):
            return problem(request, "conflict", f"the database refused the change: {str(exc.orig).splitlines()[0]}")
        log.exception("database error")
        lang = language(request.headers.get("accept-language"))
        return problem(request, "unavailable", UNAVAILABLE_DETAIL[lang], headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        lang = language(request.headers.get("accept-language"))
        return problem(request, "internal", INTERNAL_DETAIL[lang])


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": description}
    for status, description in (
        (401, "Not signed in"),
        (403, "The role may not do this"),
        (404, "Not found, or outside the user's scope"),
        (409, "Refused by the ledger's rules"),
        (422, "Invalid request; `errors` names each field"),
        (429, "Too many failed sign-ins"),
        (503, "The database is unavailable; nothing was written"),
    )
}
