"""Reconciling a bank account: automatic matching, and what a treasurer does by hand.

Every action is kept: a match records who made it, by which rule or for what reason; undoing
one records who, when and why, and leaves the match in place, marked undone. Money that comes
out of the bank line itself (a payment created from a transfer, a fee booked from a debit, a
credit parked in suspense) is posted to the ledger like any other transaction, with the line's
id in its metadata and an idempotency key, so running the matcher twice posts nothing twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, func, insert, text, update
from sqlmodel import Session, col, select

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.accounts import AccountKey
from ledger.db import is_sqlite
from ledger.errors import InvalidEntry, LedgerError, NotFound
from ledger.ground.columns import table_of
from ledger.models import Account, Branch, LedgerTransaction, Posting
from ledger.money import format_vnd
from ledger.posting import Entry, Leg, post, post_many, standing
from ledger.reconciliation.importing import bank_account
from ledger.reconciliation.matching import OpenEntry, OpenLine, Proposal, ReferenceFinder, plan
from ledger.reconciliation.models import BankLine, Match, MatchEntry, MatchLine
from ledger.register.models import BankAccount, Payment, Pledge, Sponsor
from ledger.register.payments import record_payment

SUSPENSE = "liabilities:suspense"


class MatchRefused(LedgerError):
    """A match that would not balance, or takes more of a line or transaction than is left."""


@dataclass(slots=True)
class AutoMatchResult:
    matched_lines: int = 0
    rules: Counter[str] = field(default_factory=Counter)
    payments_created: int = 0
    to_suspense: int = 0
    unmatched_lines: int = 0


def _ledger_key(session: Session, bank: BankAccount) -> AccountKey:
    branch = session.get(Branch, bank.branch_id)
    assert branch is not None
    return AccountKey(branch.code, f"assets:bank:{bank.code}")


def _active() -> ColumnElement[bool]:
    return col(Match.undone_at).is_(None)


def _taken(session: Session, bank: BankAccount, key: Any, amount: Any, match_id: Any) -> dict[int, int]:
    """What the account's active matches took of each line (or transaction), by its id."""
    query = (
        select(key, func.sum(amount))
        .join(Match, col(Match.id) == match_id)
        .where(col(Match.bank_account_id) == bank.id, _active())
        .group_by(key)
    )
    return {found: int(total) for found, total in session.execute(query)}


def open_lines(session: Session, bank: BankAccount) -> list[OpenLine]:
    """The account's bank lines with what of each is not matched yet."""
    taken = _taken(session, bank, MatchLine.line_id, MatchLine.amount, MatchLine.match_id)
    rows = session.execute(
        select(col(BankLine.id), col(BankLine.booked_on), col(BankLine.amount), col(BankLine.description)).where(
            col(BankLine.bank_account_id) == bank.id
        )
    )
    found = []
    for line_id, day, amount, description in rows:
        left = amount - taken.get(line_id, 0)
        if left:
            found.append(OpenLine(line_id, day, left, description))
    return found


@dataclass(frozen=True, slots=True)
class LineView:
    line: BankLine
    open: int  # what of the line no active match has taken yet


def lines_of(session: Session, bank: BankAccount, *, open_only: bool = False) -> list[LineView]:
    """The account's statement lines by day, each with what of it is still unmatched."""
    left = {o.id: o.amount for o in open_lines(session, bank)}
    lines = session.scalars(
        select(BankLine)
        .where(col(BankLine.bank_account_id) == bank.id)
        .order_by(col(BankLine.booked_on), col(BankLine.id))
    )
    return [LineView(line, left.get(line.id, 0)) for line in lines if not open_only or line.id in left]


def open_entries(session: Session, bank: BankAccount) -> list[OpenEntry]:
    """The ledger's transactions on the account with what of each is not matched yet."""
    taken = _taken(session, bank, MatchEntry.transaction_id, MatchEntry.amount, MatchEntry.match_id)
    rows = session.execute(
        sa.select(
            col(LedgerTransaction.id),
            col(LedgerTransaction.effective_date),
            func.sum(Posting.amount),
            col(LedgerTransaction.kind),
            col(LedgerTransaction.reverses_id),
            col(Sponsor.code),
        )
        .join(LedgerTransaction, col(LedgerTransaction.id) == Posting.transaction_id)
        .outerjoin(Payment, col(Payment.transaction_id) == LedgerTransaction.id)
        .outerjoin(Sponsor, col(Sponsor.id) == Payment.sponsor_id)
        .where(col(Posting.account_id) == bank.account_id)
        .group_by(
            col(LedgerTransaction.id),
            col(LedgerTransaction.effective_date),
            col(LedgerTransaction.kind),
            col(LedgerTransaction.reverses_id),
            col(Sponsor.code),
        )
    )
    found = []
    for txn, day, amount, kind, reverses, sponsor in rows:
        left = int(amount) - taken.get(txn, 0)
        if left:
            found.append(OpenEntry(txn, day, left, kind, sponsor, reverses))
    return found


def reference_finder(session: Session, actor: Actor) -> ReferenceFinder:
    """The sponsor and pledge codes a line may name: those of sponsors the actor may record payments for.

    Money naming a sponsor outside the actor's branches waits in suspense for someone who may.
    """
    sponsors = select(Sponsor.code, Sponsor.code)
    pledges = select(Pledge.code, Sponsor.code).join(Sponsor, col(Sponsor.id) == Pledge.sponsor_id)
    if actor.branch_ids is not None:
        writable = [b for b in actor.branch_ids if actor.may_write(b)]
        sponsors = sponsors.where(col(Sponsor.branch_id).in_(writable))
        pledges = pledges.where(col(Sponsor.branch_id).in_(writable))
    codes = dict(session.execute(sponsors).all())
    codes.update(session.execute(pledges).all())
    return ReferenceFinder(codes)


def auto_match(session: Session, *, account: str, actor: Actor, now: datetime | None = None) -> AutoMatchResult:
    """Match what the rules can (``matching``), creating payments and suspense entries as they say."""
    rights.writable_bank_account(session, actor, account)
    bank = bank_account(session, account, lock=True)  # two people matching at once would match twice
    now = now or datetime.now(UTC)
    lines = open_lines(session, bank)
    proposals = plan(lines, open_entries(session, bank), reference_finder(session, actor))
    day_of = {line.id: line for line in lines}
    key = _ledger_key(session, bank)
    result = AutoMatchResult()

    made: list[Proposal] = []
    suspense: list[Proposal] = []
    for proposal in proposals:
        if proposal.rule == "created-payment":
            line = day_of[proposal.lines[0][0]]
            payment = record_payment(
                session,
                sponsor=proposal.sponsor or "",
                amount=line.amount,
                paid_on=line.booked_on,
                method="bank",
                bank_account=bank.code,
                reference=line.description[:200],
                actor=actor,
                idempotency_key=f"bank-line:{line.id}",
                metadata={"bank_line": line.id},
            )
            made.append(Proposal(proposal.rule, proposal.lines, ((payment.transaction_id, line.amount),)))
            result.payments_created += 1
        elif proposal.rule == "suspense":
            suspense.append(proposal)
        else:
            made.append(proposal)
    for start in range(0, len(suspense), 1_000):
        chunk = suspense[start : start + 1_000]
        posted = post_many(
            session,
            [
                Entry(
                    day_of[p.lines[0][0]].booked_on,
                    f"Chưa xác định / unidentified: {day_of[p.lines[0][0]].description}"[:500],
                    (Leg(key, p.lines[0][1]), Leg(AccountKey(key.branch, SUSPENSE), -p.lines[0][1])),
                    posted_by=actor.user,
                    idempotency_key=f"bank-suspense:{p.lines[0][0]}",
                    metadata={"bank_line": p.lines[0][0]},
                    kind="suspense",
                )
                for p in chunk
            ],
            now=now,
        )
        made.extend(Proposal(p.rule, p.lines, ((t.id, p.lines[0][1]),)) for p, t in zip(chunk, posted, strict=True))
        result.to_suspense += len(chunk)
    _store(session, bank, made, kind="auto", by=actor.user, now=now)
    for proposal in made:
        result.rules[proposal.rule] += 1
        result.matched_lines += len(proposal.lines)
    result.unmatched_lines = len(lines) - result.matched_lines
    audit.record(
        session,
        actor=actor,
        action="bank.auto-match",
        subject=f"bank-account:{bank.code}",
        branch_id=bank.branch_id,
        detail={"matched": result.matched_lines, "rules": dict(result.rules), "payments": result.payments_created,
                "suspense": result.to_suspense},
    )  # fmt: skip
    return result


def _store(
    session: Session,
    bank: BankAccount,
    proposals: Sequence[Proposal],
    *,
    kind: str,
    by: str,
    now: datetime,
    reason: str = "",
) -> list[int]:
    """Write matches in bulk, whatever their number; returns their ids in the proposals' order."""
    if not proposals:
        return []
    matches = [(bank.id, kind, p.rule, reason, now, by) for p in proposals]
    write = _insert if is_sqlite(session) else _copy
    return write(session.connection(), matches, proposals)


MATCH_COLUMNS = ("bank_account_id", "kind", "rule", "reason", "made_at", "made_by")


def _parts(ids: list[int], proposals: Sequence[Proposal]) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    pairs = list(zip(ids, proposals, strict=True))
    return [(i, line, a) for i, p in pairs for line, a in p.lines], [(i, t, a) for i, p in pairs for t, a in p.entries]


def _insert(connection: Any, matches: list[tuple[Any, ...]], proposals: Sequence[Proposal]) -> list[int]:
    """SQLite: Core inserts (the ORM's bulk path costs several times as much for plain rows, stack.md)."""
    table = table_of(Match)
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids = list(connection.execute(statement, [dict(zip(MATCH_COLUMNS, m, strict=True)) for m in matches]).scalars())
    lines, entries = _parts(ids, proposals)
    for model, columns, rows in ((MatchLine, ("match_id", "line_id", "amount"), lines),
                                 (MatchEntry, ("match_id", "transaction_id", "amount"), entries)):  # fmt: skip
        if rows:
            connection.execute(insert(table_of(model)), [dict(zip(columns, r, strict=True)) for r in rows])
    return ids


def _copy(connection: Any, matches: list[tuple[Any, ...]], proposals: Sequence[Proposal]) -> list[int]:
    """PostgreSQL: the ids from the sequence in one round trip, then COPY (executemany, and worse a
    RETURNING one, was most of the time of matching 100,000 lines)."""
    ids = list(
        connection.execute(
            text("SELECT nextval(pg_get_serial_sequence('bank_match', 'id')) FROM generate_series(1, :n)"),
            {"n": len(matches)},
        ).scalars()
    )
    lines, entries = _parts(ids, proposals)
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY bank_match (id, {', '.join(MATCH_COLUMNS)}) FROM STDIN") as copy:
        for i, match in zip(ids, matches, strict=True):
            copy.write_row((i, *match))
    with cursor.copy("COPY bank_match_line (match_id, line_id, amount) FROM STDIN") as copy:
        for row in lines:
            copy.write_row(row)
    with cursor.copy("COPY bank_match_entry (match_id, transaction_id, amount) FROM STDIN") as copy:
        for row in entries:
            copy.write_row(row)
    return ids


# --- by hand ---------------------------------------------------------------------------------


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
    (match_id,) = _store(
        session, bank, [proposal], kind="manual", by=actor.user, now=now or datetime.now(UTC), reason=reason
    )
    found = session.get(Match, match_id)
    assert found is not None
    _record(session, actor, "bank.match", bank, {"match": match_id, "lines": line_parts, "entries": entry_parts,
                                              "reason": reason})  # fmt: skip
    return found


def _record(session: Session, actor: Actor, action: str, bank: BankAccount, detail: dict[str, object]) -> None:
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
        .where(col(Match.id) == match_id, _active())
        .values(undone_at=now or datetime.now(UTC), undone_by=actor.user, undo_reason=reason)
    )
    session.refresh(found)
    bank = session.get(BankAccount, found.bank_account_id)
    assert bank is not None
    _record(session, actor, "bank.unmatch", bank, {"match": match_id, "reason": reason})
    return found


def undo_matches_of(session: Session, transaction_id: int, *, actor: Actor, reason: str) -> list[int]:
    """A reversed transaction is no longer money the bank saw: the matches that took it are undone
    (kept, marked with who, when and why), so its bank line is open again and the transaction and
    its reversal can cancel each other."""
    found = list(
        session.scalars(
            select(Match)
            .join(MatchEntry, col(MatchEntry.match_id) == Match.id)
            .where(col(MatchEntry.transaction_id) == transaction_id, _active())
        )
    )
    for match in found:
        match.undone_at, match.undone_by = datetime.now(UTC), actor.user
        match.undo_reason = f"transaction {transaction_id} reversed: {reason}"[:500]
        session.add(match)
        bank = session.get(BankAccount, match.bank_account_id)
        assert bank is not None
        _record(session, actor, "bank.unmatch", bank, {"match": match.id, "reason": match.undo_reason})
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
    key = _ledger_key(session, bank)
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
    (match_id,) = _store(
        session, bank, [proposal], kind="manual", by=actor.user, now=now or datetime.now(UTC), reason=description
    )
    found = session.get(Match, match_id)
    assert found is not None
    _record(session, actor, "bank.book", bank, {"line": line_id, "account": account, "transaction": posted.id})
    return found


@dataclass(frozen=True, slots=True)
class SuspenseItem:
    transaction_id: int
    branch: str
    day: date
    amount: int  # still waiting to be identified
    description: str


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
    return items


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
    now: datetime | None = None,
) -> int:
    """Move identified money out of suspense: as a sponsor's payment (allocated as usual), or to an
    account (e.g. a program's fund). Returns the new transaction's id."""
    if (sponsor is None) == (account is None):
        raise InvalidEntry("say what the money was: --sponsor (a payment) or --account (e.g. a program fund)")
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
            item.day,
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
