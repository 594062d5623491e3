"""The reconciliation report of a bank account for a month: the bank's closing balance beside
the ledger's, and their difference explained item by item, to zero, or flagged.

With B the bank's balance at the month's end and L the ledger's:

    B − L = (bank opening − ledger balance, at the first imported line)
          + lines in the bank not matched to the ledger (up to the month's end)
          − ledger transactions not matched to a bank line (from the first line to the month's end)
          + matches whose two sides fall on either side of the month's end (timing)
          + what is left: a statement missing, or one that disagrees with its own lines

Every term but the last is listed item by item. The account is *reconciled* for the month when
the statements reach the month, nothing is unmatched up to its end, the opening agrees and
nothing is left over; a timing difference is explained and allowed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from ledger.models import LedgerTransaction, Posting
from ledger.months import Month
from ledger.reconciliation.importing import bank_account
from ledger.reconciliation.models import BankLine, BankStatement, Match, MatchEntry, MatchLine
from ledger.reconciliation.reconcile import open_entries, open_lines
from ledger.register.models import BankAccount


@dataclass(frozen=True, slots=True)
class Item:
    day: date
    amount: int
    description: str
    line_id: int | None = None
    transaction_id: int | None = None


@dataclass(slots=True)
class Report:
    account: str
    month: Month
    bank_balance: int | None  # at the month's end; None: no statement yet
    bank_balance_stated: bool  # read off a statement's closing balance (else opening + lines)
    ledger_balance: int
    first_line_day: date | None
    opening_difference: int = 0
    unmatched_lines: list[Item] = field(default_factory=list)
    unmatched_entries: list[Item] = field(default_factory=list)
    timing: list[Item] = field(default_factory=list)
    matched_in: int = 0  # credits of the month matched
    matched_out: int = 0  # debits of the month matched (negative)
    covered: bool = False  # a statement reaches into the month

    @property
    def difference(self) -> int:
        return (self.bank_balance or 0) - self.ledger_balance

    @property
    def explained(self) -> int:
        return (
            self.opening_difference
            + sum(i.amount for i in self.unmatched_lines)
            - sum(i.amount for i in self.unmatched_entries)
            + sum(i.amount for i in self.timing)
        )

    @property
    def unexplained(self) -> int:
        return self.difference - self.explained

    @property
    def reconciled(self) -> bool:
        return (
            self.covered
            and self.bank_balance is not None
            and not self.unmatched_lines
            and not self.unmatched_entries
            and self.opening_difference == 0
            and self.unexplained == 0
        )

    @property
    def status(self) -> str:
        if not self.covered or self.bank_balance is None:
            return "not-imported"
        return "reconciled" if self.reconciled else "differences"

    def to_json(self) -> dict[str, Any]:
        def items(found: list[Item]) -> list[dict[str, Any]]:
            return [
                {"date": str(i.day), "amount": i.amount, "description": i.description, "line": i.line_id,
                 "transaction": i.transaction_id}
                for i in found
            ]  # fmt: skip

        return {
            "account": self.account,
            "month": str(self.month),
            "status": self.status,
            "reconciled": self.reconciled,
            "bank_balance": self.bank_balance,
            "bank_balance_from_statement": self.bank_balance_stated,
            "ledger_balance": self.ledger_balance,
            "difference": self.difference,
            "opening_difference": self.opening_difference,
            "matched_in": self.matched_in,
            "matched_out": self.matched_out,
            "unmatched_lines": items(self.unmatched_lines),
            "unmatched_entries": items(self.unmatched_entries),
            "timing": items(self.timing),
            "explained": self.explained,
            "unexplained": self.unexplained,
        }


def reconciliation_report(session: Session, *, account: str, month: Month) -> Report:
    bank = bank_account(session, account)
    return report_for(session, bank, month)


def report_for(session: Session, bank: BankAccount, month: Month) -> Report:
    end = month.last_day
    ledger_balance = int(
        session.scalar(
            select(func.coalesce(func.sum(Posting.amount), 0)).where(
                col(Posting.account_id) == bank.account_id, col(Posting.effective_date) <= end
            )
        )
        or 0
    )
    first = session.scalar(
        select(BankStatement)
        .where(col(BankStatement.bank_account_id) == bank.id, col(BankStatement.first_day).is_not(None))
        .order_by(col(BankStatement.first_day), col(BankStatement.id))
    )
    report = Report(bank.code, month, None, False, ledger_balance, first.first_day if first else None)
    if first is None or first.first_day is None:
        return report
    start = first.first_day
    opening = first.opening_balance
    if opening is None:  # no stated opening: the first line's balance, if the bank printed one
        earliest = session.scalar(
            select(BankLine)
            .where(col(BankLine.statement_id) == first.id)
            .order_by(col(BankLine.booked_on), col(BankLine.id))
        )
        opening = earliest.balance_after - earliest.amount if earliest and earliest.balance_after is not None else 0
    ledger_before = int(
        session.scalar(
            select(func.coalesce(func.sum(Posting.amount), 0)).where(
                col(Posting.account_id) == bank.account_id, col(Posting.effective_date) < start
            )
        )
        or 0
    )
    report.opening_difference = opening - ledger_before
    lines_total = int(
        session.scalar(
            select(func.coalesce(func.sum(BankLine.amount), 0)).where(
                col(BankLine.bank_account_id) == bank.id, col(BankLine.booked_on) <= end
            )
        )
        or 0
    )
    report.bank_balance = opening + lines_total
    stated = session.scalar(
        select(BankStatement)
        .where(
            col(BankStatement.bank_account_id) == bank.id,
            col(BankStatement.closing_balance).is_not(None),
            col(BankStatement.last_day) >= month.first_day,
            col(BankStatement.last_day) <= end,
        )
        .order_by(col(BankStatement.last_day).desc(), col(BankStatement.id).desc())
    )
    if stated is not None:
        report.bank_balance, report.bank_balance_stated = stated.closing_balance, True
    report.covered = (
        session.scalar(
            select(func.count())
            .select_from(BankStatement)
            .where(
                col(BankStatement.bank_account_id) == bank.id,
                col(BankStatement.first_day) <= end,
                col(BankStatement.last_day) >= month.first_day,
            )
        )
        or 0
    ) > 0 or stated is not None

    lines = {line.id: line for line in open_lines(session, bank)}
    report.unmatched_lines = [
        Item(o.booked_on, o.amount, o.description, line_id=o.id)
        for o in sorted(lines.values(), key=lambda o: (o.booked_on, o.id))
        if o.booked_on <= end
    ]
    descriptions = dict(
        session.execute(
            select(LedgerTransaction.id, LedgerTransaction.description)
            .join(Posting, col(Posting.transaction_id) == LedgerTransaction.id)
            .where(
                col(Posting.account_id) == bank.account_id,
                col(Posting.effective_date) >= start,
                col(Posting.effective_date) <= end,
            )
        ).all()
    )
    report.unmatched_entries = [
        Item(e.day, e.amount, descriptions.get(e.transaction_id, ""), transaction_id=e.transaction_id)
        for e in sorted(open_entries(session, bank), key=lambda e: (e.day, e.transaction_id))
        if start <= e.day <= end
    ]
    _timing_and_totals(session, bank, month, start, report)
    return report


def _timing_and_totals(session: Session, bank: BankAccount, month: Month, start: date, report: Report) -> None:
    """Per active match: its bank side up to the month's end against its ledger side in the window."""
    end = month.last_day
    bank_side: dict[int, int] = defaultdict(int)
    first_day: dict[int, date] = {}
    for match_id, day, amount in session.execute(
        select(col(MatchLine.match_id), col(BankLine.booked_on), col(MatchLine.amount))
        .join(Match, col(Match.id) == MatchLine.match_id)
        .join(BankLine, col(BankLine.id) == MatchLine.line_id)
        .where(col(Match.bank_account_id) == bank.id, col(Match.undone_at).is_(None))
    ):
        if day <= end:
            bank_side[match_id] += amount
        if month.first_day <= day <= end:
            if amount > 0:
                report.matched_in += amount
            else:
                report.matched_out += amount
        first_day[match_id] = min(first_day.get(match_id, day), day)
    ledger_side: dict[int, int] = defaultdict(int)
    for match_id, day, amount in session.execute(
        select(col(MatchEntry.match_id), col(LedgerTransaction.effective_date), col(MatchEntry.amount))
        .join(Match, col(Match.id) == MatchEntry.match_id)
        .join(LedgerTransaction, col(LedgerTransaction.id) == MatchEntry.transaction_id)
        .where(col(Match.bank_account_id) == bank.id, col(Match.undone_at).is_(None))
    ):
        if start <= day <= end:
            ledger_side[match_id] += amount
        first_day[match_id] = min(first_day.get(match_id, day), day)
    for match_id in sorted(set(bank_side) | set(ledger_side)):
        gap = bank_side.get(match_id, 0) - ledger_side.get(match_id, 0)
        if gap:
            report.timing.append(Item(first_day[match_id], gap, f"match {match_id}: recorded on either side of {end}"))


def unreconciled(session: Session, branch_id: int, month: Month) -> list[tuple[str, str]]:
    """The branch's bank accounts not reconciled for ``month``, each with why."""
    found = []
    for bank in session.scalars(
        select(BankAccount).where(col(BankAccount.branch_id) == branch_id).order_by(col(BankAccount.code))
    ):
        report = report_for(session, bank, month)
        if not report.reconciled:
            if report.status == "not-imported":
                why = "no bank statement for the month has been imported"
            else:
                why = (
                    f"{len(report.unmatched_lines)} bank line(s) and {len(report.unmatched_entries)} ledger "
                    f"transaction(s) unmatched, {report.unexplained:,} ₫ unexplained"
                )
            found.append((bank.code, why))
    return found
