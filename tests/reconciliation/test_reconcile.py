"""Reconciling a demo branch's bank account: import, match, what is left, the report, closing the month."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from ledger.access.audit import events
from ledger.branch_settings import set_branch_setting
from ledger.closing import close_month
from ledger.db import run_in_transaction
from ledger.demo import write_statement
from ledger.errors import InvalidEntry, PeriodError
from ledger.journal import reverse_by_hand
from ledger.reconciliation import by_hand, reconcile, suspense
from ledger.reconciliation.importing import import_statement
from ledger.reconciliation.models import BankLine, Match, MatchEntry
from ledger.reconciliation.report import reconciliation_report
from ledger.register.models import Allocation, BankAccount, Payment, Pledge, Sponsor
from ledger.verify import verify
from tests.factories import admin
from tests.statements.conftest import load_small_demo

BANK = "vcb-hp-an-lao"


@pytest.fixture
def small(database, tmp_path):
    month = load_small_demo(database, children=12, sponsors=10, months=2)
    return database, month


def vcb(path, opening, lines):
    """A Vietcombank CSV: (day, amount, description) lines after ``opening``, without bank references."""
    balance = opening
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        w = csv.writer(out)
        w.writerow(["SAO KÊ TÀI KHOẢN / STATEMENT OF ACCOUNT"])
        w.writerow(["Ngày giao dịch/Transaction Date", "Số tham chiếu/Reference No.", "Số tiền ghi nợ/Debit",
                    "Số tiền ghi có/Credit", "Số dư/Balance", "Mô tả/Description"])  # fmt: skip
        w.writerow(["", "", "", "", f"{opening:,}", "Số dư đầu kỳ/Opening balance"])
        for day, amount, text in lines:
            balance += amount
            w.writerow([f"{day:%d/%m/%Y}", "", f"{-amount:,}" if amount < 0 else "", f"{amount:,}" if amount > 0 else "",
                        f"{balance:,}", text])  # fmt: skip
        w.writerow(["", "", "", "", f"{balance:,}", "Số dư cuối kỳ/Closing balance"])
    return path


def do(database, work):
    return run_in_transaction(database.engine, work)


def report(database, month):
    with Session(database.engine) as session:
        return reconciliation_report(session, account=BANK, month=month)


def test_a_statement_from_the_bank_matches_the_ledger_to_the_last_dong(small, tmp_path):
    database, month = small
    path = write_statement(database.engine, "hp-an-lao", BANK, month, tmp_path)
    first = do(database, lambda s: import_statement(s, path=path, account=BANK, actor=admin("thu-quy")))
    assert first.new_lines == first.lines > 0
    again = do(database, lambda s: import_statement(s, path=path, account=BANK, actor=admin("thu-quy")))
    assert again.new_lines == 0  # the same file twice: no line twice
    before = report(database, month)
    assert before.status == "differences" and before.unexplained == 0  # every difference is listed
    result = do(database, lambda s: reconcile.auto_match(s, account=BANK, actor=admin("thu-quy")))
    assert result.unmatched_lines == 0 and result.to_suspense == 0 and result.payments_created == 0
    after = report(database, month)
    assert after.reconciled and after.difference == 0 and after.matched_in > 0 and after.matched_out < 0
    # Matching again finds nothing more to do, and posts nothing.
    assert do(database, lambda s: reconcile.auto_match(s, account=BANK, actor=admin("thu-quy"))).matched_lines == 0


def test_overlapping_statements_never_duplicate_a_line(small, tmp_path):
    database, month = small
    start = month.first_day
    rows = [(start + timedelta(days=d), 100_000 * (d + 1), f"NOP TIEN {d}") for d in range(6)]
    rows.append((start + timedelta(days=2), 300_000, "NOP TIEN 2"))  # the same again, a real second transfer
    do(
        database,
        lambda s: import_statement(s, path=vcb(tmp_path / "a.csv", 0, rows[:4]), account=BANK, actor=admin("t")),
    )
    do(
        database,
        lambda s: import_statement(s, path=vcb(tmp_path / "b.csv", 0, rows[2:]), account=BANK, actor=admin("t")),
    )
    with Session(database.engine) as session:
        assert session.scalar(select(func.count()).select_from(BankLine)) == 7


def test_a_file_that_does_not_add_up_is_refused_whole(small, tmp_path):
    database, month = small
    path = vcb(tmp_path / "bad.csv", 1_000_000, [(month.first_day, 500_000, "X")])
    path.write_text(path.read_text(encoding="utf-8-sig").replace('"1,500,000",Số dư cuối', '"1,600,000",Số dư cuối'))
    with pytest.raises(InvalidEntry, match="closing balance"):
        do(database, lambda s: import_statement(s, path=path, account=BANK, actor=admin("t")))
    with Session(database.engine) as session:
        assert session.scalar(select(func.count()).select_from(BankLine)) == 0


def test_a_named_payment_is_created_an_unknown_one_waits_in_suspense(small, tmp_path):
    database, month = small
    following = month.next()
    with Session(database.engine) as session:
        sponsor = session.scalar(select(Sponsor).join(Pledge, Pledge.sponsor_id == Sponsor.id).order_by(Sponsor.code))
        payments_before = session.scalar(select(func.count()).select_from(Payment))
    day = following.first_day + timedelta(days=2)
    rows = [
        (
            day,
            600_000,
            f"MBVCB.1234.{sponsor.name.upper()} chuyen tien {sponsor.code[:3]} {sponsor.code[3:]} T{following.month:02d}",
        ),
        (day, 250_000, "CHUYEN TIEN UNG HO"),
        (day + timedelta(days=1), -5_500, "PHI SMS BANKING"),
    ]
    do(database, lambda s: import_statement(s, path=vcb(tmp_path / "s.csv", 0, rows), account=BANK, actor=admin("t")))
    result = do(database, lambda s: reconcile.auto_match(s, account=BANK, actor=admin("thu-quy")))
    assert (result.payments_created, result.to_suspense, result.unmatched_lines) == (1, 1, 1)
    with Session(database.engine) as session:
        created = session.scalar(select(Payment).order_by(Payment.id.desc()))
        assert session.scalar(select(func.count()).select_from(Payment)) == payments_before + 1
        assert (created.amount, created.paid_on, created.sponsor_id) == (600_000, day, sponsor.id)
        allocated = session.scalar(select(func.sum(Allocation.amount)).where(Allocation.payment_id == created.id))
        assert allocated is not None and allocated > 0
        waiting = [i for i in suspense.suspense_items(session) if i.amount == 250_000]
        assert len(waiting) == 1
        fee = session.scalar(select(BankLine).where(BankLine.amount == -5_500))

    # The fee: booked from the line. The 250.000: identified as the sponsor's, out of suspense.
    booked = do(
        database,
        lambda s: by_hand.book_line(
            s, line_id=fee.id, account="expenses:bank-fees", description="Phí SMS", actor=admin("t")
        ),
    )
    cleared = do(database, lambda s: suspense.clear_suspense(
        s, transaction_id=waiting[0].transaction_id, sponsor=sponsor.code, reason="chị gọi điện xác nhận", actor=admin("t")))  # fmt: skip
    with Session(database.engine) as session:
        assert not [i for i in suspense.suspense_items(session) if i.transaction_id == waiting[0].transaction_id]
        assert verify(session).ok
        assert {e.action for e in events(session, reader=admin())} >= {
            "bank.import",
            "bank.auto-match",
            "bank.book",
            "bank.suspense-cleared",
        }
    assert not report(database, following).unmatched_lines

    # Both were mistakes: reversed, the fee's line is open again and the 250.000 waits in suspense.
    with Session(database.engine) as session:
        booking = session.scalar(select(MatchEntry.transaction_id).where(MatchEntry.match_id == booked.id))
    do(database, lambda s: reverse_by_hand(s, booking, actor=admin("t"), reason="phí đã ghi ở tháng trước"))
    do(database, lambda s: reverse_by_hand(s, cleared, actor=admin("t"), reason="nhầm người nộp"))
    with Session(database.engine) as session:
        back = [i.amount for i in suspense.suspense_items(session) if i.transaction_id == waiting[0].transaction_id]
        assert back == [250_000]
        assert session.get(Match, booked.id).undone_at is not None
        assert verify(session).ok
    assert [i.line_id for i in report(database, following).unmatched_lines] == [fee.id]


def test_match_by_hand_split_and_undo_with_reasons(small, tmp_path):
    database, month = small
    following = month.next()
    day = following.first_day
    do(
        database,
        lambda s: import_statement(
            s, path=vcb(tmp_path / "s.csv", 0, [(day, -900_000, "CK LO")]), account=BANK, actor=admin("t")
        ),
    )
    with Session(database.engine) as session:
        line = session.scalar(select(BankLine))
    # Two ledger transactions for the one debit: post them, then split the line over them.
    from ledger.accounts import AccountKey
    from ledger.posting import Entry, Leg, post

    def pay(amount):
        return do(database, lambda s: post(s, Entry(day, "chi", (Leg(AccountKey("hp-an-lao", "expenses:bank-fees"), amount),
                                                                Leg(AccountKey("hp-an-lao", f"assets:bank:{BANK}"), -amount)),
                                                     posted_by="t")).id)  # fmt: skip

    a, b = pay(400_000), pay(500_000)
    with pytest.raises(reconcile.MatchRefused, match="must balance"):
        do(
            database,
            lambda s: by_hand.match(
                s, account=BANK, lines=[(line.id, None)], entries=[(a, None)], reason="x", actor=admin("t")
            ),
        )
    first = do(database, lambda s: by_hand.match(s, account=BANK, lines=[(line.id, -400_000)], entries=[(a, None)],
                                                   reason="lô 1", actor=admin("t")))  # fmt: skip
    second = do(database, lambda s: by_hand.match(s, account=BANK, lines=[(line.id, -500_000)], entries=[(b, None)],
                                                    reason="lô 2", actor=admin("t")))  # fmt: skip
    with pytest.raises(reconcile.MatchRefused, match="nothing left"):
        do(
            database,
            lambda s: by_hand.match(
                s, account=BANK, lines=[(line.id, None)], entries=[(b, None)], reason="x", actor=admin("t")
            ),
        )
    with pytest.raises(InvalidEntry, match="why"):
        do(database, lambda s: by_hand.unmatch(s, match_id=first.id, reason=" ", actor=admin("t")))
    undone = do(database, lambda s: by_hand.unmatch(s, match_id=first.id, reason="nhầm", actor=admin("ke-toan")))
    assert (undone.undone_by, undone.undo_reason) == ("ke-toan", "nhầm")
    with Session(database.engine) as session:
        bank = session.scalar(select(BankAccount).where(BankAccount.code == BANK))
        assert {o.id: o.amount for o in reconcile.open_lines(session, bank)} == {line.id: -400_000}
        assert [e.action for e in events(session, reader=admin()) if e.action.startswith("bank.")][:3][::-1] == [
            "bank.match",
            "bank.match",
            "bank.unmatch",
        ]
    assert second.id != first.id


def test_a_branch_that_asks_for_it_closes_a_month_only_when_reconciled(small, tmp_path):
    database, month = small
    do(
        database,
        lambda s: set_branch_setting(
            s, branch="hp-an-lao", name="reconciled-before-close", value="on", actor=admin("admin")
        ),
    )
    with pytest.raises(PeriodError, match="no bank statement"):
        do(database, lambda s: close_month(s, branch="hp-an-lao", month=month, actor=admin("t")))
    path = write_statement(database.engine, "hp-an-lao", BANK, month, tmp_path)
    do(database, lambda s: import_statement(s, path=path, account=BANK, actor=admin("t")))
    with pytest.raises(PeriodError, match="unmatched"):
        do(database, lambda s: close_month(s, branch="hp-an-lao", month=month, actor=admin("t")))
    do(database, lambda s: reconcile.auto_match(s, account=BANK, actor=admin("t")))
    # The months before the statement are not reconciled either: close them first without the rule.
    do(
        database,
        lambda s: set_branch_setting(
            s, branch="hp-an-lao", name="reconciled-before-close", value="off", actor=admin("admin")
        ),
    )
    do(database, lambda s: close_month(s, branch="hp-an-lao", month=month.previous(), actor=admin("t")))
    do(
        database,
        lambda s: set_branch_setting(
            s, branch="hp-an-lao", name="reconciled-before-close", value="on", actor=admin("admin")
        ),
    )
    event = do(database, lambda s: close_month(s, branch="hp-an-lao", month=month, actor=admin("t")))
    assert event.closed_through == month.last_day
