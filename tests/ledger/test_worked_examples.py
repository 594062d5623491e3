"""Bookkeeping as a treasurer does it, flow by flow from docs/accounting.md, amounts by hand."""

from datetime import date

from sqlmodel import Session

from ledger.accounts import AccountKey
from ledger.balances import account_history, trial_balance
from ledger.db import run_in_transaction
from ledger.posting import reverse
from ledger.verify import verify
from tests.factories import BANK, CASH, balance_of, commune, fund, payable, transfer


def test_sponsor_receipt_disbursement_handover_and_reversal(engine):
    """
    02/05  sponsor pays 1,500,000 for C-000123     bank +1,500,000 / fund −1,500,000
    15/05  May disbursement 500,000                fund +500,000   / payable −500,000
    20/05  handed over in cash                     (cash drawn from bank first)
    21/05  a wrong second disbursement, reversed   fund back to 1,000,000 credit
    """
    branch = commune(engine)
    transfer(engine, branch, BANK, fund("C-000123"), 1_500_000, on=date(2025, 5, 2), description="MDD000123T0525")
    transfer(engine, branch, fund("C-000123"), payable("C-000123"), 500_000, on=date(2025, 5, 15))
    transfer(engine, branch, CASH, BANK, 500_000, on=date(2025, 5, 20))
    transfer(engine, branch, payable("C-000123"), CASH, 500_000, on=date(2025, 5, 20))
    wrong = transfer(engine, branch, fund("C-000123"), payable("C-000123"), 500_000, on=date(2025, 5, 21))
    run_in_transaction(engine, lambda s: reverse(s, wrong.id, posted_by="thu-quy"))

    assert balance_of(engine, branch, BANK) == 1_000_000
    assert balance_of(engine, branch, CASH) == 0
    assert balance_of(engine, branch, fund("C-000123")) == -1_000_000  # 1,000,000 owed to the child
    assert balance_of(engine, branch, payable("C-000123")) == 0
    assert balance_of(engine, branch, fund("C-000123"), as_of=date(2025, 5, 14)) == -1_500_000

    with Session(engine) as session:
        tb = trial_balance(session, branch=branch)
        lines = {line.account: line for line in tb.lines}
        assert (lines[BANK].debit, lines[BANK].credit) == (1_000_000, 0)
        assert (lines[fund("C-000123")].debit, lines[fund("C-000123")].credit) == (0, 1_000_000)
        assert tb.total_debit == tb.total_credit == 1_000_000

        opening, history = account_history(session, AccountKey(branch, fund("C-000123")))
        assert opening == 0
        assert [(h.amount, h.running_balance) for h in history] == [
            (-1_500_000, -1_500_000),
            (500_000, -1_000_000),
            (500_000, -500_000),
            (-500_000, -1_000_000),
        ]
        opening, history = account_history(session, AccountKey(branch, fund("C-000123")), start=date(2025, 5, 10))
        assert opening == -1_500_000
        assert history[0].running_balance == -1_000_000
        assert verify(session).ok


def test_trial_balance_as_of_a_date_and_of_a_branch_subtree(engine):
    province = commune(engine, "hai-phong", children=(), name="Hội LHPN thành phố Hải Phòng")
    a = commune(engine, "an-lao", children=("C-1",), parent=province)
    b = commune(engine, "tien-lang", children=("C-2",), parent=province, name="Hội LHPN xã Tiên Lãng")
    transfer(engine, a, BANK, fund("C-1"), 700_000, on=date(2025, 3, 1))
    transfer(engine, b, BANK, fund("C-2"), 300_000, on=date(2025, 4, 1))
    with Session(engine) as session:
        only_province = trial_balance(session, branch=province)
        assert only_province.total_debit == 0
        whole = trial_balance(session, branch=province, include_descendants=True)
        assert whole.total_debit == whole.total_credit == 1_000_000
        march = trial_balance(session, branch=province, include_descendants=True, as_of=date(2025, 3, 31))
        assert march.total_debit == 700_000
        assert {line.branch for line in march.lines} == {province, a, b}
        only_b = trial_balance(session, branch=b, as_of=date(2025, 3, 31))
        assert only_b.total_credit == 0


def test_re_parenting_a_branch_does_not_rewrite_the_past(engine):
    """Hải Dương merged into Hải Phòng on 01/07/2025: a commune of Hải Dương moves under Hải
    Phòng from that day, and the trial balance of either province as of an earlier date still
    shows the branches it had then."""
    from ledger.accounts import reparent_branch

    hai_duong = commune(engine, "hai-duong", children=(), name="Hội LHPN tỉnh Hải Dương")
    hai_phong = commune(engine, "hai-phong", children=(), name="Hội LHPN thành phố Hải Phòng")
    an_phu = commune(engine, "an-phu", children=("C-1",), parent=hai_duong, name="Hội LHPN xã An Phú")
    transfer(engine, an_phu, BANK, fund("C-1"), 900_000, on=date(2025, 3, 1))
    run_in_transaction(engine, lambda s: reparent_branch(s, code=an_phu, parent=hai_phong, valid_from=date(2025, 7, 1)))
    with Session(engine) as session:

        def below(province: str, as_of: date | None) -> int:
            return trial_balance(session, branch=province, include_descendants=True, as_of=as_of).total_debit

        assert below(hai_duong, date(2025, 6, 30)) == 900_000
        assert below(hai_phong, date(2025, 6, 30)) == 0
        assert below(hai_phong, date(2025, 7, 1)) == 900_000
        assert below(hai_duong, date(2025, 7, 1)) == 0
        assert below(hai_phong, None) == 900_000
