"""A small demo ledger: one province, a commune, a village group, six children, five months.

Loading it twice changes nothing (branches are checked, every transaction has an
idempotency key), so ``godmother demo`` can be run again on the same database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlmodel import Session

from ledger.accounts import AccountKey, create_branch, open_account
from ledger.models import Branch
from ledger.months import Month
from ledger.periods import close_month
from ledger.posting import DisbursementKey, Entry, Leg, post_many

PROVINCE, COMMUNE, GROUP = "hp", "hp-an-lao", "hp-an-lao-tan-vien"
CHILDREN = {  # child code -> (branch, sponsor reference, monthly pledge in đồng)
    "C-000001": (COMMUNE, "MDD000001", 500_000),
    "C-000002": (COMMUNE, "MDD000002", 1_000_000),
    "C-000003": (COMMUNE, "MDD000003", 300_000),
    "C-000004": (GROUP, "MDD000004", 500_000),
    "C-000005": (GROUP, "MDD000005", 700_000),
    "C-000006": (GROUP, "MDD000006", 500_000),
}
SPONSORS = {
    "MDD000001": "Nguyễn Thị Hoa",
    "MDD000002": "Công ty TNHH Thép Hải Phòng",
    "MDD000003": "Trần Thị Lan",
    "MDD000004": "Công an phường Lê Chân",
    "MDD000005": "Phạm Thu Hằng",
    "MDD000006": "Đỗ Thị Ngọc Ánh",
}
MONTHS = [Month(2026, m) for m in range(6, 11)]
BY = "demo"


def load_demo(session: Session, *, now: datetime | None = None) -> bool:
    """Create the demo branches, accounts and transactions; False if they were there already."""
    if session.scalar(select(Branch.id).where(Branch.code == PROVINCE)) is not None:
        return False
    now = now or datetime.now(UTC)
    create_branch(session, code=PROVINCE, name="Hội LHPN thành phố Hải Phòng", level="province", province="hai-phong")
    create_branch(session, code=COMMUNE, name="Hội LHPN xã An Lão", level="commune", parent=PROVINCE)
    create_branch(session, code=GROUP, name="Chi hội thôn Tân Viên", level="group", parent=COMMUNE)
    opened = MONTHS[0].first_day
    for branch in (PROVINCE, COMMUNE, GROUP):
        open_account(session, branch=branch, code="assets:cash", name="Tiền mặt", opened_on=opened)
        open_account(
            session,
            branch=branch,
            code="liabilities:suspense",
            name="Chờ xác định",
            opened_on=opened,
            may_go_negative=True,
        )
    for branch, bank in ((COMMUNE, "vcb-0011001932418"), (GROUP, "bidv-2151000012345")):
        open_account(session, branch=branch, code=f"assets:bank:{bank}", name="Tài khoản ngân hàng", opened_on=opened)
        open_account(session, branch=branch, code="expenses:bank-fees", name="Phí ngân hàng", opened_on=opened)
        open_account(session, branch=branch, code="equity:opening-balances", name="Số dư đầu kỳ", opened_on=opened)
    for child, (branch, _, _) in CHILDREN.items():
        open_account(
            session, branch=branch, code=f"liabilities:fund:child:{child}", name=f"Quỹ trẻ {child}", opened_on=opened
        )
        open_account(
            session,
            branch=branch,
            code=f"liabilities:payable:guardian:{child}",
            name=f"Phải trả người giám hộ {child}",
            opened_on=opened,
        )
    post_many(session, list(_entries()), now=now)
    for branch in (COMMUNE, GROUP):
        for month in MONTHS[:3]:
            close_month(session, branch=branch, month=month, by=BY, now=now)
    return True


def _bank(branch: str) -> AccountKey:
    return AccountKey(
        branch, "assets:bank:vcb-0011001932418" if branch == COMMUNE else "assets:bank:bidv-2151000012345"
    )


def _entries() -> list[Entry]:
    entries: list[Entry] = [
        Entry(
            effective_date=MONTHS[0].first_day,
            description="Số dư đầu kỳ chuyển sang / opening balance brought forward",
            legs=(Leg(_bank(branch), 2_000_000), Leg(AccountKey(branch, "equity:opening-balances"), -2_000_000)),
            posted_by=BY,
            kind="opening",
            idempotency_key=f"demo-opening-{branch}",
        )
        for branch in (COMMUNE, GROUP)
    ]
    for month in MONTHS:
        mm = f"{month.month:02d}{month.year % 100:02d}"
        for index, (child, (branch, reference, pledge)) in enumerate(CHILDREN.items()):
            fund = AccountKey(branch, f"liabilities:fund:child:{child}")
            payable = AccountKey(branch, f"liabilities:payable:guardian:{child}")
            late = child == "C-000003" and month in MONTHS[1:3]  # pays late, catches up in September
            if not late:
                amount = pledge * (3 if child == "C-000003" and month == MONTHS[3] else 1)
                entries.append(
                    Entry(
                        effective_date=date(month.year, month.month, 3 + index),
                        description=f"{SPONSORS[reference]} chuyển tiền {reference}T{mm}",
                        legs=(Leg(_bank(branch), amount), Leg(fund, -amount)),
                        posted_by=BY,
                        kind="receipt",
                        idempotency_key=f"demo-receipt-{child}-{month}",
                        metadata={"sponsor": reference, "reference": f"{reference}T{mm}"},
                    )
                )
            if not late:
                paid = pledge * (3 if child == "C-000003" and month == MONTHS[3] else 1)
                entries.append(
                    Entry(
                        effective_date=date(month.year, month.month, 15),
                        description=f"Chi hỗ trợ tháng {month.month}/{month.year} cho trẻ {child}",
                        legs=(Leg(fund, paid), Leg(payable, -paid)),
                        posted_by=BY,
                        kind="disbursement",
                        idempotency_key=f"demo-disbursement-{child}-{month}",
                        disbursement=DisbursementKey(child, "godmother", month),
                    )
                )
                # Cash for the handover meeting is drawn from the bank the same day.
                entries.append(
                    Entry(
                        effective_date=date(month.year, month.month, 20),
                        description="Rút tiền mặt để trao cho người giám hộ",
                        legs=(Leg(AccountKey(branch, "assets:cash"), paid), Leg(_bank(branch), -paid)),
                        posted_by=BY,
                        kind="transfer",
                        idempotency_key=f"demo-withdraw-{child}-{month}",
                    )
                )
                entries.append(
                    Entry(
                        effective_date=date(month.year, month.month, 20),
                        description=f"Trao tiền cho người giám hộ của trẻ {child}",
                        legs=(Leg(payable, paid), Leg(AccountKey(branch, "assets:cash"), -paid)),
                        posted_by=BY,
                        kind="handover",
                        idempotency_key=f"demo-handover-{child}-{month}",
                    )
                )
        for branch in (COMMUNE, GROUP):
            entries.append(
                Entry(
                    effective_date=month.last_day,
                    description=f"Phí quản lý tài khoản tháng {month.month}/{month.year}",
                    legs=(Leg(AccountKey(branch, "expenses:bank-fees"), 11_000), Leg(_bank(branch), -11_000)),
                    posted_by=BY,
                    kind="bank-fee",
                    idempotency_key=f"demo-fee-{branch}-{month}",
                )
            )
    entries.sort(key=lambda e: e.effective_date)  # stable: same-day order kept
    return entries
