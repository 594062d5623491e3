"""Branches over HTTP: the tree, and a branch's settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlmodel import Session, col, select

from api import scoping
from api.deps import CurrentUser, SessionDep
from api.routes.common import Code
from api.schemas import register as schemas
from ledger import branch_settings
from ledger.models import Branch

router = APIRouter(tags=["register"])


def branch_out(db: Session, branch: Branch) -> schemas.BranchOut:
    parent = db.get(Branch, branch.parent_id) if branch.parent_id else None
    assert branch.id is not None
    four_eyes = branch_settings.setting_in_force(db, branch.id, branch_settings.FOUR_EYES) == "on"
    return schemas.BranchOut(
        code=branch.code,
        name=branch.name,
        level=branch.level,
        province=branch.province,
        parent=parent.code if parent else None,
        four_eyes=four_eyes,
    )


@router.get("/branches", response_model=list[schemas.BranchOut])
async def list_branches(db: SessionDep, scope: CurrentUser) -> list[schemas.BranchOut]:
    """The branches in your scope."""
    scope.require_staff()
    query = select(Branch).order_by(col(Branch.code))
    if not scope.is_admin:
        query = query.where(col(Branch.id).in_(scope.branch_ids or ()))
    return [branch_out(db, b) for b in db.scalars(query)]


@router.get("/branches/{code}", response_model=schemas.BranchOut)
async def get_branch(code: Code, db: SessionDep, scope: CurrentUser) -> schemas.BranchOut:
    return branch_out(db, scoping.branch(db, scope, code))


@router.put("/branches/{code}/settings/{name}", response_model=schemas.BranchOut)
async def set_branch_setting(
    code: Code,
    name: Annotated[str, Path(max_length=64, examples=["four-eyes"])],
    body: schemas.BranchSettingIn,
    db: SessionDep,
    scope: CurrentUser,
) -> schemas.BranchOut:
    """Change a branch setting (administrators); branches below inherit it. E.g. four-eyes on."""
    branch = scoping.branch(db, scope, code)
    branch_settings.set_branch_setting(db, branch=code, name=name, value=body.value, actor=scope)
    db.commit()
    return branch_out(db, branch)


# --- sponsors ---------------------------------------------------------------------------
