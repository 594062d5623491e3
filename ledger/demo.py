"""A small demo: one province, a commune and a village group, six children, five months.

The register comes from the spreadsheets in ``demo_data/`` (imported as a treasurer would),
payments are allocated to pledges by the importer, and the ledger then shows each month's
disbursements, cash handovers and bank fees. Loading it twice changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from ledger.accounts import AccountKey
from ledger.models import Branch
from ledger.months import Month
from ledger.periods import close_month
from ledger.posting import DisbursementKey, Entry, Leg, post_many
from ledger.register.importing import import_file

DATA = Path(__file__).with_name("demo_data")
IMPORT_ORDER = ("branches", "bank-accounts", "sponsors", "children", "pledges", "enrolments", "budget", "payments")
PROVINCE, COMMUNE, GROUP = "hp", "hp-an-lao", "hp-an-lao-tan-vien"
BANKS = {COMMUNE: "assets:bank:vcb-0011001932418", GROUP: "assets:bank:bidv-2151000012345"}
CHILDREN = {  # child → (branch, pledge per month, months its sponsor paid)
    "C-000001": (COMMUNE, 500_000, range(6, 11)),
    "C-000002": (COMMUNE, 1_000_000, range(6, 11)),
    "C-000003": (COMMUNE, 300_000, (6, 9, 10)),  # paid July and August late, in September
    "C-000004": (GROUP, 500_000, range(6, 11)),
    "C-000005": (GROUP, 700_000, range(6, 11)),
    "C-000006": (GROUP, 500_000, range(6, 11)),
}
MONTHS = [Month(2026, m) for m in range(6, 11)]
BY = "demo"


def load_demo(session: Session, *, now: datetime | None = None) -> bool:
    """Import the demo register and post its months; False if it was loaded already."""
    if session.scalar(select(Branch.id).where(Branch.code == PROVINCE)) is not None:
        return False
    now = now or datetime.now(UTC)
    for kind in IMPORT_ORDER:
        import_file(session, kind, DATA / f"{kind}.csv")
    post_many(session, _months(), now=now)
    for branch in (COMMUNE, GROUP):
        close_month(session, branch=branch, month=MONTHS[2], by=BY, now=now)
    return True


def _months() -> list[Entry]:
    entries = [
        Entry(
            effective_date=MONTHS[0].first_day,
            description="Số dư đầu kỳ chuyển sang / opening balance brought forward",
            legs=(
                Leg(AccountKey(branch, bank), 2_000_000),
                Leg(AccountKey(branch, "equity:opening-balances"), -2_000_000),
            ),
            posted_by=BY,
            kind="opening",
            idempotency_key=f"demo-opening-{branch}",
        )
        for branch, bank in BANKS.items()
    ]
    for month in MONTHS:
        for child, (branch, pledge, paid_months) in CHILDREN.items():
            if month.month not in paid_months:
                continue  # nothing received for this month: nothing to pay out (a shortfall)
            fund = AccountKey(branch, f"liabilities:fund:child:{child}")
            payable = AccountKey(branch, f"liabilities:payable:guardian:{child}")
            cash, bank = AccountKey(branch, "assets:cash"), AccountKey(branch, BANKS[branch])
            entries += [
                Entry(
                    date(month.year, month.month, 15),
                    f"Chi hỗ trợ tháng {month.month}/{month.year} cho trẻ {child}",
                    (Leg(fund, pledge), Leg(payable, -pledge)),
                    posted_by=BY,
                    kind="disbursement",
                    idempotency_key=f"demo-disbursement-{child}-{month}",
                    disbursement=DisbursementKey(child, "godmother", month),
                ),
                Entry(
                    date(month.year, month.month, 20),
                    "Rút tiền mặt để trao cho người giám hộ",
                    (Leg(cash, pledge), Leg(bank, -pledge)),
                    posted_by=BY,
                    kind="transfer",
                    idempotency_key=f"demo-withdraw-{child}-{month}",
                ),
                Entry(
                    date(month.year, month.month, 20),
                    f"Trao tiền cho người giám hộ của trẻ {child}",
                    (Leg(payable, pledge), Leg(cash, -pledge)),
                    posted_by=BY,
                    kind="handover",
                    idempotency_key=f"demo-handover-{child}-{month}",
                ),
            ]
        for branch, bank in BANKS.items():
            entries.append(
                Entry(
                    month.last_day,
                    f"Phí quản lý tài khoản tháng {month.month}/{month.year}",
                    (Leg(AccountKey(branch, "expenses:bank-fees"), 11_000), Leg(AccountKey(branch, bank), -11_000)),
                    posted_by=BY,
                    kind="bank-fee",
                    idempotency_key=f"demo-fee-{branch}-{month}",
                )
            )
    return sorted(entries, key=lambda e: e.effective_date)  # stable: same-day order kept
