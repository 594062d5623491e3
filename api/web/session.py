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

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.deps import signed_in_users
from api.i18n import language
from api.web.text import TEXT
from ledger.access.actor import Actor, NotSignedIn
from ledger.money import format_vnd
from ledger.months import VIETNAM
from pdf_templates.render import day_text, month_text, qr_svg

COOKIE = "godmother_session"
LANG_COOKIE = "lang"
PRE_CSRF_COOKIE = "godmother_form"
HERE = Path(__file__).resolve().parent


class SignInRequired(Exception):
    """The page needs a signed-in user: the handler sends the browser to the sign-in page."""


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
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return chosen if chosen in ("vi", "en") else language(request.headers.get("accept-language"))


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
        vi, en = TEXT[key]
        return vi if lang == "vi" else en

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
            **context,
        )
    )
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    """A refusal or an error, as a page in the reader's language (the API answers problem+json)."""
    lang = reader_lang(request)
    return page(request, "message.html", lang, status, message=detail if status < 500 else title, user=None)
