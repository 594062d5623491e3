"""Payments and budget receipts: posted to the ledger, allocated to pledges oldest month first.

C-000123 has pledge P-0001 of 500,000 a month from 01/2025 (sponsor MDD000123).
"""

from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import Session

from ledger.months import Month
from ledger.register.importing import ImportRejected
from ledger.register.models import Allocation, Pledge
from ledger.register.pledges import arrears
from ledger.verify import verify
from tests.factories import balance_of
from tests.register.test_import import load, load_register, write

BANKS = "code,branch,bank_bin,account_number,account_name\nvcb-main,hd-an-phu,970436,0011001932418,HOI LHPN XA AN PHU\n"
PAYMENTS = """date,sponsor,pledge,amount,method,bank_account,reference
05/03/2025,MDD000123,,1.200.000,bank,vcb-main,MDD000123T0325
02/04/2025,MDD000124,P-0001,800000,cash,,Công ty An Phát nộp thay
"""


@pytest.fixture
def register(engine, tmp_path):
    load_register(engine, tmp_path)
    load(engine, "bank-accounts", write(tmp_path, "banks.csv", BANKS))
    return engine


def allocations(engine) -> list[tuple[str, date, int]]:
    with Session(engine) as session:
        return [
            (p, m, a)
            for p, m, a in session.execute(
                select(Pledge.code, Allocation.month, Allocation.amount)
                .join(Pledge, Pledge.id == Allocation.pledge_id)
                .order_by(Allocation.id)
            )
        ]


def test_payments_pay_the_oldest_months_first_and_move_the_money(register, tmp_path):
    load(register, "payments", write(tmp_path, "payments.csv", PAYMENTS))
    # 1,200,000 pays January and February in full and 200,000 of March;
    # the company's 800,000 for P-0001 pays the rest of March (300,000) and April (500,000).
    assert allocations(register) == [
        ("P-0001", date(2025, 1, 1), 500_000),
        ("P-0001", date(2025, 2, 1), 500_000),
        ("P-0001", date(2025, 3, 1), 200_000),
        ("P-0001", date(2025, 3, 1), 300_000),
        ("P-0001", date(2025, 4, 1), 500_000),
    ]
    assert balance_of(register, "hd-an-phu", "assets:bank:vcb-main") == 1_200_000
    assert balance_of(register, "hd-an-phu", "assets:cash") == 800_000
    assert balance_of(register, "hd-an-phu", "liabilities:fund:child:C-000123") == -2_000_000
    with Session(register) as session:
        pledge = session.scalar(select(Pledge).where(Pledge.code == "P-0001"))
        assert arrears(session, pledge, Month(2025, 4)) == 0
        assert arrears(session, pledge, Month(2025, 6)) == 1_000_000  # May and June not paid yet
        assert verify(session).ok


def test_arrears_are_scheduled_minus_allocated(register, tmp_path):
    load(
        register,
        "payments",
        write(tmp_path, "p.csv", PAYMENTS.splitlines()[0] + "\n" + PAYMENTS.splitlines()[1] + "\n"),
    )
    with Session(register) as session:
        pledge = session.scalar(select(Pledge).where(Pledge.code == "P-0001"))
        assert arrears(session, pledge, Month(2025, 3)) == 300_000  # 3 × 500,000 − 1,200,000


def test_re_importing_payments_posts_nothing_twice(register, tmp_path):
    path = write(tmp_path, "payments.csv", PAYMENTS)
    load(register, "payments", path)
    report = load(register, "payments", path)
    assert (report.created, report.unchanged) == (0, 2)
    assert balance_of(register, "hd-an-phu", "liabilities:fund:child:C-000123") == -2_000_000


def test_a_payment_with_nothing_to_pay_goes_to_suspense(register, tmp_path):
    load(
        register,
        "sponsors",
        write(tmp_path, "s.csv", "code,name,kind,branch\nMDD000125,Phạm Văn Đức,individual,hd-an-phu\n"),
    )
    load(
        register,
        "payments",
        write(
            tmp_path,
            "p.csv",
            "date,sponsor,amount,method,bank_account,reference\n2025-05-02,MDD000125,300000,bank,vcb-main,ung ho\n",
        ),
    )
    assert balance_of(register, "hd-an-phu", "liabilities:suspense") == -300_000
    assert allocations(register) == []


def test_a_budget_receipt_credits_the_program_fund(register, tmp_path):
    load(
        register,
        "budget",
        write(
            tmp_path,
            "b.csv",
            "date,branch,program,amount,method,bank_account,reference\n"
            "2025-01-10,hd-an-phu,social-allowance,10.000.000 VND,bank,vcb-main,QĐ 15\n",
        ),
    )
    assert balance_of(register, "hd-an-phu", "liabilities:fund:program:social-allowance") == -10_000_000
    assert balance_of(register, "hd-an-phu", "assets:bank:vcb-main") == 10_000_000


def test_bad_payment_rows_are_all_reported_and_nothing_is_posted(register, tmp_path):
    bad = write(
        tmp_path,
        "p.csv",
        "date,sponsor,pledge,amount,method,bank_account\n"
        "2025-03-05,MDD000123,P-404,100000,bank,vcb-main\n"
        "2025-03-05,MDD000123,,100000,bank,\n"
        "2025-03-05,MDD000123,,một trăm,cash,\n",
    )
    with pytest.raises(ImportRejected) as caught:
        load(register, "payments", bad)
    assert {(e.row, e.column) for e in caught.value.errors} == {(2, "pledge"), (3, "bank_account"), (4, "amount")}
    assert balance_of(register, "hd-an-phu", "assets:bank:vcb-main") == 0


def test_the_same_payment_twice_in_one_file_is_reported(register, tmp_path):
    twice = PAYMENTS.splitlines()[0] + "\n" + PAYMENTS.splitlines()[1] + "\n" + PAYMENTS.splitlines()[1] + "\n"
    with pytest.raises(ImportRejected) as caught:
        load(register, "payments", write(tmp_path, "p.csv", twice))
    assert [(e.row, e.column, e.en) for e in caught.value.errors] == [(3, "reference", "the same payment as row 2")]
