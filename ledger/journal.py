"""Posting and reversing by hand: the acts of a person on the journal, with their rights and trail.

A correction reaches every figure: reversing a sponsor's payment reverses how it was allocated,
so its months are owed again (arrears, statements, reminders, the next run); reversing a
disbursement makes its month owed again to the child (the next run catches it up from the fund
the money went back to); a reversed handover is no handover (the guardian can be paid again); a
reversed bank booking or suspense clearing gives back its bank line or its suspense. A reversal
that would take money a fund no longer holds is refused, naming what to reverse first.

``posting`` is the engine and trusts its caller; these are what the API, the web and the CLI
call when someone posts a transaction or corrects one. The actor must be able to change every
branch the transaction touches, and the act is recorded in the audit log in the same database
transaction as the posting. A replayed idempotency key answers with the first transaction and
writes no second audit event.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.errors import InsufficientFunds, ReversalRefused
from ledger.ground.words import side
from ledger.posting import Entry, Posted, post, reverse
from ledger.reconciliation.by_hand import undo_matches_of
from ledger.register.payments import reverse_allocations


def scoped_key(actor: Actor, key: str | None, what: str) -> str | None:
    """An idempotency key as stored: one person's keys never meet another's (nor reveal them)."""
    return f"{what}:{actor.user}:{key}" if key else None


def post_by_hand(session: Session, entry: Entry, *, actor: Actor, now: datetime | None = None) -> Posted:
    """Post ``entry`` (its legs on branches the actor may change) and record who did it."""
    branch_ids = []
    for leg in entry.legs:
        branch_ids.append(rights.writable_branch(session, actor, leg.account.branch).id)
    posted = post(session, entry, now=now)
    if posted.created:
        audit.record(
            session,
            actor=actor,
            action="transaction.create",
            subject=f"transaction:{posted.id}",
            branch_id=branch_ids[0] if branch_ids else None,
            detail={"description": entry.description},
            now=now,
        )
    return posted


def reverse_by_hand(
    session: Session,
    transaction_id: int,
    *,
    actor: Actor,
    reason: str,
    effective_date: date | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Posted:
    """Post the mirror image of a transaction the actor may correct (every branch it touches is theirs)."""
    original, touched = rights.writable_transaction(session, actor, transaction_id)
    described = (  # both languages, each reader sees hers (ledger.ground.words)
        f"Đảo giao dịch {transaction_id}: {reason or side(original.description, 'vi')} / "
        f"Reversal of transaction {transaction_id}: {reason or side(original.description, 'en')}"
    )
    try:
        posted = reverse(
            session,
            transaction_id,
            posted_by=actor.user,
            effective_date=effective_date,
            description=described[:500],
            idempotency_key=idempotency_key,
            now=now,
        )
    except InsufficientFunds as short:
        raise ReversalRefused(transaction_id, short.branch, short.account, short.balance, short.change) from None
    if posted.created:
        reverse_allocations(session, original_id=transaction_id, reversal_id=posted.id, on=posted.effective_date)
        undo_matches_of(session, transaction_id, actor=actor, reason=reason)
        home = actor.home_branch_id if actor.home_branch_id in touched else min(touched, default=None)
        audit.record(
            session,
            actor=actor,
            action="transaction.reverse",
            subject=f"transaction:{transaction_id}",
            branch_id=home,
            detail={"reversal": posted.id, "reason": reason},
            now=now,
        )
    return posted
