"""The trial balance by kind says what the trial balance by account says, summed: each branch's
children's funds and guardians' payables on one line each, now and as of any day."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from ledger.balances import PER_CHILD, TrialBalance, trial_balance, trial_balance_by_kind
from tests.factories import BANK, OPENING, commune, fund, payable, transfer


def _folded(tb: TrialBalance) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for line in tb.lines:
        kind = next((p + "*" for p in PER_CHILD if line.account.startswith(p)), line.account)
        found[(line.branch, kind)] = found.get((line.branch, kind), 0) + line.balance
    return found


def test_by_kind_is_the_trial_balance_summed_now_and_as_of_any_day(engine):
    commune(engine, "hp", children=(), name="Hải Phòng")
    commune(engine, "an-lao", parent="hp", children=("C-000001", "C-000002", "C-000003"))
    transfer(engine, "an-lao", BANK, OPENING, 9_000_000, on=date(2025, 1, 5))
    for month in range(1, 7):
        for n, child in enumerate(("C-000001", "C-000002", "C-000003"), start=1):
            day = date(2025, month, 10)
            transfer(engine, "an-lao", BANK, fund(child), 100_000 * n, on=day)
            transfer(engine, "an-lao", fund(child), payable(child), 50_000 * n, on=day)
    with Session(engine) as session:
        for as_of in (None, date(2025, 1, 4), date(2025, 3, 10), date(2025, 3, 11), date(2026, 1, 1)):
            for branch, below in ((None, False), ("hp", True), ("an-lao", False)):
                by_account = trial_balance(session, branch=branch, as_of=as_of, include_descendants=below)
                by_kind = trial_balance_by_kind(session, branch=branch, as_of=as_of, include_descendants=below)
                assert {(line.branch, line.account): line.balance for line in by_kind.lines} == _folded(by_account)
                assert by_kind.total_debit == by_kind.total_credit
        march = trial_balance_by_kind(session, as_of=date(2025, 3, 10))
    funds = next(line for line in march.lines if line.account == "liabilities:fund:child:*")
    assert funds.credit == 3 * (100_000 + 200_000 + 300_000) // 2
