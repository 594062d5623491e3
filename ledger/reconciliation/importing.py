"""Importing a bank statement: every line kept once, balances checked, nothing half-written.

A line's fingerprint is its day, amount, bank reference and description (as banks write it),
with a running number among identical lines of the same file; a line already known for the
account (from the same file imported again, or an overlapping statement) is skipped. A file
that states its opening and closing balances must add up, or nothing is imported.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session, col, select

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.errors import InvalidEntry, NotFound
from ledger.ground.columns import table_of
from ledger.money import format_vnd
from ledger.reconciliation.formats import ParsedLine, ParsedStatement, StatementNotRecognised, read_statement
from ledger.reconciliation.mapping import remembered
from ledger.reconciliation.models import BankLine, BankStatement
from ledger.references import compact
from ledger.register.models import BankAccount


@dataclass(frozen=True, slots=True)
class ImportResult:
    statement_id: int
    format: str
    lines: int
    new_lines: int
    opening: int | None
    closing: int | None
    first_day: date | None
    last_day: date | None

    @property
    def known_lines(self) -> int:
        return self.lines - self.new_lines


def bank_account(session: Session, code: str, *, lock: bool = False) -> BankAccount:
    """The bank account; with ``lock``, held until commit so that work on it goes one at a time."""
    query = select(BankAccount).where(col(BankAccount.code) == code)
    account = session.scalar(query.with_for_update() if lock else query)
    if account is None:
        raise NotFound(f"bank account {code!r} is not in the register (import it in bank-accounts first)")
    return account


def fingerprints(lines: list[ParsedLine]) -> list[str]:
    seen: Counter[tuple[object, ...]] = Counter()
    prints = []
    for line in lines:
        key = (line.booked_on.isoformat(), line.amount, compact(line.bank_reference), compact(line.description))
        prints.append(hashlib.sha256(f"{key}#{seen[key]}".encode()).hexdigest())
        seen[key] += 1
    return prints


def check_balances(parsed: ParsedStatement) -> None:
    if parsed.opening is None or parsed.closing is None:
        return
    total = parsed.opening + sum(line.amount for line in parsed.lines)
    if total != parsed.closing:
        raise InvalidEntry(
            f"the opening balance {format_vnd(parsed.opening)} and the lines add up to {format_vnd(total)}, "
            f"but the statement's closing balance is {format_vnd(parsed.closing)}: the file is incomplete "
            "or damaged; nothing was imported"
        )


def import_statement(
    session: Session,
    *,
    path: Path,
    account: str,
    actor: Actor,
    format: str | None = None,
    mapping: str | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Read ``path`` and keep its new lines for the bank account ``account``; a file no known bank
    wrote is read with the columns named for the account before (``mapping.remembered``)."""
    rights.writable_bank_account(session, actor, account)
    target = bank_account(session, account, lock=True)
    try:
        parsed = read_statement(path, format, mapping)
    except StatementNotRecognised:
        named = remembered(session, target)
        if named is None:
            raise
        parsed = read_statement(path, "csv", named)
    if not parsed.lines and parsed.opening is None:
        raise InvalidEntry(f"{path.name} has no statement lines")
    if parsed.account_number and compact(parsed.account_number) not in (
        compact(target.account_number),
        compact(target.code),
    ):
        raise InvalidEntry(
            f"{path.name} is the statement of account {parsed.account_number}, not of {account} "
            f"({target.account_number})"
        )
    check_balances(parsed)
    prints = fingerprints(parsed.lines)
    known: set[str] = set()
    for i in range(0, len(prints), 1_000):
        known.update(
            session.scalars(
                select(BankLine.fingerprint).where(
                    col(BankLine.bank_account_id) == target.id,
                    col(BankLine.fingerprint).in_(prints[i : i + 1_000]),
                )
            )
        )
    fresh = [(line, p) for line, p in zip(parsed.lines, prints, strict=True) if p not in known]
    statement = BankStatement(
        bank_account_id=target.id,
        format=parsed.format,
        filename=path.name[:255],
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        first_day=parsed.first_day,
        last_day=parsed.last_day,
        opening_balance=parsed.opening,
        closing_balance=parsed.closing,
        lines=len(parsed.lines),
        new_lines=len(fresh),
        imported_at=now or datetime.now(UTC),
        imported_by=actor.user,
    )
    session.add(statement)
    session.flush()
    if fresh:
        session.connection().execute(  # Core: the ORM's bulk path is several times slower for plain rows
            insert(table_of(BankLine)),
            [
                {
                    "bank_account_id": target.id,
                    "statement_id": statement.id,
                    "booked_on": line.booked_on,
                    "amount": line.amount,
                    "description": line.description,
                    "bank_reference": line.bank_reference[:100],
                    "counterparty": line.counterparty[:200],
                    "balance_after": line.balance_after,
                    "fingerprint": fingerprint,
                }
                for line, fingerprint in fresh
            ],
        )
    audit.record(
        session,
        actor=actor,
        action="bank.import",
        subject=f"bank-account:{target.code}",
        branch_id=target.branch_id,
        detail={"file": path.name, "format": parsed.format, "lines": len(parsed.lines), "new": len(fresh)},
    )
    return ImportResult(
        statement.id,
        parsed.format,
        len(parsed.lines),
        len(fresh),
        parsed.opening,
        parsed.closing,
        parsed.first_day,
        parsed.last_day,
    )
