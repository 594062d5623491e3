"""What the web's pages check before they show or change anything: who reads, who writes, where.

Rights themselves are the domain's (``ledger.access``); these only turn the signed-in user and
the form into the actor and branch a domain function is called with.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session, col, select

from api import scoping
from api.web.session import FormExpired, WebUser, csrf_ok, page, web_user
from ledger.models import Branch


def require_staff(user: WebUser) -> None:
    user.scope.require_staff()


def home_branch(db: Session, user: WebUser, code: str | None) -> Branch:
    """The branch a page is about: the one asked for (if the reader sees it), else the reader's own,
    else the first top branch (an administrator's)."""
    if code:
        return scoping.branch(db, user.scope, code)
    if user.scope.home_branch_id is not None:
        found = db.get(Branch, user.scope.home_branch_id)
        assert found is not None
        return found
    found = db.scalar(select(Branch).where(col(Branch.parent_id).is_(None)).order_by(col(Branch.code)))
    assert found is not None
    return found


def reader_form(request: Request, csrf: str) -> WebUser:
    """The signed-in staff member sending a form that only reads (an auditor may): the form must be this session's."""
    user = web_user(request)
    if not csrf_ok(csrf, user.token):
        raise FormExpired()
    require_staff(user)
    return user


def writer(request: Request, csrf: str) -> WebUser:
    """The signed-in user sending a form: the form must be this session's own (CSRF) and the user a writer."""
    user = web_user(request)
    if not csrf_ok(csrf, user.token):
        raise FormExpired()
    user.scope.require_writer()
    return user


def writer_at_home(request: Request, db: Session, csrf: str) -> tuple[WebUser, Branch]:
    """A writer's form about their own branch (and those below it): the user and the branch."""
    user = writer(request, csrf)
    home = home_branch(db, user, None)
    scoping.writable_branch(db, user.scope, home.code)
    return user, home


def back_to(path: str, done: str) -> RedirectResponse:
    """Back to ``path`` after a form, saying what was done."""
    return RedirectResponse(f"{path}{'&' if '?' in path else '?'}done={quote(done)}", status_code=303)


def ask_first(
    request: Request,
    lang: str,
    user: WebUser,
    *,
    action: str,
    title: str,
    lines: list[str],
    fields: Mapping[str, str | list[str]],
    back: str,
    warning: str | None = None,
    refusal: str | None = None,
    the_month: str = "",
) -> HTMLResponse:
    """The page that says what a form will do and asks once; with a ``warning``, it asks again (a checkbox);
    with a ``refusal``, it says why it cannot be done and offers only the way back."""
    return page(
        request, "confirm.html", lang, user=user, action=action, title=title, lines=lines, fields=fields, back=back,
        warning=warning, refusal=refusal, the_month=the_month,
    )  # fmt: skip
