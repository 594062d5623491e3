"""Money a sponsor paid that fits no pledge: the treasurer is told the day it arrives.

A payment beyond every scheduled month of the sponsor's pledges (a pledge that ended or is
paused, or simply more than is owed) waits in suspense. A notice names the sponsor, the amount
and why, and what can be done: extend the pledge (a new pledge or a change), place it on another
pledge or child (clearing it out of suspense), or give it back (a refund, which is a posted entry
from suspense to the bank or the cash it came from).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from ledger.money import format_vnd
from ledger.register.models import Pledge, Sponsor
from ledger.register.pledges import schedules
from ledger.schedule.models import Notice

KIND = "payment-unplaced"


def tell_treasurer(session: Session, *, sponsor: Sponsor, pledges: list[Pledge], left: int, paid_on: date,
                   transaction_id: int) -> Notice:  # fmt: skip
    """A notice for the sponsor's branch about ``left`` đồng of a payment that fits no pledge."""
    why_vi, why_en = _why(session, pledges)
    amount_vi, amount_en = format_vnd(left), format_vnd(left, "en")
    notice = Notice(
        branch_id=sponsor.branch_id,
        kind=KIND,
        subject=f"transaction:{transaction_id}",
        due_on=paid_on,
        message_vi=(
            f"{sponsor.code} {sponsor.name} nộp {amount_vi} ngày {paid_on:%d/%m/%Y} không ứng với tháng cam kết nào "
            f"({why_vi}); khoản này đang chờ ở tài khoản tạm thu. Có thể: gia hạn hoặc lập cam kết mới, ghi cho "
            "cam kết hay trẻ khác, hoặc hoàn trả cho nhà tài trợ."
        ),
        message_en=(
            f"{sponsor.code} {sponsor.name} paid {amount_en} on {paid_on:%d %b %Y} that fits no pledge month "
            f"({why_en}); it waits in suspense. You can extend the pledge or start a new one, place it on another "
            "pledge or child, or refund it to the sponsor."
        ),
        created_at=datetime.now(UTC),
    )
    session.add(notice)
    session.flush()
    return notice


def _why(session: Session, pledges: list[Pledge]) -> tuple[str, str]:
    if not pledges:
        return "nhà tài trợ chưa có cam kết nào", "the sponsor has no pledge"
    planned = schedules(session, pledges)
    ends = []
    for pledge in sorted(pledges, key=lambda p: p.code):
        months = planned.get(pledge.id, [])
        ends.append((pledge.code, str(months[-1].month) if months else None))
    vi = "; ".join(f"cam kết {code} {'đến ' + last if last else 'không còn tháng nào'}" for code, last in ends)
    en = "; ".join(f"pledge {code} {'until ' + last if last else 'has no month left'}" for code, last in ends)
    return f"mọi tháng đã được nộp đủ: {vi}", f"every month is paid: {en}"
