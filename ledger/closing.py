"""Closing and reopening a branch's months: the month end's last act, above reconciliation.

Closing month M closes every earlier open month too; with the branch's setting
``reconciled-before-close`` on, each of those months must be reconciled on every bank account.
Reopening (administrators only, with a reason) opens M and every later month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from ledger.access import audit
from ledger.access.actor import Actor
from ledger.accounts import get_branch
from ledger.branch_settings import RECONCILED_BEFORE_CLOSE, setting_in_force
from ledger.errors import AlreadyClosed, BranchNotFound, MonthNotEnded, NotPermitted, NotReconciled, PeriodError
from ledger.models import Account, Branch, PeriodEvent, Posting
from ledger.months import Month, today_in_vietnam
from ledger.periods import closed_through
from ledger.reconciliation.report import report_for, unreconciled
from ledger.register.models import BankAccount


def _lock_branch_accounts(session: Session, branch_id: int) -> None:
    # Posting locks the accounts it touches: holding them all waits out posts in flight,
    # and any post after us sees the new event.
    session.execute(
        select(Account.id).where(col(Account.branch_id) == branch_id).order_by(col(Account.id)).with_for_update()
    ).all()


def close_month(
    session: Session, *, branch: str, month: Month, actor: Actor, now: datetime | None = None
) -> PeriodEvent:
    """Close ``month`` (and every month before it) for ``branch``."""
    owner = _writable(session, actor, branch)
    assert owner.id is not None
    now = now or datetime.now(UTC)
    if month.last_day >= today_in_vietnam(now):
        raise MonthNotEnded(month, month.next().first_day)
    _lock_branch_accounts(session, owner.id)
    through = closed_through(session, [owner.id]).get(owner.id)
    if through is not None and month.last_day <= through:
        raise AlreadyClosed(branch, through)
    first = Month.of(through).next() if through is not None else month
    _require_reconciled(session, owner.id, branch, first, month)
    event = PeriodEvent(
        branch_id=owner.id, action="close", month=month.first_day, closed_through=month.last_day, at=now, by=actor.user
    )
    session.add(event)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="period.close",
        subject=f"month:{month}",
        branch_id=owner.id,
        detail={"branch": branch, "first": str(first)},
        now=now,
    )
    return event


@dataclass(frozen=True, slots=True)
class Unreconciled:
    month: Month
    bank_account: str
    status: str  # "not-imported" or "differences"
    lines: int  # bank lines unmatched
    entries: int  # ledger transactions unmatched


@dataclass(frozen=True, slots=True)
class ClosingPreview:
    """What closing a month will do, for the page that asks first: every month it closes, oldest first,
    and (with ``reconciled-before-close`` on) the bank accounts that stop it."""

    branch: str
    months: list[Month]
    unreconciled: list[Unreconciled]

    @property
    def earlier(self) -> list[Month]:
        return self.months[:-1]


def closing_preview(
    session: Session, *, branch: str, month: Month, actor: Actor, now: datetime | None = None
) -> ClosingPreview:
    """What ``close_month`` would close; raises the same ``PeriodError`` it would for a month not ended
    or already closed."""
    owner = _writable(session, actor, branch)
    if month.last_day >= today_in_vietnam(now):
        raise MonthNotEnded(month, month.next().first_day)
    through = closed_through(session, [owner.id]).get(owner.id)
    if through is not None and month.last_day <= through:
        raise AlreadyClosed(branch, through)
    if through is not None:
        first = Month.of(through).next()
    else:
        earliest = session.scalar(
            select(func.min(Posting.effective_date))
            .join(Account, col(Account.id) == Posting.account_id)
            .where(col(Account.branch_id) == owner.id)
        )
        first = min(Month.of(earliest), month) if earliest is not None else month
    months = []
    at = first
    while at <= month:
        months.append(at)
        at = at.next()
    waiting: list[Unreconciled] = []
    if setting_in_force(session, owner.id, RECONCILED_BEFORE_CLOSE) == "on":
        banks = session.scalars(select(BankAccount).where(col(BankAccount.branch_id) == owner.id)).all()
        for m in months:
            for bank in banks:
                report = report_for(session, bank, m)
                if not report.reconciled:
                    waiting.append(
                        Unreconciled(
                            m, bank.code, report.status, len(report.unmatched_lines), len(report.unmatched_entries)
                        )
                    )
    return ClosingPreview(branch, months, waiting)


def _writable(session: Session, actor: Actor, branch: str) -> Branch:
    owner = get_branch(session, branch)
    if not actor.sees_branch(owner.id):
        raise BranchNotFound(branch)
    actor.require_writer()
    return owner


def _require_reconciled(session: Session, branch_id: int, branch: str, first: Month, last: Month) -> None:
    """With the branch's setting on, every month being closed must be reconciled on every bank account."""
    if setting_in_force(session, branch_id, RECONCILED_BEFORE_CLOSE) != "on":
        return
    month = first
    while month <= last:
        waiting = unreconciled(session, branch_id, month)
        if waiting:
            raise NotReconciled(branch, month, waiting)
        month = month.next()


def reopen_month(
    session: Session,
    *,
    branch: str,
    month: Month,
    actor: Actor,
    reason: str,
    now: datetime | None = None,
) -> PeriodEvent:
    """Reopen ``month`` and every later month of ``branch``: administrators only, with a reason."""
    if not actor.is_admin:
        raise NotPermitted("only an administrator can reopen a closed month")
    if not reason.strip():
        raise PeriodError("say why the month is reopened: the reason is kept in the period history")
    owner = get_branch(session, branch)
    assert owner.id is not None
    _lock_branch_accounts(session, owner.id)
    through = closed_through(session, [owner.id]).get(owner.id)
    if through is None or month.first_day > through:
        raise PeriodError(f"{month} is not closed for branch {branch!r}")
    previous = month.previous().last_day
    event = PeriodEvent(
        branch_id=owner.id,
        action="reopen",
        month=month.first_day,
        closed_through=previous,
        at=now or datetime.now(UTC),
        by=actor.user,
        reason=reason.strip(),
    )
    session.add(event)
    session.flush()
    audit.record(
        session, actor=actor, action="period.reopen", subject=f"month:{month}", branch_id=owner.id,
        detail={"branch": branch, "reason": reason.strip()}, now=now,
    )  # fmt: skip
    return event
