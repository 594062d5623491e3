"""A small province for the API: two communes (An Lão, Tiên Lãng) with three months of history,
a user of every role, and an HTTP client on the real application.

Built once per test module (the demo generator, three months), in the test database of the
run: SQLite, or a PostgreSQL schema when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from api.app import create_app
from ledger.access.users import add_user
from ledger.db import run_in_transaction
from ledger.demo import load_demo
from ledger.models import Branch
from ledger.register.models import Child, Payment, Pledge, Sponsor
from tests.conftest import TestDatabase, make_test_database

PASSWORD = "mat-khau-thu-nghiem"
IN, OUT = "hp-an-lao", "hp-tien-lang"


@dataclass
class Codes:
    """Codes of things in An Lão (in scope of its staff) and in Tiên Lãng (out of it)."""

    child: dict[str, str] = field(default_factory=dict)
    sponsor: dict[str, str] = field(default_factory=dict)
    pledge: dict[str, str] = field(default_factory=dict)
    payment: dict[str, int] = field(default_factory=dict)
    payment_transaction: dict[str, int] = field(default_factory=dict)
    group: dict[str, str] = field(default_factory=dict)
    sponsor_user_sponsor: str = ""
    sponsor_user_child: str = ""


@dataclass
class World:
    database: TestDatabase
    client: TestClient
    codes: Codes
    app: FastAPI
    tokens: dict[str, str] = field(default_factory=dict)

    def login(self, name: str, password: str = PASSWORD) -> dict[str, str]:
        if name not in self.tokens:
            response = self.client.post("/api/v1/auth/token", data={"username": name, "password": password})
            assert response.status_code == 200, response.text
            self.tokens[name] = response.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[name]}"}


USERS = {
    # name: (role, branch, include_below)
    "admin": ("admin", None, True),
    "thu-quy-an-lao": ("treasurer", IN, True),
    "thu-quy-xa-an-lao": ("treasurer", IN, False),  # the commune only, not its village groups
    "kiem-toan-an-lao": ("auditor", IN, True),
    "du-phong": ("treasurer", OUT, True),  # whose password the tests change
}


def _codes(session: Session) -> Codes:
    codes = Codes()
    branch = {b.id: b.code for b in session.scalars(select(Branch))}

    def commune_of(branch_id: int) -> str:
        return IN if branch[branch_id].startswith(IN) else OUT

    for side in (IN, OUT):
        pledge, sponsor, child = next(
            (p, s, c)
            for p, s, c in session.execute(
                select(Pledge, Sponsor, Child)
                .join(Sponsor, Sponsor.id == Pledge.sponsor_id)
                .join(Child, Child.id == Pledge.child_id)
                .order_by(Pledge.code)
            )
            if commune_of(s.branch_id) == side
            and commune_of(c.branch_id) == side
            and session.scalar(select(Payment.id).where(Payment.sponsor_id == s.id).limit(1)) is not None
        )
        codes.pledge[side], codes.sponsor[side], codes.child[side] = pledge.code, sponsor.code, child.code
        codes.group[side] = branch[child.branch_id]
        payment = session.scalar(select(Payment).where(Payment.sponsor_id == sponsor.id).order_by(Payment.id))
        assert payment is not None and payment.id is not None
        codes.payment[side] = payment.id
        codes.payment_transaction[side] = payment.transaction_id
    codes.sponsor_user_sponsor = codes.sponsor[IN]
    codes.sponsor_user_child = codes.child[IN]
    return codes


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[World]:
    for database in make_test_database(tmp_path_factory.mktemp("api"), sqlite_template):
        load_demo(database.engine, children=60, sponsors=50, months=3, communes=2)

        def setup(session: Session) -> Codes:
            codes = _codes(session)
            for name, (role, branch, below) in USERS.items():
                add_user(session, name=name, role=role, password=PASSWORD, branch=branch, include_below=below)
            add_user(session, name="nha-tai-tro", role="sponsor", password=PASSWORD, sponsor=codes.sponsor[IN])
            return codes

        codes = run_in_transaction(database.engine, setup)
        app = create_app(database.engine)
        yield World(database, TestClient(app, raise_server_exceptions=False), codes, app)
