"""Reconciling by hand: matching lines and entries the treasurer picks, undoing a match, booking a line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.accounts import AccountKey
from ledger.errors import InvalidEntry, NotFound
from ledger.models import LedgerTransaction
from ledger.money import format_vnd
from ledger.posting import Entry, Leg, post, standing
from ledger.reconciliation.importing import bank_account
from ledger.reconciliation.matching import Proposal
from ledger.reconciliation.models import BankLine, Match, MatchEntry
from ledger.reconciliation.reconcile import MatchRefused, active, ledger_key, open_entries, open_lines, store_matches
from ledger.register.models import BankAccount


def match(
    session: Session,
    *,
    account: str,
    lines: Sequence[tuple[int, int | None]],
    entries: Sequence[tuple[int, int | None]],
    reason: str,
    actor: Actor,
    now: datetime | None = None,
) -> Match:
    """Match lines (or parts of them) with transactions (or parts); the two sides must be equal.

    An amount of None takes what is left of the line or transaction. A part of a line is a
    split: the rest can be matched elsewhere.
    """
    if not reason.strip():
        raise InvalidEntry("say why these are the same money: the reason is kept with the match")
    if not lines and not entries:
        raise InvalidEntry("name at least one bank line or transaction")
    rights.writable_bank_account(session, actor, account)
    bank = bank_account(session, account, lock=True)  # two people matching at once would match twice
    open_by_line = {line.id: line for line in open_lines(session, bank)}
    open_by_txn = {entry.transaction_id: entry for entry in open_entries(session, bank)}
    line_parts = [(i, _part("bank line", i, a, open_by_line[i].amount if i in open_by_line else 0)) for i, a in lines]
    entry_parts = [
        (t, _part("transaction", t, a, open_by_txn[t].amount if t in open_by_txn else 0)) for t, a in entries
    ]
    known = set(
        session.scalars(
            select(BankLine.id).where(
                col(BankLine.id).in_([i for i, _ in lines]), col(BankLine.bank_account_id) == bank.id
            )
        )
    )
    for line_id, _ in lines:
        if line_id not in known:
            raise NotFound(f"bank line {line_id} is not a line of {account}")
    bank_side, ledger_side = sum(a for _, a in line_parts), sum(a for _, a in entry_parts)
    if bank_side != ledger_side:
        raise MatchRefused(
            f"the bank lines come to {format_vnd(bank_side)} and the transactions to {format_vnd(ledger_side)}: "
            "a match must balance (match part of a line to split it)"
        )
    proposal = Proposal("manual", tuple(line_parts), tuple(entry_parts))
    (match_id,) = store_matches(
        session, bank, [proposal], kind="manual", by=actor.user, now=now or datetime.now(UTC), reason=reason
    )
    found = session.get(Match, match_id)
    assert found is not None
    record_act(session, actor, "bank.match", bank, {"match": match_id, "lines": line_parts, "entries": entry_parts,
                                              "reason": reason})  # fmt: skip
    return found


def record_act(session: Session, actor: Actor, action: str, bank: BankAccount, detail: dict[str, object]) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        subject=f"bank-account:{bank.code}",
        branch_id=bank.branch_id,
        detail=detail,
    )


def _part(what: str, key: int, wanted: int | None, left: int) -> int:
    if left == 0:
        raise MatchRefused(f"{what} {key} has nothing left to match on this account (or is not on it)")
    amount = left if wanted is None else wanted
    if amount == 0 or (amount > 0) != (left > 0) or abs(amount) > abs(left):
        raise MatchRefused(f"{what} {key} has {format_vnd(left)} left to match, not {format_vnd(amount)}")
    return amount


def account_of_line(session: Session, actor: Actor, line_id: int) -> BankAccount:
    """The bank account a line belongs to, if the actor sees it (else the line does not exist)."""
    line = session.get(BankLine, line_id)
    bank = session.get(BankAccount, line.bank_account_id) if line is not None else None
    if bank is None or not actor.sees_branch(bank.branch_id):
        raise NotFound(f"bank line {line_id} does not exist")
    return bank


def _require_writer_of(actor: Actor, bank: BankAccount | None, what: str) -> None:
    """Out of sight is "does not exist"; in sight but read-only is ``Forbidden``."""
    if bank is None or not actor.sees_branch(bank.branch_id):
        raise NotFound(f"{what} does not exist")
    actor.require_writer()


def unmatch(session: Session, *, match_id: int, reason: str, actor: Actor, now: datetime | None = None) -> Match:
    """Undo a match (it stays in the record, marked undone); its lines and transactions are open again."""
    if not reason.strip():
        raise InvalidEntry("say why the match is undone: the reason is kept")
    found = session.get(Match, match_id)
    if found is None:
        raise NotFound(f"match {match_id} does not exist")
    _require_writer_of(
        actor, session.get(BankAccount, found.bank_account_id, with_for_update=True), f"match {match_id}"
    )
    if found.undone_at is not None:
        raise MatchRefused(f"match {match_id} was already undone on {found.undone_at:%d/%m/%Y} by {found.undone_by}")
    session.execute(
        update(Match)
        .where(col(Match.id) == match_id, active())
        .values(undone_at=now or datetime.now(UTC), undone_by=actor.user, undo_reason=reason)
    )
    session.refresh(found)
    bank = session.get(BankAccount, found.bank_account_id)
    assert bank is not None
    record_act(session, actor, "bank.unmatch", bank, {"match": match_id, "reason": reason})
    return found


def undo_matches_of(session: Session, transaction_id: int, *, actor: Actor, reason: str) -> list[int]:
    """A reversed transaction is no longer money the bank saw: the matches that took it are undone
    (kept, marked with who, when and why), so its bank line is open again and the transaction and
    its reversal can cancel each other."""
    found = list(
        session.scalars(
            select(Match)
            .join(MatchEntry, col(MatchEntry.match_id) == Match.id)
            .where(col(MatchEntry.transaction_id) == transaction_id, active())
        )
    )
    for match in found:
        match.undone_at, match.undone_by = datetime.now(UTC), actor.user
        match.undo_reason = f"transaction {transaction_id} reversed: {reason}"[:500]
        session.add(match)
        bank = session.get(BankAccount, match.bank_account_id)
        assert bank is not None
        record_act(session, actor, "bank.unmatch", bank, {"match": match.id, "reason": match.undo_reason})
    session.flush()
    return [m.id for m in found]


def book_line(
    session: Session, *, line_id: int, account: str, description: str, actor: Actor, now: datetime | None = None
) -> Match:
    """Post what is left of a bank line against ``account`` (a fee, interest) and match the two."""
    line = session.get(BankLine, line_id)
    if line is None:
        raise NotFound(f"bank line {line_id} does not exist")
    bank = session.get(BankAccount, line.bank_account_id, with_for_update=True)
    assert bank is not None
    _require_writer_of(actor, bank, f"bank line {line_id}")
    left = next((o.amount for o in open_lines(session, bank) if o.id == line_id), 0)
    if left == 0:
        raise MatchRefused(f"bank line {line_id} is already matched in full")
    if not description.strip():
        raise InvalidEntry("describe the transaction (e.g. 'phí chuyển tiền tháng 10')")
    key = ledger_key(session, bank)
    # A line booked before and corrected since (the booking reversed) is booked anew, under a new key.
    again = session.scalar(
        select(func.count())
        .select_from(LedgerTransaction)
        .where(
            col(LedgerTransaction.idempotency_key).like(f"bank-book:{line_id}:%"),
            ~standing(LedgerTransaction.id),
        )
    )
    posted = post(
        session,
        Entry(
            line.booked_on,
            description.strip(),
            (Leg(key, left), Leg(AccountKey(key.branch, account), -left)),
            posted_by=actor.user,
            idempotency_key=f"bank-book:{line_id}:{left}" + (f":{again}" if again else ""),
            metadata={"bank_line": line_id},
            kind="bank",
        ),
        now=now,
    )
    proposal = Proposal("booked", ((line_id, left),), ((posted.id, left),))
    (match_id,) = store_matches(
        session, bank, [proposal], kind="manual", by=actor.user, now=now or datetime.now(UTC), reason=description
    )
    found = session.get(Match, match_id)
    assert found is not None
    record_act(session, actor, "bank.book", bank, {"line": line_id, "account": account, "transaction": posted.id})
    return found
