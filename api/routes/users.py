"""Administrators manage users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from sqlmodel import Session, col, select

from api.deps import CurrentUser, SessionDep, in_own_transaction, signed_in_users
from api.schemas import auth as schemas
from ledger.access import users
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
    return [user_out(db, u) for u in db.scalars(select(User).order_by(col(User.name)))]


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
        actor=scope,
    )
    db.commit()
    return user_out(db, user)


@router.post("/{name}/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    name: UserName, body: schemas.PasswordChange, request: Request, db: SessionDep, scope: CurrentUser
) -> Response:
    """Anyone may change their own password, giving the current one; administrators reset anyone
    else's. Every token of the user is revoked."""
    await in_own_transaction(
        request,
        db,
        lambda s: users.set_password(s, name=name, password=body.password, current=body.current_password, actor=scope),
    )
    signed_in_users(request).forget(user=name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{name}/disable", response_model=schemas.UserOut)
async def disable_user(name: UserName, request: Request, db: SessionDep, scope: CurrentUser) -> schemas.UserOut:
    user = users.disable_user(db, name=name, actor=scope)
    db.commit()
    signed_in_users(request).forget(user=name)
    return user_out(db, user)
