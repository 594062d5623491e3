"""Branch settings are inherited down the tree; read for many branches at once, they are the same
as read one by one."""

from __future__ import annotations

from sqlmodel import Session, select

from ledger.branch_settings import (
    FOUR_EYES,
    RECONCILED_BEFORE_CLOSE,
    set_branch_setting,
    setting_in_force,
    settings_in_force,
)
from ledger.db import run_in_transaction
from ledger.models import Branch
from tests.factories import admin, commune


def test_settings_read_in_bulk_agree_with_one_by_one_and_inherit_downwards(engine):
    commune(engine, "hp", children=())
    for code in ("an-lao", "tien-lang"):
        commune(engine, code, children=(), parent="hp")
    commune(engine, "an-lao-1", children=(), parent="an-lao")
    changes = [("hp", "four-eyes", "on"), ("tien-lang", "four-eyes", "off"), ("an-lao", "reconciled-before-close", "on"),
               ("an-lao", "reconciled-before-close", "off"), ("an-lao", "reconciled-before-close", "on")]  # fmt: skip
    for branch, name, value in changes:
        run_in_transaction(
            engine, lambda s, b=branch, n=name, v=value: set_branch_setting(s, branch=b, name=n, value=v, actor=admin())
        )
    with Session(engine) as session:
        ids = {b.code: b.id for b in session.scalars(select(Branch))}
        for setting in (FOUR_EYES, RECONCILED_BEFORE_CLOSE):
            bulk = settings_in_force(session, ids.values(), setting)
            assert bulk == {i: setting_in_force(session, i, setting) for i in ids.values()}
        four_eyes = settings_in_force(session, ids.values(), FOUR_EYES)
        assert {code: four_eyes[i] for code, i in ids.items()} == {
            "hp": "on", "an-lao": "on", "an-lao-1": "on", "tien-lang": "off"
        }  # fmt: skip
        closing = settings_in_force(session, [ids["an-lao-1"], ids["tien-lang"]], RECONCILED_BEFORE_CLOSE)
        assert closing == {ids["an-lao-1"]: "on", ids["tien-lang"]: RECONCILED_BEFORE_CLOSE.default}
