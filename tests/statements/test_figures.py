"""The figures printed on each statement are the ledger's, in the reader's language and conventions."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from ledger.models import Account, LedgerTransaction, Posting
from ledger.money import format_vnd
from ledger.register import pledges
from ledger.register.models import Child, Payment, Pledge, Sponsor
from ledger.statements.document import Period
from ledger.statements.trial_balance import balanced
from tests.statements.conftest import pages_text, squeeze


def a_sponsor_with_payments(world) -> Sponsor:
    with Session(world.database.engine) as session:
        return session.scalars(
            select(Sponsor)
            .join(Payment, Payment.sponsor_id == Sponsor.id)
            .where(Payment.paid_on >= world.month.first_day, Payment.paid_on <= world.month.last_day)
            .order_by(Sponsor.code)
        ).first()


def test_sponsor_statement_shows_the_ledgers_payments_arrears_and_what_reached_the_child(world):
    sponsor = a_sponsor_with_payments(world)
    month = world.month
    with Session(world.database.engine) as session:
        paid = session.scalar(
            select(func.sum(Payment.amount)).where(
                Payment.sponsor_id == sponsor.id, Payment.paid_on >= month.first_day, Payment.paid_on <= month.last_day
            )
        )
        owned = list(session.scalars(select(Pledge).where(Pledge.sponsor_id == sponsor.id)))
        owed = sum(pledges.arrears(session, p, month) for p in owned)
        children = list(session.scalars(select(Child).where(Child.id.in_([p.child_id for p in owned]))))
        reached = (
            session.scalar(
                select(-func.sum(Posting.amount))
                .join(LedgerTransaction, LedgerTransaction.id == Posting.transaction_id)
                .where(
                    Posting.account_id.in_([c.payable_account_id for c in children]),
                    LedgerTransaction.kind == "disbursement",
                    Posting.effective_date >= month.first_day,
                    Posting.effective_date <= month.last_day,
                )
            )
            or 0
        )
    text = squeeze(" ".join(pages_text(world.pdf("sponsor", sponsor.code))))
    assert sponsor.name in text and "Sao kê của mẹ đỡ đầu" in text
    assert f"Đã nộp trong kỳ {format_vnd(paid)}".replace("\u00a0", " ") in text
    assert f"Còn nợ đến cuối kỳ {format_vnd(owed)}".replace("\u00a0", " ") in text
    assert f"Các em đã nhận trong kỳ {format_vnd(reached)}".replace("\u00a0", " ") in text
    for child in children:
        assert child.first_name in text
        assert child.full_name not in text, "a sponsor is told the child's first name only"
        assert child.guardian_name not in text


def test_english_statement_uses_english_conventions(world):
    sponsor = a_sponsor_with_payments(world)
    pages = pages_text(world.pdf("sponsor", sponsor.code, lang="en"))
    text = squeeze(" ".join(pages))
    assert "Sponsor statement" in text and "Paid during the period" in text
    month_name = world.month.first_day.strftime("%b")
    assert f"{month_name} {world.month.year}" in text or f"Sept {world.month.year}" in text
    assert any(c.isdigit() and "," in text for c in text)  # 1,000,000 ₫
    assert "," in text.split("Paid during the period")[1].split("₫")[0]
    for number, page in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in squeeze(page)


def test_vietnamese_pages_are_numbered_and_dates_are_day_month_year(world):
    sponsor = a_sponsor_with_payments(world)
    pages = pages_text(world.pdf("sponsor", sponsor.code, period=Period.year(world.month.year)))
    for number, page in enumerate(pages, 1):
        assert f"Trang {number}/{len(pages)}" in squeeze(page)
    text = squeeze(" ".join(pages))
    assert "Ngày lập: 23/11/2026" in text
    assert f"Năm {world.month.year}" in text


def test_guardian_slips_one_per_child_with_lines_to_sign(world):
    with Session(world.database.engine) as session:
        payables = dict(session.execute(select(Child.code, Child.payable_account_id)).all())
        disbursed = {
            code: -amount
            for code, amount in session.execute(
                select(Child.code, func.sum(Posting.amount))
                .join(Child, Child.payable_account_id == Posting.account_id)
                .join(LedgerTransaction, LedgerTransaction.id == Posting.transaction_id)
                .where(
                    LedgerTransaction.kind == "disbursement",
                    Posting.effective_date >= world.month.first_day,
                    Posting.effective_date <= world.month.last_day,
                )
                .group_by(Child.code)
            )
            if amount
        }
    assert disbursed and set(disbursed) <= set(payables)
    document = world.document("guardian", "hp-an-lao")
    pages = pages_text(world.pdf("guardian", "hp-an-lao"))
    assert document["body"]["count"] == len(disbursed) == len(pages)
    for page, slip in zip(pages, document["body"]["slips"], strict=True):
        text = squeeze(page)
        assert slip["child"]["code"] in text
        assert format_vnd(disbursed[slip["child"]["code"]]).replace("\u00a0", " ") in text
        if slip["handed_over"] is None:
            assert "Người nhận (ký, ghi rõ họ tên)" in text
        else:
            assert "Đã giao ngày" in text


def test_treasurer_report_balances_match_the_ledger(world):
    with Session(world.database.engine) as session:
        bank = session.scalar(select(Account).where(Account.code.like("assets:bank:%")))
        closing = session.scalar(
            select(func.sum(Posting.amount)).where(
                Posting.account_id == bank.id, Posting.effective_date <= world.month.last_day
            )
        )
    document = world.document("treasurer", "hp-an-lao")
    row = next(r for r in document["body"]["cash"] if r["account"] == bank.code)
    assert row["closing"] == closing == row["opening"] + row["in"] - row["out"]
    text = squeeze(" ".join(pages_text(world.pdf("treasurer", "hp-an-lao", lang="en"))))
    assert format_vnd(closing, "en").replace("\u00a0", " ") in text
    assert "No bank statement imported" in text
    assert sum(r["amount"] for r in document["body"]["receipts"]) == document["body"]["receipts_total"]


def test_auditor_pack_trial_balance_balances_and_journal_carries_the_chain(world):
    document = world.document("audit", "hp-an-lao")
    body = document["body"]
    totals = body["trial_balance"]["totals"]
    assert totals["closing_debit"] == totals["closing_credit"] > 0
    assert balanced(body["trial_balance"])
    assert body["verify"]["ok"]
    for account in body["general_ledger"]:
        opening = account["opening_debit"] - account["opening_credit"]
        closing = account["closing_debit"] - account["closing_credit"]
        assert opening + account["debit"] - account["credit"] == closing
        assert account["debit"] == sum(line["debit"] for line in account["lines"])
    seqs = [entry["seq"] for entry in body["journal"]]
    assert seqs == sorted(seqs) and all(entry["amount"] > 0 for entry in body["journal"])
    in_ledger = {line["transaction"] for account in body["general_ledger"] for line in account["lines"]}
    assert in_ledger <= {entry["transaction"] for entry in body["journal"]}
    pages = pages_text(world.pdf("audit", "hp-an-lao"))
    text = "".join(squeeze(p).replace(" ", "") for p in pages)
    assert document["chain"]["hash"] in text
    assert body["journal"][-1]["hash"][:24] in text
    # The journal's table header is repeated on every page the journal runs over.
    start = next(i for i, p in enumerate(pages) if "Nhật ký chung" in p)
    end = next(i for i, p in enumerate(pages) if "Theo từng trẻ" in p)
    assert end - start >= 1, "the journal should run over several pages in this world"
    for page in pages[start:end]:  # the per-child section starts on a page of its own
        assert "STT chuỗi" in page
