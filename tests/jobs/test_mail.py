"""Statements and arrears reminders reach sponsors by e-mail, through a real SMTP server on loopback."""

from __future__ import annotations

import email
import socket
from datetime import UTC, date, datetime

import pytest
import zxingcpp
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from PIL import Image
from sqlalchemy import select, update
from sqlmodel import Session

from jobs import runner
from jobs.mail import Mailer
from ledger.access.models import AuditEvent
from ledger.db import run_in_transaction
from ledger.months import Month, today_in_vietnam
from ledger.register.models import Child, Pledge, Sponsor
from ledger.schedule.models import StoredStatement
from ledger.schedule.plans import job_specs
from ledger.vietqr import fields, parse
from pdf_templates.verify import verify_statement
from tests.statements.conftest import load_small_demo


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[email.message.Message] = []

    def handle_message(self, message: email.message.Message) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield Mailer("127.0.0.1", port, "Hoi LHPN <no-reply@hoilhpn.vn>"), inbox
    controller.stop()


def test_statements_are_stored_and_emailed_once(database, smtp):
    mailer, inbox = smtp
    load_small_demo(database, children=12, sponsors=10, months=2)
    run_in_transaction(database.engine, lambda s: s.execute(update(Sponsor).values(email=Sponsor.code + "@example.vn")))
    with Session(database.engine) as session:
        spec = runner.spec_of(session, "sponsor-statements:hp-an-lao")
        codes = set(
            session.scalars(
                select(Sponsor.code).where(
                    Sponsor.branch_id == select(Sponsor.branch_id).where(Sponsor.code == "MDD000001").scalar_subquery()
                )
            )
        )
    period = str(Month.of(today_in_vietnam()).previous())
    outcome = runner.run_job(
        database.engine, spec, period, scheduled_for=datetime.now(UTC), trigger="run-now", mailer=mailer
    )
    assert outcome.status == "succeeded" and outcome.counts["emailed"] == len(inbox.messages) > 0
    assert {m["To"].split("@")[0] for m in inbox.messages} <= codes
    message = inbox.messages[0]
    (attachment,) = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    pdf = attachment.get_payload(decode=True)
    with Session(database.engine) as session:
        assert verify_statement(session, pdf).ok
        stored = session.scalars(select(StoredStatement).where(StoredStatement.period == period)).all()
        assert all(s.emailed_at is not None for s in stored if s.subject in codes)
        issued = session.execute(
            select(AuditEvent.subject, AuditEvent.actor, AuditEvent.door).where(AuditEvent.action == "statement.issue")
        ).all()
        assert sorted(issued) == sorted((f"statement:sponsor:{s.subject}", "scheduler", "job") for s in stored)
    # The same period again (a retry, a second worker): nothing stored or sent twice.
    again = runner.run_now(database.engine, spec.id, period=period, mailer=mailer)
    assert again.status == "skipped" and len(inbox.messages) == outcome.counts["emailed"]


def test_arrears_reminders_carry_a_vietqr_code_for_what_is_owed(database, smtp, tmp_path):
    mailer, inbox = smtp
    load_small_demo(database, children=12, sponsors=10, months=2)
    run_in_transaction(
        database.engine, lambda s: s.execute(update(Sponsor).values(email="x@example.vn", language="en"))
    )
    start = Month.of(today_in_vietnam()).previous().previous()

    def new_pledge(session: Session) -> None:  # a pledge nobody has paid yet: three months in arrears
        sponsor = session.scalar(select(Sponsor).where(Sponsor.code == "MDD000001"))
        child = session.scalar(select(Child).where(Child.date_of_birth > date(2016, 1, 1)).order_by(Child.code))
        session.add(Pledge(code="P-900001", sponsor_id=sponsor.id, child_id=child.id, monthly_amount=400_000,
                           start_month=start.first_day))  # fmt: skip

    run_in_transaction(database.engine, new_pledge)
    owing = 0
    with Session(database.engine) as session:
        reminders = [spec for spec in job_specs(session) if spec.kind == "arrears-reminders"]
    assert reminders
    for spec in reminders:
        outcome = runner.run_job(
            database.engine, spec, "2026-W48", scheduled_for=datetime.now(UTC), trigger="run-now", mailer=mailer
        )
        assert outcome.status == "succeeded"
        owing += outcome.counts["in_arrears"]
    assert owing == len(inbox.messages) > 0, "the demo has sponsors behind with their payments"
    message = inbox.messages[0]
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    (png,) = [p for p in message.walk() if p.get_content_type() == "image/png"]
    path = tmp_path / "qr.png"
    path.write_bytes(png.get_payload(decode=True))
    (decoded,) = zxingcpp.read_barcodes(Image.open(path))
    top = parse(decoded.text)
    reference = fields(top["62"])["08"]
    assert reference in text and f"{int(top['54']):,}" in text  # the amount owed, as written in the e-mail
    assert int(top["54"]) >= 3 * 400_000
