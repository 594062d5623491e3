"""Suspense: money that came in and is not yet known to be whose, and clearing it to its owner."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ledger.access import audit
from ledger.access.actor import Actor
from ledger.accounts import AccountKey
from ledger.errors import InvalidEntry, NotFound
from ledger.models import Account, Branch, LedgerTransaction, Posting
from ledger.money import format_vnd
from ledger.posting import Entry, Leg, post, standing
from ledger.reconciliation.reconcile import SUSPENSE
from ledger.register.models import BankAccount, Payment, Sponsor
from ledger.register.payments import record_payment


@dataclass(frozen=True, slots=True)
class SuspenseItem:
    transaction_id: int
    branch: str
    day: date
    amount: int  # still waiting to be identified
    description: str
    sponsor: str | None = None  # the payer, for a sponsor's payment that fits no pledge


def suspense_items(session: Session, branch_ids: Sequence[int] | None = None) -> list[SuspenseItem]:
    """Money in suspense, each receipt with what of it is not yet identified: the treasurer's to-do list."""
    cleared = Counter[int]()
    for meta, amount in session.execute(
        select(LedgerTransaction.meta, Posting.amount)
        .join(Posting, col(Posting.transaction_id) == LedgerTransaction.id)
        .join(Account, col(Account.id) == Posting.account_id)
        .where(
            col(Account.code) == SUSPENSE, col(Posting.amount) > 0, standing(LedgerTransaction.id)
        )  # a reversed clearing: back
    ):
        if isinstance(meta, dict) and isinstance(meta.get("clears"), int):
            cleared[meta["clears"]] += int(amount)
    query = (
        sa.select(
            col(LedgerTransaction.id),
            col(Branch.code),
            col(LedgerTransaction.effective_date),
            col(Posting.amount),
            col(LedgerTransaction.description),
        )
        .join(Posting, col(Posting.transaction_id) == LedgerTransaction.id)
        .join(Account, col(Account.id) == Posting.account_id)
        .join(Branch, col(Branch.id) == Account.branch_id)
        .where(
            col(Account.code) == SUSPENSE,
            col(Posting.amount) < 0,
            col(LedgerTransaction.reverses_id).is_(None),  # a reversal puts back, not in
            standing(LedgerTransaction.id),  # a receipt reversed was never money to identify
        )
        .order_by(col(LedgerTransaction.effective_date), col(LedgerTransaction.id))
    )
    if branch_ids is not None:
        query = query.where(col(Account.branch_id).in_(list(branch_ids)))
    items = []
    for txn, branch, day, amount, description in session.execute(query):
        left = -int(amount) - cleared[txn]
        if left > 0:
            items.append(SuspenseItem(txn, branch, day, left, description))
    payers = dict(
        session.execute(
            select(Payment.transaction_id, Sponsor.code)
            .join(Sponsor, col(Sponsor.id) == Payment.sponsor_id)
            .where(col(Payment.transaction_id).in_([i.transaction_id for i in items]))
        ).all()
    ) if items else {}  # fmt: skip
    return [replace(i, sponsor=payers.get(i.transaction_id)) for i in items]


def clear_suspense(
    session: Session,
    *,
    transaction_id: int,
    actor: Actor,
    reason: str,
    sponsor: str | None = None,
    pledge: str | None = None,
    account: str | None = None,
    amount: int | None = None,
    on: date | None = None,
    now: datetime | None = None,
) -> int:
    """Move identified money out of suspense: as a sponsor's payment (allocated as usual, on the day it
    was paid), or to an account (e.g. a program's fund) on ``on`` (the day it arrived by default).
    Returns the new transaction's id."""
    if (sponsor is None) == (account is None):
        raise InvalidEntry("say what the money was: a sponsor's payment, or an account (e.g. a program fund)")
    if not reason.strip():
        raise InvalidEntry("say how the money was identified: the reason is kept")
    item = next((i for i in suspense_items(session) if i.transaction_id == transaction_id), None)
    if item is None or not actor.sees_branch(session.scalar(select(Branch.id).where(col(Branch.code) == item.branch))):
        raise NotFound(f"transaction {transaction_id} has nothing waiting in suspense")
    actor.require_writer()
    amount = item.amount if amount is None else amount
    if not 0 < amount <= item.amount:
        raise InvalidEntry(
            f"{format_vnd(item.amount)} of transaction {transaction_id} waits in suspense, not {format_vnd(amount)}"
        )
    held = AccountKey(item.branch, SUSPENSE)
    note = {"clears": transaction_id, "reason": reason}
    if sponsor is not None:
        bank = session.scalar(  # where the money arrived, if it came through a bank account
            select(BankAccount)
            .join(Posting, col(Posting.account_id) == BankAccount.account_id)
            .where(col(Posting.transaction_id) == transaction_id)
        )
        payment = record_payment(
            session,
            sponsor=sponsor,
            pledge=pledge,
            amount=amount,
            paid_on=item.day,
            method="bank" if bank is not None else "cash",
            bank_account=bank.code if bank is not None else None,
            reference=item.description[:200],
            actor=actor,
            received_into=held,
            metadata=note,
        )
        _record_clearing(session, actor, item, payment.transaction_id, reason)
        return payment.transaction_id
    posted = post(
        session,
        Entry(
            on or item.day,
            f"Xác định khoản tạm thu / identified: {reason}"[:500],
            (Leg(held, amount), Leg(AccountKey(item.branch, account or ""), -amount)),
            posted_by=actor.user,
            metadata=note,
            kind="suspense-cleared",
        ),
        now=now,
    )
    _record_clearing(session, actor, item, posted.id, reason)
    return posted.id


def refund_suspense(
    session: Session,
    *,
    transaction_id: int,
    actor: Actor,
    reason: str,
    on: date,
    amount: int | None = None,
    now: datetime | None = None,
) -> int:
    """Give money in suspense back to whoever sent it: out of the bank account (or cash) it came into."""
    came_into = session.scalar(
        select(Account.code)
        .join(Posting, col(Posting.account_id) == Account.id)
        .where(
            col(Posting.transaction_id) == transaction_id,
            col(Posting.amount) > 0,
            col(Account.code).like("assets:%"),
        )
        .order_by(col(Posting.line))
        .limit(1)
    )
    if came_into is None:
        raise NotFound(f"transaction {transaction_id} has nothing waiting in suspense")
    if not reason.strip():
        raise InvalidEntry("say why the money is given back: the reason is kept")
    return clear_suspense(
        session, transaction_id=transaction_id, actor=actor, reason=f"hoàn trả / refund: {reason}", account=came_into,
        amount=amount, on=on, now=now,
    )  # fmt: skip


def _record_clearing(session: Session, actor: Actor, item: SuspenseItem, transaction_id: int, reason: str) -> None:
    branch_id = session.scalar(select(Branch.id).where(col(Branch.code) == item.branch))
    audit.record(
        session,
        actor=actor,
        action="bank.suspense-cleared",
        subject=f"transaction:{item.transaction_id}",
        branch_id=branch_id,
        detail={"cleared_by": transaction_id, "reason": reason},
    )
