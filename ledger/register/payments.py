"""Recording a sponsor's payment: posted to the ledger, then allocated to pledge months.

The payment pays the pledge it names, or else the sponsor's pledges, the oldest unpaid month
first (``pledges.allocate``). Each allocated share is credited to the fund of the child its
month is scheduled for; what is beyond every schedule goes to the named pledge's child, or, with
no pledge named, to suspense for the treasurer to place. The payer may be someone other than the
sponsor (a company paying for its staff's pledge): recorded as ``payer``, or as a sponsor of its
own that names the pledge it pays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.accounts import AccountKey
from ledger.db import hold_key
from ledger.errors import InvalidEntry, NotFound
from ledger.ground.columns import table_of
from ledger.models import Branch, LedgerTransaction
from ledger.posting import Entry, Leg, post_many
from ledger.register.models import Allocation, BankAccount, Child, Payment, Pledge, Sponsor
from ledger.register.pledges import PledgeBook, Share, allocation_of, pledges_by_sponsor
from ledger.register.unplaced import tell_treasurer


def receiving_account(session: Session, bank_account: BankAccount | None, cash_branch: str) -> AccountKey:
    """Where money came in: the bank account's ledger account, or the cash of ``cash_branch``."""
    if bank_account is None:
        return AccountKey(cash_branch, "assets:cash")
    branch = session.get(Branch, bank_account.branch_id)
    assert branch is not None
    return AccountKey(branch.code, f"assets:bank:{bank_account.code}")


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """One payment to record: who paid, how much, when, how, into which account, for which pledge.

    ``received_into`` names the account the money is taken from when it is not the bank or cash
    it arrived in (money identified later comes out of suspense); ``metadata`` is kept with the
    transaction."""

    sponsor: str
    amount: int
    paid_on: date
    method: str
    bank_account: str | None = None
    pledge: str | None = None
    reference: str = ""
    payer: str = ""
    idempotency_key: str | None = None
    received_into: AccountKey | None = None
    metadata: dict[str, object] | None = None


def record_payment(session: Session, *, actor: Actor, **request: Any) -> Payment:
    """Post a payment and allocate it; returns the payment (the existing one for a replayed key).
    The arguments are those of ``PaymentRequest``."""
    return record_payments(session, [PaymentRequest(**request)], actor=actor)[0][0]


def record_payment_once(session: Session, *, actor: Actor, **request: Any) -> tuple[Payment, bool]:
    """Post a payment and allocate it; returns the payment and whether it is new (False: the
    existing one of a replayed key, answered as it was)."""
    return record_payments(session, [PaymentRequest(**request)], actor=actor)[0]


@dataclass(frozen=True, slots=True)
class _Checked:
    request: PaymentRequest
    payer: Sponsor
    source: BankAccount | None
    named: Pledge | None


def record_payments(
    session: Session, requests: Sequence[PaymentRequest], *, actor: Actor
) -> list[tuple[Payment, bool]]:
    """Post and allocate payments in order, all or none, exactly as if each had been recorded and
    read back before the next: returns each payment and whether it is new (False: the existing
    one of a replayed key, answered as it was).

    The actor must be able to change each sponsor, the bank account the money arrived in and the
    pledge a payment names; each payment and its audit event are written together, once. What
    several payments share (rights, pledges, schedules, branches) is read once, and the
    transactions are posted in one batch.
    """
    checked = _checked(session, actor, requests)
    results: list[tuple[Payment, bool] | None] = [None] * len(requests)
    keys = sorted({r.idempotency_key for r in requests if r.idempotency_key is not None})
    # Replays racing each other would allocate against different arrears and so post different
    # entries under one key; one at a time, the later ones find the first's payment.
    for held in keys:
        hold_key(session, f"payment:{held}")
    existing = _paid_under(session, keys)
    first_with_key: dict[str, int] = {}
    fresh: list[int] = []
    for index, request in enumerate(requests):
        key = request.idempotency_key
        if key is not None and key in existing:
            results[index] = (existing[key], False)
        elif key is not None and key in first_with_key:
            continue  # answered below with the payment the first request with this key makes
        else:
            if key is not None:
                first_with_key[key] = index
            fresh.append(index)
    made = _record_new(session, actor, [checked[i] for i in fresh])
    for index, payment in zip(fresh, made, strict=True):
        results[index] = (payment, True)
    for index, request in enumerate(requests):
        if results[index] is None:
            first = results[first_with_key[request.idempotency_key or ""]]
            assert first is not None
            results[index] = (first[0], False)
    return [r for r in results if r is not None]


def _checked(session: Session, actor: Actor, requests: Sequence[PaymentRequest]) -> list[_Checked]:
    for request in requests:
        if type(request.amount) is not int or request.amount <= 0:
            raise InvalidEntry(f"a payment is a positive whole number of đồng, not {request.amount!r}")
        if request.method not in ("bank", "cash"):
            raise InvalidEntry(f"a payment is made by bank or cash, not {request.method!r}")
    sponsors = rights.writable_sponsors(session, actor, [r.sponsor for r in requests])
    banks: dict[str, BankAccount] = {}
    pledges: dict[str, Pledge] = {}
    checked = []
    for request in requests:
        source = None
        if request.method == "bank":
            if not request.bank_account:
                raise NotFound("a bank payment needs the bank account it arrived in")
            if request.bank_account not in banks:
                banks[request.bank_account] = rights.writable_bank_account(session, actor, request.bank_account)
            source = banks[request.bank_account]
        elif request.bank_account:
            raise InvalidEntry("a cash payment has no bank account")
        named = None
        if request.pledge:
            if request.pledge not in pledges:
                pledges[request.pledge] = rights.writable_pledge(session, actor, request.pledge)
            named = pledges[request.pledge]
        checked.append(_Checked(request, sponsors[request.sponsor], source, named))
    return checked


def _paid_under(session: Session, keys: Sequence[str]) -> dict[str, Payment]:
    if not keys:
        return {}
    return {
        key: payment
        for payment, key in session.execute(
            select(Payment, LedgerTransaction.idempotency_key)
            .join(LedgerTransaction, col(LedgerTransaction.id) == Payment.transaction_id)
            .where(col(LedgerTransaction.idempotency_key).in_(list(keys)))
        )
        if key is not None
    }


def _record_new(session: Session, actor: Actor, payments: Sequence[_Checked]) -> list[Payment]:
    if not payments:
        return []
    theirs = pledges_by_sponsor(session, sorted({c.payer.id for c in payments if c.named is None}))
    targets = [[c.named] if c.named is not None else theirs[c.payer.id] for c in payments]
    book = PledgeBook(session, list({p.id: p for t in targets for p in t}.values()))
    allocations = [book.allocate(c.request.amount, t) for c, t in zip(payments, targets, strict=True)]
    codes = {i: c for i, c in session.execute(select(Branch.id, Branch.code))}
    wanted = {s.child_id for shares, _ in allocations for s in shares} | {
        c.named.child_id for c in payments if c.named is not None
    }
    children = {c.id: c for c in session.scalars(select(Child).where(col(Child.id).in_(wanted)))} if wanted else {}
    entries = [
        _entry(actor, c, shares, left, codes, children) for c, (shares, left) in zip(payments, allocations, strict=True)
    ]
    posted = post_many(session, entries)
    # One INSERT … RETURNING for the batch: building each Payment in Python first costs more than the insert.
    records = list(
        session.scalars(
            insert(Payment).returning(Payment, sort_by_parameter_order=True),
            [
                {
                    "paid_on": c.request.paid_on,
                    "sponsor_id": c.payer.id,
                    "pledge_id": c.named.id if c.named else None,
                    "amount": c.request.amount,
                    "method": c.request.method,
                    "bank_account_id": c.source.id if c.source else None,
                    "reference": c.request.reference,
                    "payer": c.request.payer,
                    "transaction_id": p.id,
                }
                for c, p in zip(payments, posted, strict=True)
            ],
        )
    )
    shares_made = [
        {
            "payment_id": payment.id,
            "pledge_id": share.pledge.id,
            "month": share.month.first_day,
            "amount": share.amount,
            "effective_on": payment.paid_on,
        }
        for payment, (shares, _) in zip(records, allocations, strict=True)
        for share in shares
    ]
    if shares_made:
        session.execute(insert(table_of(Allocation)), shares_made)
    for c, target, (_, left), payment in zip(payments, targets, allocations, records, strict=True):
        if left and c.named is None:
            tell_treasurer(session, sponsor=c.payer, pledges=target, left=left, paid_on=payment.paid_on,
                           transaction_id=payment.transaction_id)  # fmt: skip
    audit.record_many(
        session,
        actor=actor,
        events=[
            audit.Event(
                "payment.record",
                f"payment:{payment.id}",
                c.payer.branch_id,
                {
                    "sponsor": c.payer.code,
                    "amount": payment.amount,
                    "transaction": payment.transaction_id,
                    "method": payment.method,
                },
            )  # fmt: skip
            for c, payment in zip(payments, records, strict=True)
        ],
    )
    return records


def _entry(
    actor: Actor,
    checked: _Checked,
    shares: Sequence[Share],
    left: int,
    codes: dict[int, str],
    children: dict[int, Child],
) -> Entry:
    """The receipt: the money in, credited to the funds of the children its months are for."""
    request, payer, named = checked.request, checked.payer, checked.named
    # Money identified later (reconciliation) comes out of suspense rather than the bank again.
    debit = request.received_into or (
        AccountKey(codes[checked.source.branch_id], f"assets:bank:{checked.source.code}")
        if checked.source is not None
        else AccountKey(codes[payer.branch_id], "assets:cash")
    )
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
    by_whom = f" ({request.payer} nộp thay)" if request.payer and request.payer != payer.name else ""
    return Entry(
        effective_date=request.paid_on,
        description=f"{payer.name}{by_whom} nộp tiền {request.reference}".strip(),
        legs=(Leg(debit, request.amount), *(Leg(k, -v) for k, v in credits.items())),
        posted_by=actor.user,
        idempotency_key=request.idempotency_key,
        kind="receipt",
        metadata={
            "sponsor": payer.code,
            "reference": request.reference,
            **({"payer": request.payer} if request.payer else {}),
            **(request.metadata or {}),
        },
    )


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
