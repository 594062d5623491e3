"""The administrator's pages: users and their roles, branches and their settings, the rule parameters."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select

from api.deps import SessionDep, in_own_transaction, rehearsed, signed_in_users
from api.web.guards import ask_first, back_to, writer
from api.web.session import page, reader_lang, say, web_user
from ledger.access import users
from ledger.access.models import User
from ledger.backup.status import backup_status, recent_copies
from ledger.branch_settings import SETTINGS, set_branch_setting, settings_in_force
from ledger.eligibility.parameters import load
from ledger.models import Branch
from ledger.register.models import Sponsor
from ledger.schedule.timetable import parse_when
from ledger.settings import Settings

router = APIRouter(include_in_schema=False)


@router.get("/admin", response_class=HTMLResponse)
async def admin_page(
    request: Request, db: SessionDep, done: Annotated[str | None, Query(max_length=300)] = None
) -> Response:
    user = web_user(request)
    user.scope.require_admin()
    branches = list(db.scalars(select(Branch).order_by(col(Branch.code))))
    names = {b.id: b.code for b in branches}
    sponsors = dict(db.execute(select(Sponsor.id, Sponsor.code)).all())
    people = [
        (u, names.get(u.branch_id) if u.branch_id else None, sponsors.get(u.sponsor_id) if u.sponsor_id else None)
        for u in db.scalars(select(User).order_by(col(User.name)))
    ]
    in_force = {s.name: settings_in_force(db, [b.id for b in branches], s) for s in SETTINGS.values()}
    settings = {b.code: {name: values[b.id] for name, values in in_force.items()} for b in branches}
    return page(
        request, "admin.html", reader_lang(request), user=user, people=people, branches=branches,
        settings=settings, names=list(SETTINGS), parameters=load(), done=done, backup=backup_status(db),
        copies=recent_copies(db), backup_plan=_backup_plan(Settings()),
    )  # fmt: skip


def _backup_plan(settings: Settings) -> dict[str, object]:
    """The deployment's backup settings, as the admin page shows them."""
    when = parse_when(settings.backup_schedule, "day", "02:00")
    return {"at": f"{when.at:%H:%M}" if when else None, "keep": settings.backup_keep,
            "second": bool(settings.backup_copy_to)}  # fmt: skip


@router.post("/admin/users")
async def add_user(
    request: Request,
    db: SessionDep,
    name: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(pattern="^(admin|treasurer|auditor|sponsor)$")],
    password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=64)],
    branch: Annotated[str, Form(max_length=64)] = "",
    sponsor: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    user = writer(request, csrf)
    user.scope.require_admin()

    def work(session: Session) -> str:
        added = users.add_user(
            session, name=name, role=role, password=password, branch=branch or None, sponsor=sponsor or None,
            actor=user.scope,
        )  # fmt: skip
        return added.name

    added = await in_own_transaction(request, db, work)
    return back_to("/admin", f"+ {added} ({role})")


@router.post("/admin/users/{name}/disable")
async def disable_user(
    request: Request,
    db: SessionDep,
    name: str,
    csrf: Annotated[str, Form(max_length=64)],
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    user = writer(request, csrf)
    user.scope.require_admin()

    def work(session: Session) -> None:
        users.disable_user(session, name=name, actor=user.scope)

    lang = reader_lang(request)
    if confirmed != "yes":
        await rehearsed(request, db, work)
        title = say(lang, "disable_title", name=name)
        lines = [say(lang, "disable_help", name=name)]
        return ask_first(request, lang, user, action=f"/admin/users/{quote(name)}/disable", title=title, lines=lines,
                         fields={"csrf": csrf}, back="/admin")  # fmt: skip

    await in_own_transaction(request, db, work)
    signed_in_users(request).forget(user=name)
    return back_to("/admin", f"− {name}")


@router.post("/admin/settings")
async def set_setting(
    request: Request,
    db: SessionDep,
    branch: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=64)],
    value: Annotated[str, Form(max_length=64)],
    csrf: Annotated[str, Form(max_length=64)],
) -> Response:
    user = writer(request, csrf)
    user.scope.require_admin()

    def work(session: Session) -> None:
        set_branch_setting(session, branch=branch, name=name, value=value, actor=user.scope)

    await in_own_transaction(request, db, work)
    return back_to("/admin", f"{branch}: {name} = {value}")
