"""The public account: the ledger's own movements, no child anywhere, small groups hidden, cached."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from api.app import create_app
from api.web import public
from ledger.access.actor import SPONSOR, TREASURER, Actor
from ledger.access.scope import NotFound
from ledger.balances import trial_balance
from ledger.db import run_in_transaction
from ledger.models import Branch
from ledger.public_account import MIN_GROUP, public_month, set_anonymous
from ledger.register.models import Child, Payment, Sponsor
from tests.statements.conftest import load_small_demo, pages_text


@pytest.fixture
def demo(database):
    month = load_small_demo(database, children=30, sponsors=20, months=3)
    public._kept.clear()
    return database, month


def _assets(session: Session, day) -> int:
    return sum(
        line.balance
        for line in trial_balance(session, branch="hp", as_of=day, include_descendants=True).lines
        if line.type.value == "asset"
    )


def test_the_totals_are_the_trial_balance_movements_of_the_month(demo):
    database, month = demo
    with Session(database.engine) as session:
        account = public_month(session, "hp", month)
        moved = _assets(session, month.last_day) - _assets(session, month.previous().last_day)
        funds = -sum(
            line.balance
            for line in trial_balance(session, branch="hp", as_of=month.last_day, include_descendants=True).lines
            if line.account.startswith("liabilities:fund:")
        )
    assert account.received_from_sponsors > 0 and account.paid_total > 0
    assert account.money_movement == moved
    assert account.held_in_funds == funds
    assert all(line.children is None or line.children >= MIN_GROUP for line in account.paid_out)
    assert all(line.program == "" or line.children is not None for line in account.paid_out)


def test_no_child_or_guardian_appears_in_the_page_the_csv_or_the_pdf(demo):
    database, month = demo
    with Session(database.engine) as session:
        children = list(session.scalars(select(Child)))
        sponsors = set(session.scalars(select(Sponsor.name)))
    with TestClient(create_app(database.engine)) as client:
        html = client.get(f"/cong-khai/hp?month={month}").text
        csv_text = client.get(f"/cong-khai/hp.csv?month={month}").content.decode("utf-8-sig")
        pdf = client.get(f"/cong-khai/hp.pdf?month={month}").content
    assert "Công khai tài chính" in html and pdf.startswith(b"%PDF")
    pdf_text = " ".join(pages_text(pdf))
    for child in children:
        secrets = [child.code, child.date_of_birth.isoformat(), f"{child.date_of_birth:%d/%m/%Y}"]
        secrets += [name for name in (child.full_name, child.guardian_name) if name not in sponsors]
        for secret in secrets:
            for where, text in (("page", html), ("csv", csv_text), ("pdf", pdf_text)):
                assert secret not in text, (where, secret)


def test_a_sponsor_who_asks_is_counted_not_named(demo):
    database, month = demo
    with Session(database.engine) as session:
        paid = session.execute(
            select(Sponsor.code, Sponsor.name, Sponsor.id)
            .join(Payment, Payment.sponsor_id == Sponsor.id)
            .where(Payment.paid_on >= month.first_day, Payment.paid_on <= month.last_day)
            .limit(1)
        ).one()
        before = public_month(session, "hp", month)
    assert paid.name in dict(before.sponsors)
    her = Actor("nha-tai-tro", SPONSOR, frozenset(), sponsor_id=paid.id)
    run_in_transaction(database.engine, lambda s: set_anonymous(s, actor=her, sponsor=paid.code, anonymous=True))
    with Session(database.engine) as session:
        after = public_month(session, "hp", month)
    assert paid.name not in dict(after.sponsors) and after.anonymous_sponsors >= 1
    assert after.received_from_sponsors == before.received_from_sponsors


def test_only_the_sponsor_or_her_branch_may_choose(demo):
    database, _ = demo
    with Session(database.engine) as session:
        sponsor = session.scalar(select(Sponsor).order_by(Sponsor.code))
        elsewhere = session.scalar(
            select(Branch.id).where(Branch.id != sponsor.branch_id, Branch.parent_id.is_not(None))
        )
    stranger = Actor("thu-quy-khac", TREASURER, frozenset({elsewhere}))
    with pytest.raises(NotFound):
        run_in_transaction(
            database.engine, lambda s: set_anonymous(s, actor=stranger, sponsor=sponsor.code, anonymous=True)
        )


def test_a_crowd_of_readers_costs_one_computation(demo):
    database, month = demo
    with TestClient(create_app(database.engine)) as client:
        before = public.computed
        for _ in range(5):
            assert client.get(f"/cong-khai/hp?month={month}").status_code == 200
        assert public.computed == before + 1
        assert client.get("/cong-khai/khong-co?month=2026-01").status_code == 404
