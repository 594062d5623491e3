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
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, func, insert, text
from sqlmodel import Session, col, select

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.accounts import AccountKey
from ledger.db import is_sqlite
from ledger.errors import LedgerError
from ledger.ground.columns import table_of
from ledger.models import Branch, LedgerTransaction, Posting
from ledger.posting import Entry, Leg, post_many
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


def ledger_key(session: Session, bank: BankAccount) -> AccountKey:
    branch = session.get(Branch, bank.branch_id)
    assert branch is not None
    return AccountKey(branch.code, f"assets:bank:{bank.code}")


def active() -> ColumnElement[bool]:
    return col(Match.undone_at).is_(None)


def taken_by_matches(session: Session, bank: BankAccount, key: Any, amount: Any, match_id: Any) -> dict[int, int]:
    """What the account's active matches took of each line (or transaction), by its id."""
    query = (
        select(key, func.sum(amount))
        .join(Match, col(Match.id) == match_id)
        .where(col(Match.bank_account_id) == bank.id, active())
        .group_by(key)
    )
    return {found: int(total) for found, total in session.execute(query)}


def open_lines(session: Session, bank: BankAccount) -> list[OpenLine]:
    """The account's bank lines with what of each is not matched yet."""
    taken = taken_by_matches(session, bank, MatchLine.line_id, MatchLine.amount, MatchLine.match_id)
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
    taken = taken_by_matches(session, bank, MatchEntry.transaction_id, MatchEntry.amount, MatchEntry.match_id)
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
    key = ledger_key(session, bank)
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
    store_matches(session, bank, made, kind="auto", by=actor.user, now=now)
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


def store_matches(
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
    """SQLite: Core inserts (the ORM's bulk path costs several times as much for plain rows, docs/stack.md)."""
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
