"""Administrators manage users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from sqlalchemy import select
from sqlmodel import Session

from api import schemas
from api.deps import CurrentUser, SessionDep, signed_in_users
from ledger.access import audit, users
from ledger.access.models import User
from ledger.models import Branch
from ledger.register.models import Sponsor

router = APIRouter(prefix="/users", tags=["users"])
UserName = Annotated[str, Path(max_length=100)]


def user_out(db: Session, user: User) -> schemas.UserOut:
    branch = db.get(Branch, user.branch_id) if user.branch_id else None
    sponsor = db.get(Sponsor, user.sponsor_id) if user.sponsor_id else None
    return schemas.UserOut(
        name=user.name,
        role=user.role,
        branch=branch.code if branch else None,
        include_below=user.include_below,
        sponsor=sponsor.code if sponsor else None,
        disabled=user.disabled_at is not None,
    )


@router.get("", response_model=list[schemas.UserOut])
async def list_users(db: SessionDep, scope: CurrentUser) -> list[schemas.UserOut]:
    scope.require_admin()
    return [user_out(db, u) for u in db.scalars(select(User).order_by(User.name))]


@router.post("", response_model=schemas.UserOut, status_code=status.HTTP_201_CREATED)
async def add_user(body: schemas.UserCreate, db: SessionDep, scope: CurrentUser) -> schemas.UserOut:
    scope.require_admin()
    user = users.add_user(
        db,
        name=body.name,
        role=body.role,
        password=body.password,
        branch=body.branch,
        include_below=body.include_below,
        sponsor=body.sponsor,
    )
    audit.record(db, actor=scope, action="user.add", subject=f"user:{user.name}", detail={"role": user.role})
    db.commit()
    return user_out(db, user)


@router.post("/{name}/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    name: UserName, body: schemas.PasswordChange, request: Request, db: SessionDep, scope: CurrentUser
) -> Response:
    """Administrators set anyone's password; anyone may set their own. Every token of the user is revoked."""
    if name != scope.user:
        scope.require_admin()
    users.set_password(db, name=name, password=body.password)
    audit.record(db, actor=scope, action="user.passwd", subject=f"user:{name}")
    db.commit()
    signed_in_users(request).forget(user=name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{name}/disable", response_model=schemas.UserOut)
async def disable_user(name: UserName, request: Request, db: SessionDep, scope: CurrentUser) -> schemas.UserOut:
    scope.require_admin()
    user = users.disable_user(db, name=name)
    audit.record(db, actor=scope, action="user.disable", subject=f"user:{name}")
    db.commit()
    signed_in_users(request).forget(user=name)
    return user_out(db, user)
