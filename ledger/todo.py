"""The treasurer's "Việc cần làm": everything in her branches that waits for her, in one list.

Built from the domain's own answers (suspense, open bank lines, the month's run, handovers,
reconciliation before close, the scheduler's notices), so whichever door shows it shows the same
list. Each thing says what it is about (``kind`` and ``subject``); a door turns that into a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from ledger.access import rights
from ledger.access.actor import Actor
from ledger.accounts import branch_and_descendants
from ledger.closing import closing_preview
from ledger.disbursement.handover import handover_proposal
from ledger.disbursement.stored import decisions_seen_by, month_state
from ledger.errors import PeriodError
from ledger.ground.messages import message
from ledger.ground.words import side
from ledger.money import format_vnd
from ledger.months import Month
from ledger.reconciliation.reconcile import open_lines
from ledger.reconciliation.suspense import suspense_items
from ledger.register.unplaced import KIND as UNPLACED
from ledger.schedule.notices import notices_for


@dataclass(frozen=True, slots=True)
class ToDo:
    """One thing to act on: its kind and subject, and what it says (a catalogue message and its fields,
    or a notice's own two texts)."""

    kind: str  # suspense, bank-lines, run, approve, shortfalls, handovers, cash, unreconciled, close, notice
    subject: str  # what it is about: a transaction id, a bank account's code, a month, a notice id
    key: str = ""  # the catalogue's ``todo:`` message
    fields: dict[str, object] = field(default_factory=dict)
    amount: int | None = None
    since: date | None = None
    vi: str = ""  # a notice's own words
    en: str = ""

    def text(self, lang: str) -> str:
        if not self.key:
            return self.vi if lang == "vi" else self.en
        return message(self.key, lang, **{name: _shown(name, value, lang) for name, value in self.fields.items()})

    def age(self, today: date) -> int | None:
        """Days it has waited."""
        return (today - self.since).days if self.since is not None else None


def _shown(name: str, value: object, lang: str) -> object:
    """A field as its reader writes it: a month, a day, an amount, a two-language description."""
    if isinstance(value, Month):
        return f"{value.month:02d}/{value.year}" if lang == "vi" else str(value)
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}" if lang == "vi" else f"{value:%d %b %Y}"
    if name == "amount" and isinstance(value, int):
        return format_vnd(value, lang)
    if name == "description" and isinstance(value, str):
        return side(value, lang)
    return value


def things_to_do(session: Session, actor: Actor, branch: str, month: Month, *, today: date) -> list[ToDo]:
    """What waits for the branch's treasurer in ``month`` and before it, the most urgent first."""
    actor.require_staff()
    rights.branch(session, actor, branch)
    scope = [b.id for b in branch_and_descendants(session, branch)]
    found: list[ToDo] = []
    found += _month_run(session, actor, branch, month, today)
    for item in suspense_items(session, scope):
        found.append(
            ToDo("suspense", str(item.transaction_id), "todo:suspense",
                 {"amount": item.amount, "day": item.day, "description": item.description}, item.amount, item.day)
        )  # fmt: skip
    for bank in rights.bank_accounts_seen_by(session, actor, scope):
        lines = open_lines(session, bank)
        if lines:
            total = sum(abs(line.amount) for line in lines)
            found.append(
                ToDo("bank-lines", bank.code, "todo:bank-lines",
                     {"count": len(lines), "account": bank.code, "amount": total}, total,
                     min(line.booked_on for line in lines))
            )  # fmt: skip
    found += _before_close(session, actor, branch, month, today)
    for notice, _ in notices_for(session, actor, branch_ids=scope, limit=200):
        if notice.kind == UNPLACED:  # the suspense item above says it, and is gone once cleared
            continue
        found.append(ToDo("notice", str(notice.id), since=notice.due_on, vi=notice.message_vi, en=notice.message_en))
    return found


def _month_run(session: Session, actor: Actor, branch: str, month: Month, today: date) -> list[ToDo]:
    state = month_state(session, actor, branch, month, today=today)
    if not state.begun:
        return []
    if state.run is None:
        return [ToDo("run", str(month), "todo:run", {"month": month})]
    if state.run.status == "prepared":
        return [ToDo("approve", str(month), "todo:approve", {"month": month, "by": state.run.prepared_by})]
    found = []
    short = [d for d in decisions_seen_by(session, actor, state.run.id) if d.shortfall > 0]
    if short:
        total = sum(d.shortfall for d in short)
        found.append(
            ToDo("shortfalls", str(month), "todo:shortfalls", {"count": len(short), "month": month, "amount": total},
                 total)
        )  # fmt: skip
    proposal = handover_proposal(session, actor=actor, branch=branch, month=month, cash_from=branch)
    if proposal.waiting:
        found.append(
            ToDo("handovers", str(month), "todo:handovers",
                 {"count": len(proposal.waiting), "month": month, "amount": proposal.total}, proposal.total)
        )  # fmt: skip
        if proposal.cash_short:
            found.append(
                ToDo("cash", str(month), "todo:cash", {"amount": proposal.cash_short}, proposal.cash_short)
            )  # fmt: skip
    return found


def _before_close(session: Session, actor: Actor, branch: str, month: Month, today: date) -> list[ToDo]:
    """The last ended month not yet closed: whether it can be closed, and what stops it."""
    last = min(month, Month.of(today).previous())
    if not actor.may_write(rights.branch(session, actor, branch).id):
        return []
    try:
        preview = closing_preview(session, branch=branch, month=last, actor=actor)
    except PeriodError:  # already closed
        return []
    found = [
        ToDo("unreconciled", f"{u.bank_account}:{u.month}",
             "todo:not-imported" if u.status == "not-imported" else "todo:unmatched",
             {"account": u.bank_account, "month": u.month, "lines": u.lines, "entries": u.entries})
        for u in preview.unreconciled
    ]  # fmt: skip
    found.append(ToDo("close", str(last), "todo:close-unreconciled" if found else "todo:close", {"month": last}))
    return found
