"""Recording a sponsor's payment: posted to the ledger, then allocated to pledge months.

The payment pays the pledge it names, or else the sponsor's pledges, the oldest unpaid month
first (``pledges.allocate``). Each allocated share is credited to the fund of the child its
month is scheduled for; what is beyond every schedule goes to the named pledge's child, or, with
no pledge named, to suspense for the treasurer to place. The payer may be someone other than the
sponsor (a company paying for its staff's pledge): recorded as ``payer``, or as a sponsor of its
own that names the pledge it pays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.accounts import AccountKey
from ledger.db import hold_key
from ledger.errors import InvalidEntry, NotFound
from ledger.models import Branch, LedgerTransaction
from ledger.posting import Entry, Leg, post
from ledger.register.models import Allocation, BankAccount, Child, Payment, Pledge, Sponsor
from ledger.register.pledges import allocate, allocation_of
from ledger.register.unplaced import tell_treasurer


def receiving_account(session: Session, bank_account: BankAccount | None, cash_branch: str) -> AccountKey:
    """Where money came in: the bank account's ledger account, or the cash of ``cash_branch``."""
    if bank_account is None:
        return AccountKey(cash_branch, "assets:cash")
    branch = session.get(Branch, bank_account.branch_id)
    assert branch is not None
    return AccountKey(branch.code, f"assets:bank:{bank_account.code}")


def record_payment(session: Session, **request: Any) -> Payment:
    """Post a payment and allocate it; returns the payment (the existing one for a replayed key).
    See ``record_payment_once`` for the arguments."""
    return record_payment_once(session, **request)[0]


def record_payment_once(
    session: Session,
    *,
    sponsor: str,
    amount: int,
    paid_on: date,
    method: str,
    actor: Actor,
    bank_account: str | None = None,
    pledge: str | None = None,
    reference: str = "",
    payer: str = "",
    idempotency_key: str | None = None,
    received_into: AccountKey | None = None,
    metadata: dict[str, object] | None = None,
) -> tuple[Payment, bool]:
    """Post a payment and allocate it; returns the payment and whether it is new (False: the
    existing one of a replayed key, answered as it was).

    The actor must be able to change the sponsor, the bank account the money arrived in and
    the pledge it names; the payment and its audit event are written together, once.
    """
    if type(amount) is not int or amount <= 0:
        raise InvalidEntry(f"a payment is a positive whole number of đồng, not {amount!r}")
    if method not in ("bank", "cash"):
        raise InvalidEntry(f"a payment is made by bank or cash, not {method!r}")
    payer_sponsor = rights.writable_sponsor(session, actor, sponsor)
    source = None
    if method == "bank":
        if not bank_account:
            raise NotFound("a bank payment needs the bank account it arrived in")
        source = rights.writable_bank_account(session, actor, bank_account)
    elif bank_account:
        raise InvalidEntry("a cash payment has no bank account")
    named = rights.writable_pledge(session, actor, pledge) if pledge else None
    if idempotency_key is not None:
        # Replays racing each other would allocate against different arrears and so post different
        # entries under one key; one at a time, the later ones find the first's payment.
        hold_key(session, f"payment:{idempotency_key}")
        existing = session.scalar(
            select(Payment)
            .join(LedgerTransaction, col(LedgerTransaction.id) == Payment.transaction_id)
            .where(col(LedgerTransaction.idempotency_key) == idempotency_key)
        )
        if existing is not None:
            return existing, False
    targets = (
        [named]
        if named is not None
        else list(
            session.scalars(select(Pledge).where(col(Pledge.sponsor_id) == payer_sponsor.id).order_by(col(Pledge.code)))
        )
    )
    shares, left = allocate(session, amount, targets)
    codes = {i: c for i, c in session.execute(select(Branch.id, Branch.code))}
    # Money identified later (reconciliation) comes out of suspense rather than the bank again.
    debit = received_into or receiving_account(session, source, codes[payer_sponsor.branch_id])
    wanted = {s.child_id for s in shares} | ({named.child_id} if named else set())
    children = {c.id: c for c in session.scalars(select(Child).where(col(Child.id).in_(wanted)))}
    credits: dict[AccountKey, int] = {}
    for share in shares:
        child = children[share.child_id]
        key = AccountKey(codes[child.branch_id], f"liabilities:fund:child:{child.code}")
        credits[key] = credits.get(key, 0) + share.amount
    if left:
        if named is not None:  # the named pledge's child receives what is beyond its schedule
            child = children[named.child_id]
            rest = AccountKey(codes[child.branch_id], f"liabilities:fund:child:{child.code}")
        else:  # nothing to allocate it to: suspense, for the treasurer to place
            rest = AccountKey(debit.branch, "liabilities:suspense")
        credits[rest] = credits.get(rest, 0) + left
    by_whom = f" ({payer} nộp thay)" if payer and payer != payer_sponsor.name else ""
    posted = post(
        session,
        Entry(
            effective_date=paid_on,
            description=f"{payer_sponsor.name}{by_whom} nộp tiền {reference}".strip(),
            legs=(Leg(debit, amount), *(Leg(k, -v) for k, v in credits.items())),
            posted_by=actor.user,
            idempotency_key=idempotency_key,
            kind="receipt",
            metadata={
                "sponsor": payer_sponsor.code,
                "reference": reference,
                **({"payer": payer} if payer else {}),
                **(metadata or {}),
            },
        ),
    )
    payment = Payment(
        paid_on=paid_on,
        sponsor_id=payer_sponsor.id,
        pledge_id=named.id if named else None,
        amount=amount,
        method=method,
        bank_account_id=source.id if source else None,
        reference=reference,
        payer=payer,
        transaction_id=posted.id,
    )
    session.add(payment)
    session.flush()
    for share in shares:
        session.add(
            Allocation(
                payment_id=payment.id,
                pledge_id=share.pledge.id,
                month=share.month.first_day,
                amount=share.amount,
                effective_on=paid_on,
            )
        )
    session.flush()
    if left and named is None:
        tell_treasurer(session, sponsor=payer_sponsor, pledges=targets, left=left, paid_on=paid_on,
                       transaction_id=posted.id)  # fmt: skip
    audit.record(
        session,
        actor=actor,
        action="payment.record",
        subject=f"payment:{payment.id}",
        branch_id=payer_sponsor.branch_id,
        detail={"sponsor": payer_sponsor.code, "amount": amount, "transaction": posted.id, "method": method},
    )
    return payment, True


def reverse_allocations(session: Session, *, original_id: int, reversal_id: int, on: date) -> int:
    """A reversed payment's months are owed again: each allocation of the payment posted as
    ``original_id`` gets its negative twin, dated ``on``. Returns the đồng taken back (0 when
    the transaction was not a payment)."""
    payment = session.scalar(select(Payment).where(col(Payment.transaction_id) == original_id))
    if payment is None:
        return 0
    rows = session.execute(
        select(col(Allocation.pledge_id), col(Allocation.month), col(Allocation.amount)).where(
            col(Allocation.payment_id) == payment.id,
            col(Allocation.reversal_transaction_id).is_(None),
        )
    ).all()
    session.add_all(
        Allocation(
            payment_id=payment.id,
            pledge_id=pledge_id,
            month=month,
            amount=-amount,
            effective_on=on,
            reversal_transaction_id=reversal_id,
        )
        for pledge_id, month, amount in rows
    )
    session.flush()
    return sum(amount for _, _, amount in rows)


@dataclass(frozen=True, slots=True)
class PaymentView:
    """A payment as a reader sees it: how it is allocated now, and the reversal that undid it, if any."""

    payment: Payment
    sponsor: str
    allocation: list[tuple[str, str, int]]  # (pledge, month, amount)
    unallocated: int
    reversed_by: int | None


def payments_of(session: Session, sponsor_id: int, *, limit: int = 100, offset: int = 0) -> list[Payment]:
    """A sponsor's payments, newest first."""
    return list(
        session.scalars(
            select(Payment)
            .where(col(Payment.sponsor_id) == sponsor_id)
            .order_by(col(Payment.paid_on).desc(), col(Payment.id).desc())
            .limit(limit)
            .offset(offset)
        )
    )


def payment_view(session: Session, payment: Payment) -> PaymentView:
    assert payment.id is not None
    sponsor = session.scalar(select(Sponsor.code).where(col(Sponsor.id) == payment.sponsor_id))
    shares = allocation_of(session, payment.id)
    reversed_by = session.scalar(
        select(LedgerTransaction.id).where(col(LedgerTransaction.reverses_id) == payment.transaction_id)
    )
    unallocated = 0 if reversed_by is not None else payment.amount - sum(a for _, _, a in shares)
    return PaymentView(payment, sponsor or "", shares, unallocated, reversed_by)
