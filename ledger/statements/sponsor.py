"""The sponsor statement: each pledge's months, what was paid and is still owed, what reached the children.

Gathered for many sponsors at once (the monthly batch issues one per sponsor), with a fixed
number of queries whatever their number. A month counts as paid by what was allocated to it
from payments made by the end of the period; arrears are the unpaid months up to then. The
next instalment is what the sponsor should pay now: the arrears and the coming month, with
the reference that reconciliation will look for (``references.payment_reference``) and the
VietQR payload for the branch's bank account.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from ledger.disbursement.received import received
from ledger.eligibility.policy import BranchPolicies
from ledger.errors import NotFound
from ledger.ground.programs import GODMOTHER, age_on
from ledger.models import Branch, LedgerTransaction
from ledger.months import Month
from ledger.references import payment_reference
from ledger.register.models import Allocation, BankAccount, Child, Payment, Pledge, PledgeChange, Sponsor
from ledger.register.pledges import ScheduledMonth, schedule
from ledger.statements.document import Document, Period, StatementRequest, branch_heading, chain_head, envelope
from ledger.vietqr import BANKS, PaymentRequest, payload


def sponsor_statements(
    session: Session,
    *,
    period: Period,
    issued_on: date,
    sponsors: Sequence[str] | None = None,
    branch_ids: Collection[int] | None = None,
) -> list[Document]:
    """One statement per sponsor (those named, or those of ``branch_ids``, or all), by sponsor code."""
    chain = chain_head(session)
    chosen = select(Sponsor.id)
    if sponsors is not None:
        chosen = chosen.where(col(Sponsor.code).in_(list(sponsors)))
    if branch_ids is not None:
        chosen = chosen.where(col(Sponsor.branch_id).in_(list(branch_ids)))
    records = list(session.scalars(select(Sponsor).where(col(Sponsor.id).in_(chosen)).order_by(col(Sponsor.code))))
    if sponsors is not None and len(records) < len(set(sponsors)):
        missing = sorted(set(sponsors) - {s.code for s in records})
        raise NotFound(f"sponsor {', '.join(missing)} is not in the register")

    facts = _Facts(session, chosen, period, {s.branch_id for s in records})
    return [
        envelope(
            StatementRequest("sponsor", sponsor.code, period),
            issued_on=issued_on,
            chain=chain,
            branch=branch_heading(facts.branches, sponsor.branch_id),
            body=facts.body(sponsor),
        )
        for sponsor in records
    ]


class _Facts:
    """Everything the chosen sponsors' statements need, read in a handful of queries."""

    def __init__(self, session: Session, chosen: Any, period: Period, sponsors_at: set[int]) -> None:
        self.period = period
        pledges = list(
            session.scalars(select(Pledge).where(col(Pledge.sponsor_id).in_(chosen)).order_by(col(Pledge.code)))
        )
        self.pledges: dict[int, list[Pledge]] = defaultdict(list)
        for pledge in pledges:
            self.pledges[pledge.sponsor_id].append(pledge)
        pledge_ids = select(Pledge.id).where(col(Pledge.sponsor_id).in_(chosen))
        changes: dict[int, list[PledgeChange]] = defaultdict(list)
        for change in session.scalars(
            select(PledgeChange).where(col(PledgeChange.pledge_id).in_(pledge_ids)).order_by(col(PledgeChange.id))
        ):
            changes[change.pledge_id].append(change)
        child_ids = {p.child_id for p in pledges} | {c.child_id for cs in changes.values() for c in cs if c.child_id}
        self.children = _children(session, child_ids)
        self.branches, self.bank_accounts = paying_in_accounts(
            session, sponsors_at | {c.branch_id for c in self.children.values()}
        )
        age_limit = BranchPolicies(session).age_limit
        self.schedules = {p.id: schedule(p, changes[p.id], self.children, age_limit) for p in pledges}
        self.paid = {
            (pledge_id, Month.of(month)): int(amount)
            for pledge_id, month, amount in session.execute(
                select(col(Allocation.pledge_id), col(Allocation.month), func.sum(Allocation.amount))
                .where(col(Allocation.pledge_id).in_(pledge_ids), col(Allocation.effective_on) <= period.end)
                .group_by(col(Allocation.pledge_id), col(Allocation.month))
            )
        }
        self.payments: dict[int, list[Payment]] = defaultdict(list)
        in_period = (
            col(Payment.sponsor_id).in_(chosen),
            col(Payment.paid_on) >= period.start,
            col(Payment.paid_on) <= period.end,
        )
        for payment in session.scalars(
            select(Payment).where(*in_period).order_by(col(Payment.paid_on), col(Payment.id))
        ):
            self.payments[payment.sponsor_id].append(payment)
        # Payments reversed by the period's end (a transfer returned, a receipt recorded by mistake).
        self.reversed_on: dict[int, date] = dict(
            session.execute(
                select(col(LedgerTransaction.reverses_id), col(LedgerTransaction.effective_date)).where(
                    col(LedgerTransaction.reverses_id).in_(select(Payment.transaction_id).where(*in_period)),
                    col(LedgerTransaction.effective_date) <= period.end,
                )
            ).all()
        )
        codes = [c.code for c in self.children.values()]
        self.received = received(
            session,
            children=codes if len(codes) <= 5_000 else None,
            start=period.start,
            end=period.last.first_day,
            programs=[GODMOTHER],
        )

    def body(self, sponsor: Sponsor) -> dict[str, Any]:
        period, following = self.period, self.period.last.next()
        pledges: list[dict[str, Any]] = []
        arrears_total = next_amount = 0
        reached: set[int] = set()
        for pledge in self.pledges.get(sponsor.id, []):
            months = self.schedules[pledge.id]
            owed_before = sum(self._owed(pledge, s) for s in months if s.month < period.first)
            rows = [self._row(pledge, s) for s in months if period.first <= s.month <= period.last]
            owed_now = owed_before + sum(r["owed"] for r in rows)
            coming = next((self._owed(pledge, s) for s in months if s.month == following), 0)
            if not rows and not owed_now and not coming:
                continue  # ended before the period, nothing owed
            reached.update(s.child_id for s in months if period.first <= s.month <= period.last)
            # The child the pledge paid for last in the period (a pledge may have moved to another child).
            child_id = next((s.child_id for s in reversed(months) if s.month <= period.last), pledge.child_id)
            child = self.children[child_id]
            pledges.append(
                {
                    "code": pledge.code,
                    "child": self._child(child),
                    "start": str(Month.of(pledge.start_month)),
                    "until": str(months[-1].month) if months else None,
                    "months": rows,
                    "scheduled": sum(r["scheduled"] for r in rows),
                    "paid": sum(r["paid"] for r in rows),
                    "arrears_before": owed_before,
                    "arrears": owed_now,
                }
            )
            arrears_total += owed_now
            next_amount += coming
        payments = [self._payment(p) for p in self.payments.get(sponsor.id, [])]
        children = sorted((self.children[i] for i in reached), key=lambda c: c.code)
        reached_rows = []
        for child in children:
            amounts = [(str(m), self.received.get((child.code, m, GODMOTHER), 0)) for m in period.months()]
            reached_rows.append(
                {
                    "child": self._child(child),
                    "months": [{"month": m, "amount": amount} for m, amount in amounts],
                    "total": sum(amount for _, amount in amounts),
                }
            )
        return {
            "sponsor": {"code": sponsor.code, "name": sponsor.name, "language": sponsor.language},
            "pledges": pledges,
            "payments": payments,
            "received": reached_rows,
            "totals": {
                "scheduled": sum(p["scheduled"] for p in pledges),
                "paid": sum(p["paid"] for p in pledges),
                "arrears": arrears_total,
                "payments": sum(p["amount"] for p in payments if "reversed_on" not in p),
                "received": sum(r["total"] for r in reached_rows),
            },
            "next": self._next(sponsor, following, arrears_total + next_amount),
        }

    def _payment(self, payment: Payment) -> dict[str, Any]:
        shown: dict[str, Any] = {"paid_on": payment.paid_on.isoformat(), "amount": payment.amount,
                                 "method": payment.method, "reference": payment.reference}  # fmt: skip
        reversed_on = self.reversed_on.get(payment.transaction_id)
        if reversed_on is not None:  # only then: statements issued before reversals existed still verify
            shown["reversed_on"] = reversed_on.isoformat()
        return shown

    def _owed(self, pledge: Pledge, scheduled: ScheduledMonth) -> int:
        return max(0, scheduled.amount - self.paid.get((pledge.id, scheduled.month), 0))

    def _row(self, pledge: Pledge, scheduled: ScheduledMonth) -> dict[str, Any]:
        paid = min(scheduled.amount, self.paid.get((pledge.id, scheduled.month), 0))
        return {
            "month": str(scheduled.month),
            "child": self.children[scheduled.child_id].first_name,
            "scheduled": scheduled.amount,
            "paid": paid,
            "owed": scheduled.amount - paid,
        }

    def _child(self, child: Child) -> dict[str, Any]:
        return {
            "code": child.code,
            "first_name": child.first_name,
            "age": age_on(child.date_of_birth, self.period.end),
            "commune": _commune(self.branches, child.branch_id).name,
        }

    def _next(self, sponsor: Sponsor, month: Month, amount: int) -> dict[str, Any]:
        account = self._bank_account(sponsor.branch_id)
        reference = payment_reference(sponsor.code, month)
        bank = None
        if account is not None:
            bank = {
                "bin": account.bank_bin,
                "bank": BANKS.get(account.bank_bin, account.bank_bin),
                "account": account.account_number,
                "name": account.account_name,
            }
        qr = None
        if account is not None and amount > 0:
            qr = payload(PaymentRequest(account.bank_bin, account.account_number, amount, purpose=reference))
        return {"month": str(month), "amount": amount, "reference": reference, "bank": bank, "vietqr": qr}

    def _bank_account(self, branch_id: int | None) -> BankAccount | None:
        return nearest_bank_account(self.branches, self.bank_accounts, branch_id)


def nearest_bank_account(
    branches: dict[int, Branch], accounts: dict[int, BankAccount], branch_id: int | None
) -> BankAccount | None:
    """Where a branch's sponsors pay: its bank account, else the nearest branch's above it."""
    while branch_id is not None:
        if branch_id in accounts:
            return accounts[branch_id]
        branch_id = branches[branch_id].parent_id
    return None


def paying_in_accounts(
    session: Session, branch_ids: Collection[int]
) -> tuple[dict[int, Branch], dict[int, BankAccount]]:
    """The branches ``branch_ids`` and every branch above them, and each of those branches' bank account
    (the first by code), for ``nearest_bank_account``: read now, a query per level of the tree, so a statement of one
    sponsor reads a few rows rather than the nation's branches, and nothing is read once the session ends."""
    branches: dict[int, Branch] = {}
    wanted = set(branch_ids)
    while wanted:  # a level of the tree per query: the branches, their parents, theirs, …
        found = session.scalars(select(Branch).where(col(Branch.id).in_(sorted(wanted)))).all()
        branches.update((b.id, b) for b in found)
        wanted = {b.parent_id for b in found if b.parent_id is not None} - branches.keys()
    accounts: dict[int, BankAccount] = {}
    if branches:
        for account in session.scalars(
            select(BankAccount)
            .where(col(BankAccount.branch_id).in_(list(branches)))
            .order_by(col(BankAccount.code).desc())
        ):
            accounts[account.branch_id] = account  # the first by code wins
    return branches, accounts


def _children(session: Session, ids: set[int]) -> dict[int, Child]:
    found: dict[int, Child] = {}
    ordered = sorted(ids)
    for i in range(0, len(ordered), 1_000):
        found.update((c.id, c) for c in session.scalars(select(Child).where(col(Child.id).in_(ordered[i : i + 1_000]))))
    return found


def _commune(branches: dict[int, Branch], branch_id: int) -> Branch:
    """The commune a village group belongs to (a commune or province is its own)."""
    branch = branches[branch_id]
    while branch.level == "group" and branch.parent_id is not None:
        branch = branches[branch.parent_id]
    return branch
