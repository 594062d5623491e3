"""Guardians receive the month's money: payable → cash or bank, once, with the signed slip kept.

Uses the register of ``test_monthly_run``: January pays C-1 500,000, C-2 700,000 and C-3
1,050,000 (social allowance), all onto their guardians' payables.
"""

import hashlib
from datetime import date

import pytest
from sqlmodel import Session

from ledger.db import run_in_transaction
from ledger.disbursement.handover import AlreadyHandedOver, EvidenceFile, NothingToHandOver, record_handovers
from ledger.disbursement.models import Evidence
from ledger.errors import InvalidEntry
from ledger.models import LedgerTransaction
from ledger.months import Month
from ledger.verify import verify
from tests.disbursement.test_monthly_run import BRANCH, money_in_january_and_february, payable, run
from tests.factories import admin, balance_of, transfer

JANUARY = Month(2026, 1)
SLIP = EvidenceFile("bien-nhan-C-1.jpg", b"\xff\xd8\xff\xe0 signed slip of Tran Thi Binh")


def hand_over(engine, **options):
    return run_in_transaction(
        engine, lambda s: record_handovers(s, month=JANUARY, on=date(2026, 1, 10), actor=admin("thu-quy"), **options)
    )


@pytest.fixture
def january(register, tmp_path):
    money_in_january_and_february(register, tmp_path)
    run(register, "2026-01")
    return register


def test_one_guardian_signs_for_cash_and_the_slip_is_kept_and_chained(january):
    transfer(january, BRANCH, "assets:cash", "assets:bank:vcb-main", 600_000, on=date(2026, 1, 9))  # rút tiền mặt
    cash_before = balance_of(january, BRANCH, "assets:cash")
    (handover,) = hand_over(january, children=["C-1"], received_by="Trần Thị Bình", evidence=SLIP)
    assert handover.amount == 500_000 and handover.method == "cash"
    assert payable(january, "C-1") == 0
    assert balance_of(january, BRANCH, "assets:cash") == cash_before - 500_000
    with Session(january) as session:
        slip = session.get(Evidence, handover.evidence_id)
        assert slip.content == SLIP.content and slip.content_type == "image/jpeg"
        txn = session.get(LedgerTransaction, handover.transaction_id)
        assert txn.meta["evidence_sha256"] == hashlib.sha256(SLIP.content).hexdigest()
        assert verify(session).ok


def test_a_whole_branch_is_handed_over_by_bank_in_one_go_and_only_once(january):
    bank_before = balance_of(january, BRANCH, "assets:bank:vcb-main")
    done = hand_over(january, branch="hp", method="bank", bank_account="vcb-main")
    assert sorted(h.amount for h in done) == [500_000, 700_000, 1_050_000]
    assert balance_of(january, BRANCH, "assets:bank:vcb-main") == bank_before - 2_250_000
    assert [payable(january, c) for c in ("C-1", "C-2", "C-3")] == [0, 0, 0]
    assert hand_over(january, branch="hp") == []  # nothing left waiting
    with pytest.raises(AlreadyHandedOver, match="C-2 already received 2026-01"):
        hand_over(january, children=["C-2"])


def test_refusals_say_what_to_do(january):
    with pytest.raises(NothingToHandOver, match="run the month first"):
        run_in_transaction(
            january,
            lambda s: record_handovers(
                s, month=Month(2026, 2), on=date(2026, 2, 10), actor=admin("x"), children=["C-1"]
            ),
        )
    with pytest.raises(InvalidEntry, match="not a photo or a PDF"):
        hand_over(january, children=["C-1"], evidence=EvidenceFile("slip.exe", b"MZ"))
    with pytest.raises(InvalidEntry, match="one child"):
        hand_over(january, branch="hp", evidence=SLIP)
    assert payable(january, "C-1") == 500_000  # nothing half-done
