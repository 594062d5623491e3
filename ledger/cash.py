"""A branch's cash box: money drawn from the bank into it, paid back, and its book for a month.

Most communes hand guardians their money in cash at a meeting. The cash comes out of the
branch's bank account (a withdrawal, an outgoing line on the bank statement) and what is left
goes back in (a deposit). Both are ordinary ledger transactions between ``assets:bank:<code>``
and ``assets:cash``; the cash box is an asset and may never go negative, so a cash handover is
proposed for what the box holds and refused beyond it (``NotEnoughCash``). See docs/payments.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlmodel import Session, col, select

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.accounts import AccountKey, open_account
from ledger.balances import account_history
from ledger.errors import InvalidEntry, NotEnoughCash, NotFound
from ledger.models import Account, Branch
from ledger.months import Month
from ledger.posting import Entry, Leg, Posted, post

CASH = "assets:cash"
Direction = Literal["withdraw", "deposit"]


@dataclass(frozen=True, slots=True)
class CashLine:
    day: date
    transaction_id: int
    description: str
    received: int
    paid: int
    balance: int


@dataclass(frozen=True, slots=True)
class CashBook:
    """The sổ quỹ tiền mặt of one branch for one month: opening, every movement, closing."""

    branch: str
    month: Month
    opening: int
    lines: Sequence[CashLine]

    @property
    def received(self) -> int:
        return sum(line.received for line in self.lines)

    @property
    def paid(self) -> int:
        return sum(line.paid for line in self.lines)

    @property
    def closing(self) -> int:
        return self.opening + self.received - self.paid


def cash_account(session: Session, branch: str) -> Account | None:
    return session.scalar(
        select(Account)
        .join(Branch, col(Branch.id) == Account.branch_id)
        .where(col(Branch.code) == branch, col(Account.code) == CASH)
    )


def cash_on_hand(session: Session, actor: Actor, branch: str) -> int:
    """What the branch's cash box holds now (0 for a branch that never had one)."""
    rights.branch(session, actor, branch)
    account = cash_account(session, branch)
    return account.balance if account is not None else 0


def require_cash(session: Session, needed: dict[str, int]) -> None:
    """Refuse, naming the branch and the figures, when a cash box holds less than is to be paid from it."""
    for branch, amount in sorted(needed.items()):
        account = cash_account(session, branch)
        held = account.balance if account is not None else 0
        if amount > held:
            raise NotEnoughCash(branch, held, amount)


def move_cash(
    session: Session,
    *,
    branch: str,
    bank_account: str,
    amount: int,
    direction: Direction,
    on: date,
    actor: Actor,
    note: str = "",
    now: datetime | None = None,
) -> Posted:
    """Withdraw ``amount`` from the bank into the cash box, or deposit it from the box into the bank."""
    owner = rights.writable_branch(session, actor, branch)
    bank = rights.writable_bank_account(session, actor, bank_account)
    if bank.branch_id != owner.id:
        raise NotFound(f"bank account {bank_account!r} is not one of branch {branch!r}'s")
    if direction not in ("withdraw", "deposit"):
        raise InvalidEntry(f"cash is withdrawn or deposited, not {direction!r}")
    if amount <= 0:
        raise InvalidEntry("the amount is a whole number of đồng above zero")
    if direction == "deposit":
        require_cash(session, {branch: amount})
    if cash_account(session, branch) is None:
        open_account(session, branch=branch, code=CASH, opened_on=on, name="Tiền mặt")
    cash, bank_key = AccountKey(branch, CASH), AccountKey(branch, f"assets:bank:{bank.code}")
    sign = 1 if direction == "withdraw" else -1
    words = (
        ("Rút tiền gửi ngân hàng về quỹ tiền mặt", "cash withdrawn from the bank")
        if direction == "withdraw"
        else ("Nộp tiền mặt vào tài khoản ngân hàng", "cash deposited in the bank")
    )
    posted = post(
        session,
        Entry(
            effective_date=on,
            description=f"{words[0]} / {words[1]}" + (f": {note.strip()}" if note.strip() else ""),
            legs=(Leg(cash, sign * amount), Leg(bank_key, -sign * amount)),
            posted_by=actor.user,
            kind="cash",
            metadata={"cash": direction, "bank_account": bank.code},
        ),
        now=now,
    )
    audit.record(
        session,
        actor=actor,
        action=f"cash.{direction}",
        subject=f"transaction:{posted.id}",
        branch_id=owner.id,
        detail={"amount": amount, "bank_account": bank.code, "note": note.strip()},
        now=now,
    )
    return posted


def cash_book(session: Session, actor: Actor, branch: str, month: Month) -> CashBook:
    """Every movement of the branch's cash box in ``month``, with the running balance."""
    rights.branch(session, actor, branch)
    if cash_account(session, branch) is None:
        return CashBook(branch, month, 0, ())
    opening, history = account_history(session, AccountKey(branch, CASH), start=month.first_day, end=month.last_day)
    lines = [
        CashLine(
            h.effective_date, h.transaction_id, h.description, max(h.amount, 0), max(-h.amount, 0), h.running_balance
        )
        for h in history
    ]
    return CashBook(branch, month, opening, lines)
