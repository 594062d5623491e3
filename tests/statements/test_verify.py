"""A statement carries a code binding it to the ledger; verification says whether it still holds."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
import weasyprint
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select
from sqlmodel import Session

from ledger.accounts import AccountKey
from ledger.db import run_in_transaction
from ledger.disbursement.models import Handover
from ledger.models import Disbursement
from ledger.posting import Entry, Leg, post, reverse
from ledger.register.models import Child, Sponsor
from ledger.register.payments import record_payment
from ledger.statements.document import verification_code
from pdf_templates import ATTACHMENT, render_html
from pdf_templates.render import STATIC, OwnAssetsOnly
from pdf_templates.verify import verify_statement
from tests.factories import admin
from tests.statements.conftest import load_small_demo


@pytest.fixture
def small(database):
    month = load_small_demo(database, children=12, sponsors=10, months=2)
    return database, month


def _issue(database, month, kind="sponsor", subject=None):
    from ledger.statements.document import Period, StatementRequest
    from ledger.statements.issue import gather
    from pdf_templates import render_pdf

    with Session(database.engine) as session:
        subject = subject or session.scalar(select(Sponsor.code).order_by(Sponsor.code))
        document = gather(session, StatementRequest(kind, subject, Period.month(month)), issued_on=month.last_day)
    return document, render_pdf(document, "vi")


def _verify(database, pdf):
    with Session(database.engine) as session:
        return verify_statement(session, pdf)


def test_an_untouched_statement_matches_the_ledger(small):
    database, month = small
    for kind, subject in (("sponsor", None), ("treasurer", "hp-an-lao"), ("audit", "hp-an-lao")):
        document, pdf = _issue(database, month, kind, subject)
        verdict = _verify(database, pdf)
        assert verdict.ok, verdict
        assert verdict.code == verification_code(document)
        assert [c.name for c in verdict.checks] == ["statement", "signature", "code", "pages", "ledger"]


def test_a_payment_posted_back_into_the_period_is_reported(small):
    database, month = small
    document, pdf = _issue(database, month)
    sponsor = document["request"]["subject"]
    run_in_transaction(
        database.engine,
        lambda s: record_payment(
            s,
            sponsor=sponsor,
            amount=300_000,
            paid_on=month.first_day + timedelta(days=9),
            method="cash",
            actor=admin("test"),
        ),
    )
    verdict = _verify(database, pdf)
    assert not verdict.ok
    assert [c.name for c in verdict.checks if not c.ok] == ["ledger"]
    assert any("body.payments" in d for d in verdict.differences), verdict.differences
    assert any("300.000" in d for d in verdict.differences)


def test_a_reversed_disbursement_changes_what_reached_the_child(small):
    database, month = small
    document, pdf = _issue(database, month, "treasurer", "hp-an-lao")
    with Session(database.engine) as session:
        txn, handover = session.execute(
            select(Disbursement.transaction_id, Handover.transaction_id)
            .join(Child, Child.code == Disbursement.child_code)
            .outerjoin(Handover, (Handover.child_id == Child.id) & (Handover.month == Disbursement.month))
            .where(Disbursement.month == month.first_day)
        ).first()
    for wrong in (handover, txn):  # the money goes back from the guardian, then out of the disbursement
        if wrong is not None:
            run_in_transaction(
                database.engine,
                lambda s, wrong=wrong: reverse(
                    s, wrong, description="sai", posted_by="test", effective_date=month.last_day
                ),
            )
    verdict = _verify(database, pdf)
    assert not verdict.ok and any("disbursed" in d for d in verdict.differences), verdict.differences


def test_a_bank_fee_posted_back_into_the_month_is_reported(small):
    database, month = small
    document, pdf = _issue(database, month, "treasurer", "hp-an-lao")
    bank = document["body"]["cash"][0]["account"]
    fee = Entry(
        month.first_day + timedelta(days=4),
        "Phí chuyển khoản",
        (Leg(AccountKey("hp-an-lao", "expenses:bank-fees"), 7_700), Leg(AccountKey("hp-an-lao", bank), -7_700)),
        posted_by="test",
    )
    run_in_transaction(database.engine, lambda s: post(s, fee))
    verdict = _verify(database, pdf)
    assert not verdict.ok
    assert any("body.cash[0].out" in d for d in verdict.differences), verdict.differences


def test_edited_figures_or_pages_are_caught(small):
    database, month = small
    document, pdf = _issue(database, month)

    # 1. The attached figures changed, the code left as it was.
    reader = PdfReader(io.BytesIO(pdf))
    attached = json.loads(reader.attachments[ATTACHMENT][0])
    attached["document"]["body"]["totals"]["arrears"] = 0 if attached["document"]["body"]["totals"]["arrears"] else 1
    writer = PdfWriter(clone_from=reader)
    writer.attachments  # noqa: B018  (pypdf builds the name tree lazily)
    writer._root_object["/Names"].get_object().pop("/EmbeddedFiles")  # drop the original attachment
    writer.add_attachment(ATTACHMENT, json.dumps(attached).encode())
    out = io.BytesIO()
    writer.write(out)
    verdict = _verify(database, out.getvalue())
    assert not next(c for c in verdict.checks if c.name == "code").ok

    # 2. Pages painted with other figures, the original document attached.
    forged = json.loads(json.dumps(document))
    forged["body"]["sponsor"]["name"] = "Người khác"
    html = render_html(forged, "vi").replace(verification_code(forged), verification_code(document))
    attachment = json.dumps({"code": verification_code(document), "lang": "vi", "document": document})
    forged_pdf = weasyprint.HTML(string=html, base_url=str(STATIC), url_fetcher=OwnAssetsOnly()).write_pdf(
        attachments=[weasyprint.Attachment(string=attachment, name=ATTACHMENT)]
    )
    verdict = _verify(database, forged_pdf)
    failed = [c.name for c in verdict.checks if not c.ok]
    assert failed == ["pages"], verdict.checks


def test_a_file_that_is_no_statement_says_so(small):
    database, _ = small
    assert "cannot be read" in _verify(database, b"%PDF-1.7 not really").checks[0].detail
    plain = weasyprint.HTML(string="<p>hello</p>").write_pdf()
    verdict = _verify(database, plain)
    assert not verdict.ok and "carries no godmother statement" in verdict.checks[0].detail
