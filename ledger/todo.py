"""The treasurer's "Việc cần làm": everything in her branches that waits for her, in one list.

Built from the domain's own answers (suspense, open bank lines, the month's run, handovers,
reconciliation before close, the scheduler's notices), so whichever door shows it shows the same
list. Each thing says what it is about (``kind`` and ``subject``); a door turns that into a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from ledger.access import rights
from ledger.access.actor import Actor
from ledger.accounts import branch_and_descendants
from ledger.closing import closing_preview
from ledger.disbursement.handover import handover_proposal
from ledger.disbursement.stored import decisions_seen_by, month_state
from ledger.errors import PeriodError
from ledger.ground.words import side
from ledger.money import format_vnd
from ledger.months import Month
from ledger.reconciliation.reconcile import open_lines
from ledger.reconciliation.suspense import suspense_items
from ledger.register.unplaced import KIND as UNPLACED
from ledger.schedule.notices import notices_for


@dataclass(frozen=True, slots=True)
class ToDo:
    kind: str  # suspense, bank-lines, run, approve, shortfalls, handovers, cash, unreconciled, notice
    subject: str  # what it is about: a transaction id, a bank account's code, a month, a notice id
    vi: str
    en: str
    amount: int | None = None
    since: date | None = None

    def text(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en

    def age(self, today: date) -> int | None:
        """Days it has waited."""
        return (today - self.since).days if self.since is not None else None


def things_to_do(session: Session, actor: Actor, branch: str, month: Month, *, today: date) -> list[ToDo]:
    """What waits for the branch's treasurer in ``month`` and before it, the most urgent first."""
    actor.require_staff()
    rights.branch(session, actor, branch)
    scope = [b.id for b in branch_and_descendants(session, branch)]
    found: list[ToDo] = []
    found += _month_run(session, actor, branch, month, today)
    in_suspense = suspense_items(session, scope)
    for item in in_suspense:
        money, money_en = format_vnd(item.amount), format_vnd(item.amount, "en")
        found.append(
            ToDo(
                "suspense", str(item.transaction_id),
                f"{money} ngày {item.day:%d/%m/%Y} đang chờ ở tài khoản tạm thu: {side(item.description, 'vi')}",
                f"{money_en} of {item.day:%d %b %Y} waits in suspense: {side(item.description, 'en')}",
                item.amount, item.day,
            )
        )  # fmt: skip
    for bank in rights.bank_accounts_seen_by(session, actor, scope):
        lines = open_lines(session, bank)
        if lines:
            total = sum(abs(line.amount) for line in lines)
            found.append(
                ToDo(
                    "bank-lines", bank.code,
                    f"{len(lines)} dòng sao kê {bank.code} chưa khớp ({format_vnd(total)})",
                    f"{len(lines)} lines of {bank.code}'s statement unmatched ({format_vnd(total, 'en')})",
                    total, min(line.booked_on for line in lines),
                )
            )  # fmt: skip
    found += _before_close(session, actor, branch, month, today)
    for notice, _ in notices_for(session, actor, branch_ids=scope, limit=200):
        if notice.kind == UNPLACED:  # the suspense item above says it, and is gone once cleared
            continue
        found.append(ToDo("notice", str(notice.id), notice.message_vi, notice.message_en, None, notice.due_on))
    return found


def _month_run(session: Session, actor: Actor, branch: str, month: Month, today: date) -> list[ToDo]:
    state = month_state(session, actor, branch, month, today=today)
    label_vi, label_en = f"{month.month:02d}/{month.year}", f"{month}"
    if not state.begun:
        return []
    if state.run is None:
        return [
            ToDo("run", str(month), f"Chưa chạy chi trả tháng {label_vi}.", f"The {label_en} run has not been done.")
        ]
    if state.run.status == "prepared":
        return [
            ToDo(
                "approve", str(month),
                f"Đợt chi trả tháng {label_vi} do {state.run.prepared_by} lập đang chờ người thứ hai duyệt.",
                f"The {label_en} run prepared by {state.run.prepared_by} waits for a second person's approval.",
            )
        ]  # fmt: skip
    found = []
    short = [d for d in decisions_seen_by(session, actor, state.run.id) if d.shortfall > 0]
    if short:
        total = sum(d.shortfall for d in short)
        found.append(
            ToDo(
                "shortfalls", str(month),
                f"{len(short)} cháu thiếu tiền tháng {label_vi}, tổng {format_vnd(total)}.",
                f"{len(short)} children short in {label_en}, {format_vnd(total, 'en')} in all.",
                total,
            )
        )  # fmt: skip
    proposal = handover_proposal(session, actor=actor, branch=branch, month=month, cash_from=branch)
    if proposal.waiting:
        found.append(
            ToDo(
                "handovers", str(month),
                f"{len(proposal.waiting)} người giám hộ chưa nhận tiền tháng {label_vi} "
                f"({format_vnd(proposal.total)}).",
                f"{len(proposal.waiting)} guardians have not received {label_en} "
                f"({format_vnd(proposal.total, 'en')}).",
                proposal.total,
            )
        )  # fmt: skip
        if proposal.cash_short:
            found.append(
                ToDo(
                    "cash", str(month),
                    f"Quỹ tiền mặt thiếu {format_vnd(proposal.cash_short)} để trao tiền mặt: rút từ ngân hàng.",
                    f"The cash box is {format_vnd(proposal.cash_short, 'en')} short for cash handovers: withdraw it.",
                    proposal.cash_short,
                )
            )  # fmt: skip
    return found


def _before_close(session: Session, actor: Actor, branch: str, month: Month, today: date) -> list[ToDo]:
    """The last ended month not yet closed: whether it can be closed, and what stops it."""
    last = Month.of(today).previous()
    if month < last:
        last = month
    if not actor.may_write(rights.branch(session, actor, branch).id):
        return []
    try:
        preview = closing_preview(session, branch=branch, month=last, actor=actor)
    except PeriodError:  # already closed
        return []
    found = []
    for u in preview.unreconciled:
        missing = u.status == "not-imported"
        found.append(
            ToDo(
                "unreconciled", f"{u.bank_account}:{u.month}",
                f"{u.bank_account} tháng {u.month.month:02d}/{u.month.year}: "
                + ("chưa nhập sao kê." if missing else f"{u.lines} dòng sao kê, {u.entries} giao dịch chưa khớp."),
                f"{u.bank_account} {u.month}: "
                + ("no statement imported." if missing else f"{u.lines} lines, {u.entries} transactions unmatched."),
            )
        )  # fmt: skip
    found.append(
        ToDo(
            "close",
            str(last),
            f"Khóa sổ tháng {last.month:02d}/{last.year}" + (" (còn tháng chưa đối chiếu)." if found else "."),
            f"Close {last}" + (" (months still unreconciled)." if found else "."),
        )
    )
    return found
