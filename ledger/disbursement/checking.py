"""Checking a month: the decisions a run would make today against those it stored and posted."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ledger.disbursement.facts import ChildRow, MonthFacts, facts_by_province
from ledger.disbursement.models import Run, RunDecision
from ledger.disbursement.planning import POSTED_RUN, guardian_payable
from ledger.disbursement.run import scope_of
from ledger.models import Account, Disbursement, LedgerTransaction, Posting
from ledger.months import Month

# --- checking ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Difference:
    child: str
    program: str
    run_id: int | None
    what: str


def check_month(session: Session, month: Month, *, branch: str | None = None) -> tuple[int, list[Difference]]:
    """Re-derive the month's decisions with today's code and register; compare with what was paid.

    Returns how many decisions were checked and every difference: an entitlement that is now
    decided otherwise, a payment that differs from its decision, a disbursement without one.
    """
    _, scope = scope_of(session, branch)
    rows = session.execute(
        sa.select(
            col(RunDecision.run_id),
            col(RunDecision.child_id),
            col(RunDecision.program),
            col(RunDecision.eligible),
            col(RunDecision.due),
            col(RunDecision.paid),
        )
        .join(Run, col(Run.id) == RunDecision.run_id)
        .where(col(RunDecision.month) == month.first_day, col(Run.status).in_(POSTED_RUN))
    ).all()
    by_child: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_child[row[1]].append(row)
    ledger_paid = _disbursed(session, month)
    differences: list[Difference] = []
    checked, decided, in_scope = 0, set(), set[str]()
    for facts in facts_by_province(session, month, scope):  # a province's facts in memory at a time
        in_scope |= facts.by_code.keys()
        for child_id, child in facts.children.items():
            for run_id, _, program, eligible, due, paid in by_child.get(child_id, ()):
                checked += 1
                decided.add((child.code, program))
                differences += _compared(facts, child, month, program, run_id, eligible, due, paid, ledger_paid)
    for (child_code, program), amount in sorted(ledger_paid.items()):
        if (child_code, program) in decided or child_code not in in_scope:
            continue
        differences.append(
            Difference(child_code, program, None, f"{amount:,} ₫ disbursed without a decision of a monthly run")
        )
    return checked, differences


def _compared(
    facts: MonthFacts,
    child: ChildRow,
    month: Month,
    program: str,
    run_id: int,
    eligible: bool,
    due: int,
    paid: int,
    ledger_paid: dict[tuple[str, str], int],
) -> list[Difference]:
    """How a kept decision differs from the one made today, and from what the ledger paid."""
    differences = []
    again = facts.decide(child, program, month)
    due_now = again.amount if again.eligible else 0
    if again.eligible != eligible or due_now != due:
        reason = "; ".join(r.en for r in again.reasons[-2:])
        differences.append(
            Difference(child.code, program, run_id, f"decided {due:,} ₫ then, {due_now:,} ₫ now ({reason})")
        )
    posted = ledger_paid.get((child.code, program), 0)
    if posted != paid:
        differences.append(
            Difference(child.code, program, run_id, f"the decision pays {paid:,} ₫, the ledger shows {posted:,} ₫")
        )
    return differences


def _disbursed(session: Session, month: Month) -> dict[tuple[str, str], int]:
    """What the ledger paid each child and program for ``month`` (the payable's credit)."""
    rows = session.execute(
        select(Disbursement.child_code, Disbursement.program, Posting.amount, Account.code)
        .join(LedgerTransaction, col(LedgerTransaction.id) == Disbursement.transaction_id)
        .join(Posting, col(Posting.transaction_id) == Disbursement.transaction_id)
        .join(Account, col(Account.id) == Posting.account_id)
        .where(col(Disbursement.month) == month.first_day)
    )
    paid: dict[tuple[str, str], int] = {}
    for child, program, amount, code in rows:
        if code == guardian_payable(child):
            paid[(child, program)] = paid.get((child, program), 0) - amount
    return paid
