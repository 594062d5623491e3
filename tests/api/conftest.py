"""A small province for the API: two communes (An Lão, Tiên Lãng) with three months of history,
a user of every role, and an HTTP client on the real application.

Built once per test module (the demo generator, three months), in the test database of the
run: SQLite, or a PostgreSQL schema when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
from ledger.months import Month
from ledger.reconciliation import by_hand, reconcile, suspense
from ledger.reconciliation.importing import import_statement
from ledger.reconciliation.models import BankLine
from ledger.register.models import BankAccount, Child, Payment, Pledge, Sponsor
from ledger.schedule.models import Notice, StoredStatement
from ledger.statements.document import Period, StatementRequest, verification_code
from ledger.statements.issue import gather
from pdf_templates import render_pdf
from tests.conftest import TestDatabase, make_test_database
from tests.factories import admin

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
    bank: dict[str, str] = field(default_factory=dict)
    bank_line: dict[str, int] = field(default_factory=dict)  # a fee line, booked and matched
    match: dict[str, int] = field(default_factory=dict)
    suspense: dict[str, int] = field(default_factory=dict)  # an unknown credit's suspense transaction
    notice: dict[str, int] = field(default_factory=dict)
    stored_statement: dict[str, int] = field(default_factory=dict)


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


def _reconcile_a_little(database: TestDatabase, codes: Codes, side: str, folder: Path) -> None:
    """Each commune's bank account gets a statement with a fee (booked) and an unknown credit (suspense)."""
    with Session(database.engine) as session:
        bank = session.scalar(
            select(BankAccount.code).join(Branch, Branch.id == BankAccount.branch_id).where(Branch.code == side)
        )
    assert bank is not None
    path = folder / "sao-ke.csv"
    path.write_text(
        "SAO KÊ TÀI KHOẢN / STATEMENT OF ACCOUNT\n"
        "Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Mô tả\n"
        "02/01/2030,F1,1.100,,,PHI SMS\n"
        "03/01/2030,C1,,250.000,,KHONG RO NGUOI GUI\n",
        encoding="utf-8",
    )

    def work(session: Session) -> None:
        import_statement(session, path=path, account=bank, actor=admin("test"))
        reconcile.auto_match(session, account=bank, actor=admin("test"))
        fee = session.scalar(select(BankLine).where(BankLine.bank_reference == "F1", BankLine.description == "PHI SMS")
                             .order_by(BankLine.id.desc()))  # fmt: skip
        assert fee is not None
        codes.bank[side], codes.bank_line[side] = bank, fee.id  # type: ignore[assignment]
        codes.match[side] = by_hand.book_line(  # type: ignore[assignment]
            session, line_id=fee.id, account="expenses:bank-fees", description="Phí SMS", actor=admin("test")
        ).id
        waiting = [i for i in suspense.suspense_items(session) if i.branch == side and i.amount == 250_000]
        codes.suspense[side] = waiting[-1].transaction_id

    run_in_transaction(database.engine, work)


def _schedule_a_little(database: TestDatabase, codes: Codes, side: str) -> None:
    """A notice for each commune, and a stored statement for its sponsor, as the scheduler leaves them."""
    now = datetime.now(UTC)

    def work(session: Session) -> None:
        branch_id = session.scalar(select(Branch.id).where(Branch.code == side))
        notice = Notice(branch_id=branch_id, kind="health-card", subject=f"child:{codes.child[side]}", due_on=now.date(),
                        message_vi="Thẻ BHYT hết hạn", message_en="Health card expires", created_at=now)  # fmt: skip
        month = Month.of(now.date()).previous()
        document = gather(
            session, StatementRequest("sponsor", codes.sponsor[side], Period.month(month)), issued_on=now.date()
        )
        stored = StoredStatement(kind="sponsor", subject=codes.sponsor[side], period=str(month), lang="vi",
                                 code=verification_code(document), filename="s.pdf", pdf=render_pdf(document, "vi"),
                                 created_at=now)  # fmt: skip
        session.add_all([notice, stored])
        session.flush()
        codes.notice[side], codes.stored_statement[side] = notice.id, stored.id  # type: ignore[assignment]

    run_in_transaction(database.engine, work)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[World]:
    for database in make_test_database(tmp_path_factory.mktemp("api"), sqlite_template):
        load_demo(database.engine, children=60, sponsors=50, months=3, communes=2)

        def setup(session: Session) -> Codes:
            codes = _codes(session)
            for name, (role, branch, below) in USERS.items():
                add_user(session, name=name, role=role, password=PASSWORD, branch=branch, include_below=below,
                         actor=admin())  # fmt: skip
            add_user(session, name="nha-tai-tro", role="sponsor", password=PASSWORD, sponsor=codes.sponsor[IN],
                     actor=admin())  # fmt: skip
            return codes

        codes = run_in_transaction(database.engine, setup)
        for side in (IN, OUT):
            _reconcile_a_little(database, codes, side, tmp_path_factory.mktemp("bank"))
            _schedule_a_little(database, codes, side)
        app = create_app(database.engine)
        yield World(database, TestClient(app, raise_server_exceptions=False), codes, app)
