"""Sponsors' payments over HTTP: recorded once (idempotency keys), read with their allocation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from sqlmodel import Session

from api.deps import CurrentUser, SessionDep, in_own_transaction
from api.routes.ledger import IdempotencyKey
from api.schemas import register as schemas
from ledger import journal
from ledger.access import rights
from ledger.access.actor import Actor
from ledger.register.models import Payment
from ledger.register.payments import payment_view, record_payment_once

router = APIRouter(tags=["register"])


def payment_out(db: Session, payment: Payment) -> schemas.PaymentOut:
    shown = payment_view(db, payment)
    shares = shown.allocation
    assert payment.id is not None
    return schemas.PaymentOut(
        id=payment.id,
        sponsor=shown.sponsor,
        amount=payment.amount,
        paid_on=payment.paid_on,
        method=payment.method,
        reference=payment.reference,
        payer=payment.payer,
        transaction=payment.transaction_id,
        allocation=[schemas.AllocationOut(pledge=p, month=m, amount=a) for p, m, a in shares],
        unallocated=shown.unallocated,
        reversed_by=shown.reversed_by,
    )


def visible_payment(db: Session, scope: Actor, payment_id: int) -> Payment:
    return rights.payment(db, scope, payment_id)


@router.get("/payments/{payment_id}", response_model=schemas.PaymentOut)
async def get_payment(
    payment_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: SessionDep, scope: CurrentUser
) -> schemas.PaymentOut:
    """A payment and how it was allocated to pledge months."""
    return payment_out(db, visible_payment(db, scope, payment_id))


@router.post(
    "/payments",
    response_model=schemas.PaymentOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": schemas.PaymentOut, "description": "a replay of the same Idempotency-Key"}},
)
async def create_payment(
    body: schemas.PaymentCreate,
    request: Request,
    response: Response,
    db: SessionDep,
    scope: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> schemas.PaymentOut:
    """Record a sponsor payment: posted, then allocated to the named pledge or the sponsor's oldest unpaid months."""
    key = journal.scoped_key(scope, idempotency_key, "api-payment")

    def work(session: Session) -> tuple[int, bool]:
        payment, created = record_payment_once(
            session,
            sponsor=body.sponsor,
            amount=body.amount,
            paid_on=body.paid_on,
            method=body.method,
            bank_account=body.bank_account,
            pledge=body.pledge,
            reference=body.reference,
            payer=body.payer,
            actor=scope,
            idempotency_key=key,
        )
        assert payment.id is not None
        return payment.id, not created

    payment_id, replayed = await in_own_transaction(request, db, work)
    if replayed:
        response.status_code = status.HTTP_200_OK
    db.expire_all()
    return payment_out(db, visible_payment(db, scope, payment_id))
