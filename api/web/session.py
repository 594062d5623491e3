"""Sessions in a cookie, CSRF tokens, the reader's language, and the page renderer."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.cookies import COOKIE, LANG_COOKIE, PRE_CSRF_COOKIE
from api.deps import signed_in_users
from ledger.access.actor import Actor, NotSignedIn
from ledger.errors import LedgerError
from ledger.ground.messages import has_message, message
from ledger.ground.words import side
from ledger.money import format_vnd
from ledger.months import VIETNAM
from ledger.told import explain, fallback
from pdf_templates.render import day_text, month_text, qr_svg

HERE = Path(__file__).resolve().parent


class SignInRequired(Exception):
    """The page needs a signed-in user: the handler sends the browser to the sign-in page."""


class FormExpired(Exception):
    """A form without this session's token (expired, or sent from elsewhere): nothing is done, and the
    reader is asked to open the page again."""


@dataclass(frozen=True, slots=True)
class WebUser:
    scope: Actor
    token: str

    @property
    def csrf(self) -> str:
        return csrf_for(self.token)


def csrf_for(secret: str) -> str:
    """A form token only someone holding the (HttpOnly) cookie can know."""
    return hashlib.sha256(f"csrf:{secret}".encode()).hexdigest()[:32]


def csrf_ok(given: object, secret: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given, csrf_for(secret))


def reader_lang(request: Request) -> str:
    """Vietnamese whatever the browser asks; English is a choice the reader made (kept in a cookie)."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return chosen if chosen in ("vi", "en") else "vi"


def web_user(request: Request) -> WebUser:
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInRequired()
    try:
        return WebUser(signed_in_users(request).scope(token).via("web"), token)
    except NotSignedIn:
        raise SignInRequired() from None


def secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def pre_form_secret(request: Request) -> str:
    return request.cookies.get(PRE_CSRF_COOKIE) or secrets.token_urlsafe(24)


@functools.cache
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    env.filters["qr_svg"] = qr_svg
    return env


def moment_text(lang: str, at: datetime) -> str:
    """A moment in Vietnam time, as its reader writes it (02/12/2026 09:30 or 2026-12-02 09:30)."""
    local = at.astimezone(VIETNAM)
    return f"{local:%d/%m/%Y %H:%M}" if lang == "vi" else f"{local:%Y-%m-%d %H:%M}"


def page(request: Request, template: str, lang: str, status: int = 200, **context: Any) -> HTMLResponse:
    def t(key: str) -> str:
        return message(f"web:{key}", lang)

    html = (
        _environment()
        .get_template(template)
        .render(
            request=request,
            lang=lang,
            t=t,
            money=lambda amount: format_vnd(amount, lang),
            day=lambda iso: day_text(lang, str(iso)),
            month=lambda text: month_text(lang, str(text)),
            moment=lambda at: moment_text(lang, at),
            said=lambda text: side(str(text), lang),
            has_t=lambda key: has_message(f"web:{key}"),
            **context,
        )
    )
    return HTMLResponse(html, status_code=status)


def say(lang: str, key: str, /, **fields: object) -> str:
    """The web's catalogue message ``key`` in ``lang``, its fields filled in."""
    return message(f"web:{key}", lang, **fields)


def error_page(request: Request, status: int, title: str, detail: str, error: LedgerError | None) -> HTMLResponse:
    """A refusal or an error, as a page in the reader's language (the API answers problem+json).

    A domain error is told from its facts (``ledger.told``); the page's back button returns to the
    form with what was typed still in it."""
    lang = reader_lang(request)
    told = explain(error, lang) if error is not None else None
    if told is None and status < 500:
        told = fallback(status, detail, lang)
    back = form_page(request) if status < 500 and request.method == "POST" else None
    return page(request, "message.html", lang, status, message=told or title, user=None, back=back)


def form_page(request: Request) -> str:
    """The page a refused form came from, asked to fill the form in again (``static/forms.js``).

    The form's own page when the browser says it (the Referer, this site's), else the page that
    holds the form; a form sent from the page that asked to confirm it goes back to the form's page."""
    action = request.url.path
    came_from = urlsplit(request.headers.get("referer", ""))
    if came_from.netloc == request.url.netloc and came_from.path not in ("", action):
        query = [(k, v) for k, v in parse_qsl(came_from.query) if k not in ("retry", "done")]
        return f"{came_from.path}?{urlencode([*query, ('retry', action)])}"
    home = next((page for prefix, page in FORM_PAGES if action.startswith(prefix)), "/")
    if home == "/treasurer/transactions/":
        home = action.removesuffix("/reverse")
    return f"{home}?{urlencode([('retry', action)])}"


FORM_PAGES = (
    ("/treasurer/cash", "/treasurer/cash"),
    ("/treasurer/suspense", "/treasurer/suspense"),
    ("/treasurer/transactions/", "/treasurer/transactions/"),
    ("/treasurer/bank", "/treasurer/bank"),
    ("/treasurer/run", "/treasurer/run"),
    ("/treasurer/import", "/treasurer/import"),
    ("/treasurer", "/treasurer"),
    ("/admin", "/admin"),
    ("/sponsor", "/sponsor"),
)
