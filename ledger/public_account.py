"""The public account of a branch's month: what came in, what went out, what is held. No child.

Programs that collect voluntary contributions show the public what they received and spent.
This is that account for a branch and the branches below it, read from the ledger:

- received from sponsors, by name (a sponsor who asked to stay anonymous is counted, not named),
  and from budgets, by program and decision;
- paid out per program, with the number of children (a program with fewer than five children in
  the month is not broken down: its money joins "other programs", so no small group can be
  recognised); handed to guardians; bank fees; other movements;
- what the funds hold at the end of the month, and the month's shortfalls (when five or more);
- the chain head, so that anyone can cite exactly which ledger the figures come from.

Never a child's or guardian's name, code, age or commune. Reversals count against what they
reverse (a reversed payment is not money received).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import case, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from ledger.access import audit, rights
from ledger.access.actor import SPONSOR, Actor
from ledger.accounts import branch_and_descendants
from ledger.disbursement.models import RunDecision
from ledger.models import Account, Branch, ChainHead, Disbursement, LedgerTransaction, Posting, total
from ledger.months import Month
from ledger.register.models import BudgetReceipt, Child, Payment, Sponsor

MIN_GROUP = 5  # fewer children than this are never shown as a group of their own


@dataclass(frozen=True, slots=True)
class ProgramLine:
    program: str  # "" for the other programs together
    children: int | None  # None: fewer than MIN_GROUP (not shown)
    amount: int


@dataclass(slots=True)
class PublicMonth:
    branch: str
    branch_name: str
    month: Month
    sponsors: list[tuple[str, int]] = field(default_factory=list)  # (name, amount), largest first
    anonymous_sponsors: int = 0
    anonymous_amount: int = 0
    budgets: list[tuple[str, str, int]] = field(default_factory=list)  # (program, decision, amount)
    paid_out: list[ProgramLine] = field(default_factory=list)
    handed_over: int = 0
    bank_fees: int = 0
    other: int = 0  # other movements of money (opening balances, corrections by hand)
    held_in_funds: int = 0
    shortfall_children: int | None = 0  # None: fewer than MIN_GROUP (not shown)
    shortfall_amount: int | None = 0
    chain_seq: int = 0
    chain_hash: str = ""

    @property
    def received_from_sponsors(self) -> int:
        return sum(amount for _, amount in self.sponsors) + self.anonymous_amount

    @property
    def received_from_budgets(self) -> int:
        return sum(amount for _, _, amount in self.budgets)

    @property
    def paid_total(self) -> int:
        return sum(line.amount for line in self.paid_out)

    @property
    def money_movement(self) -> int:
        """The month's net change in bank and cash: what came in less what went out."""
        return self.received_from_sponsors + self.received_from_budgets - self.handed_over - self.bank_fees + self.other


def public_month(session: Session, branch: str, month: Month) -> PublicMonth:
    """The public account of ``branch`` (and those below it) for ``month``; no rights needed: it is public."""
    branches = branch_and_descendants(session, branch)
    ids = [b.id for b in branches]
    found = PublicMonth(branches[0].code, branches[0].name, month)
    original = aliased(LedgerTransaction)
    category = case((col(LedgerTransaction.kind) == "reversal", original.kind), else_=LedgerTransaction.kind)
    origin = func.coalesce(LedgerTransaction.reverses_id, LedgerTransaction.id)
    rows = session.execute(
        sa.select(category, origin, col(Account.code), col(Account.type), total(Posting.amount))
        .join(LedgerTransaction, col(LedgerTransaction.id) == Posting.transaction_id)
        .outerjoin(original, col(LedgerTransaction.reverses_id) == original.id)
        .join(Account, col(Account.id) == Posting.account_id)
        .where(
            col(Account.branch_id).in_(ids),
            col(Posting.effective_date) >= month.first_day,
            col(Posting.effective_date) <= month.last_day,
        )
        .group_by(category, origin, col(Account.code), col(Account.type))
    ).all()
    money: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))  # category → origin → bank/cash
    disbursed: dict[int, int] = defaultdict(int)  # origin → paid to guardians' payable accounts
    for kind, txn, code, type_, amount in rows:
        if type_ == "asset":
            money[kind][txn] += amount
        elif kind == "disbursement" and code.startswith("liabilities:payable:"):
            disbursed[txn] -= amount
    _sponsors(session, found, money.pop("receipt", {}))
    _budgets(session, found, money.pop("budget", {}))
    _paid_out(session, found, disbursed)
    found.handed_over = -sum(money.pop("handover", {}).values())
    found.bank_fees = -sum(money.pop("bank-fee", {}).values())
    found.other = sum(sum(by_txn.values()) for by_txn in money.values())
    found.held_in_funds = -int(
        session.scalar(
            select(total(Posting.amount))
            .join(Account, col(Account.id) == Posting.account_id)
            .where(
                col(Account.branch_id).in_(ids),
                col(Account.code).startswith("liabilities:fund:"),
                col(Posting.effective_date) <= month.last_day,
            )
        )
        or 0
    )
    _shortfalls(session, found, ids)
    head = session.execute(select(ChainHead.seq, ChainHead.hash)).first()
    found.chain_seq, found.chain_hash = (int(head[0]), head[1]) if head else (0, "")
    return found


def _sponsors(session: Session, found: PublicMonth, by_txn: dict[int, int]) -> None:
    payers = dict(
        (txn, (name, anonymous))
        for txn, name, anonymous in session.execute(
            select(Payment.transaction_id, Sponsor.name, Sponsor.anonymous)
            .join(Sponsor, col(Sponsor.id) == Payment.sponsor_id)
            .where(col(Payment.transaction_id).in_(list(by_txn)))
        )
    )
    named: dict[str, int] = defaultdict(int)
    anonymous: set[str] = set()
    for txn, amount in by_txn.items():
        name, hidden = payers.get(txn, ("", True))
        if hidden or not name:
            found.anonymous_amount += amount
            anonymous.add(name or f"#{txn}")
        else:
            named[name] += amount
    found.anonymous_sponsors = len(anonymous)
    found.sponsors = sorted(((n, a) for n, a in named.items() if a), key=lambda item: (-item[1], item[0]))


def _budgets(session: Session, found: PublicMonth, by_txn: dict[int, int]) -> None:
    receipts = {
        txn: (program, reference)
        for txn, program, reference in session.execute(
            select(BudgetReceipt.transaction_id, BudgetReceipt.program, BudgetReceipt.reference).where(
                col(BudgetReceipt.transaction_id).in_(list(by_txn))
            )
        )
    }
    lines: dict[tuple[str, str], int] = defaultdict(int)
    for txn, amount in by_txn.items():
        lines[receipts.get(txn, ("", ""))] += amount
    found.budgets = sorted((p, r, a) for (p, r), a in lines.items() if a)


def _paid_out(session: Session, found: PublicMonth, by_txn: dict[int, int]) -> None:
    keys = {
        txn: (program, child)
        for txn, program, child in session.execute(
            select(Disbursement.transaction_id, Disbursement.program, Disbursement.child_code).where(
                col(Disbursement.transaction_id).in_(list(by_txn))
            )
        )
    }
    amounts: dict[str, int] = defaultdict(int)
    children: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for txn, amount in by_txn.items():
        program, child = keys.get(txn, ("", f"#{txn}"))
        amounts[program] += amount
        children[program][child] += amount
    lines, small_amount, small_children = [], 0, 0
    for program in sorted(amounts):
        paid = sum(1 for a in children[program].values() if a > 0)
        if program and paid >= MIN_GROUP:
            lines.append(ProgramLine(program, paid, amounts[program]))
        else:
            small_amount += amounts[program]
            small_children += paid
    if small_amount or small_children:
        lines.append(ProgramLine("", small_children if small_children >= MIN_GROUP else None, small_amount))
    found.paid_out = lines


def _shortfalls(session: Session, found: PublicMonth, branch_ids: list[int]) -> None:
    count, amount = session.execute(
        select(func.count(func.distinct(col(RunDecision.child_id))), total(RunDecision.shortfall))
        .join(Child, col(Child.id) == RunDecision.child_id)
        .where(
            col(RunDecision.month) == found.month.first_day,
            col(RunDecision.shortfall) > 0,
            col(Child.branch_id).in_(branch_ids),
        )
    ).one()
    if 0 < count < MIN_GROUP:
        found.shortfall_children, found.shortfall_amount = None, None
    else:
        found.shortfall_children, found.shortfall_amount = int(count), int(amount)


def branch_path(session: Session, branch_id: int) -> list[str]:
    """The branch's code and those above it, the top first (a sponsor's public account is her province's)."""
    codes, current, seen = [], branch_id, set()
    while current is not None and current not in seen:
        seen.add(current)
        row = session.execute(select(Branch.code, Branch.parent_id).where(col(Branch.id) == current)).first()
        if row is None:
            break
        codes.append(row[0])
        current = row[1]
    return codes[::-1]


def set_anonymous(session: Session, *, actor: Actor, sponsor: str, anonymous: bool) -> None:
    """A sponsor's choice (or her branch's, on her word) to be named in the public account or not."""
    found = rights.sponsor(session, actor, sponsor)
    if actor.role != SPONSOR or actor.sponsor_id != found.id:  # her own choice, or her branch's staff
        found = rights.writable_sponsor(session, actor, sponsor)
    if found.anonymous == anonymous:
        return
    found.anonymous = anonymous
    session.add(found)
    audit.record(
        session, actor=actor, action="sponsor.privacy", subject=f"sponsor:{sponsor}", branch_id=found.branch_id,
        detail={"anonymous": anonymous},
    )  # fmt: skip
