"""Signing in and out, and who am I."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlmodel import Session

from api.deps import CurrentUser, SessionDep, TokenDep, signed_in_users, signing_in
from api.schemas import auth as schemas
from ledger.access import users
from ledger.access.models import User
from ledger.models import Branch
from ledger.register.models import Sponsor

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=schemas.TokenOut)
async def sign_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, db: SessionDep
) -> schemas.TokenOut:
    """OAuth2 password flow: a bearer token valid for 30 minutes.

    After 5 failed attempts on one name (or 30 from one address) within 15 minutes, sign-in is
    refused (429) until the window has passed, whatever the password.
    """
    issued = await signing_in(request, db, form.username, form.password)
    return schemas.TokenOut(
        access_token=issued.token,
        expires_at=issued.expires_at,
        expires_in=int((issued.expires_at - datetime.now(UTC)).total_seconds()),
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def sign_out(raw: TokenDep, _: CurrentUser, request: Request, db: SessionDep) -> Response:
    """Revoke the token used for this request."""
    users.sign_out(db, raw)
    db.commit()
    signed_in_users(request).forget(token=raw)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=schemas.Me)
async def me(scope: CurrentUser, db: SessionDep) -> schemas.Me:
    user = users.get_user(db, scope.user)
    return _me(db, user)


def _me(db: Session, user: User) -> schemas.Me:
    branch = db.get(Branch, user.branch_id) if user.branch_id else None
    sponsor = db.get(Sponsor, user.sponsor_id) if user.sponsor_id else None
    return schemas.Me(
        name=user.name,
        role=user.role,
        branch=branch.code if branch else None,
        include_below=user.include_below if branch else None,
        sponsor=sponsor.code if sponsor else None,
    )
