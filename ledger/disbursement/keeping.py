"""Keeping a run's decisions: one ``run_decision`` row each, with the settlements of earlier
shortfalls it pays. Rows are written with COPY on PostgreSQL, a Core insert on SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from ledger import chain
from ledger.db import is_sqlite
from ledger.disbursement.models import RunDecision, ShortfallSettlement
from ledger.disbursement.planning import Planned
from ledger.ground.columns import table_of
from ledger.posting import copy_rows
from ledger.posting.bulk import copy_field, copy_written

RUN_DECISION = table_of(RunDecision)
SETTLEMENT = table_of(ShortfallSettlement)
DECISION_COLUMNS = (
    "run_id", "child_id", "program", "month", "eligible", "due", "catch_up", "paid", "shortfall",
    "fund_account_id", "reasons",
)  # fmt: skip

# A settlement before its decision has an id: (child id, program, shortfall id, amount).
Paying = tuple[int, str, int, int]


def decision_row(run_id: int, planned: Planned) -> dict[str, Any]:
    """The ``run_decision`` row of a decision."""
    return {
        "run_id": run_id,
        "child_id": planned.child_id,
        "program": planned.program,
        "month": planned.month.first_day,
        "eligible": planned.eligible,
        "due": planned.due,
        "catch_up": planned.catch_up,
        "paid": planned.paid,
        "shortfall": planned.shortfall,
        "fund_account_id": planned.fund_account_id,
        "reasons": [r.as_stored() for r in planned.reasons],
    }


def paying(planned: Sequence[Planned]) -> list[Paying]:
    """What the decisions pay of earlier shortfalls."""
    return [(p.child_id, p.program, s.shortfall_id, s.amount) for p in planned for s in p.settlements]


def as_copy_text(run_id: int, planned: Sequence[Planned]) -> bytes:
    """The decisions' rows as COPY text, for a process other than the run's to hand over (``keep_copied``):
    each line written at once, in ``DECISION_COLUMNS`` order, as ``copy_text`` writes ``decision_row``
    (a decider spent a third of its time here; the two agree: tests/disbursement/test_keeping.py)."""
    lines = []
    for p in planned:
        reasons = copy_field(chain.canonical_json([r.as_stored() for r in p.reasons]))
        fund = "\\N" if p.fund_account_id is None else p.fund_account_id
        lines.append(
            f"{run_id}\t{p.child_id}\t{copy_field(p.program)}\t{p.month.first_day}\t{'t' if p.eligible else 'f'}"
            f"\t{p.due}\t{p.catch_up}\t{p.paid}\t{p.shortfall}\t{fund}\t{reasons}\n"
        )
    return "".join(lines).encode()


def keep(session: Session, run_id: int, planned: list[Planned]) -> None:
    """Keep a chunk of decisions, with the settlements of earlier shortfalls they pay."""
    if not planned:
        return
    connection = session.connection()
    rows = [decision_row(run_id, p) for p in planned]
    if is_sqlite(session):
        connection.execute(insert(RUN_DECISION), rows)
    else:
        copy_rows(connection, RUN_DECISION, rows)  # PostgreSQL: far cheaper than multi-row INSERT text
    keep_settlements(session, run_id, paying(planned))


def keep_copied(session: Session, run_id: int, rows: bytes, settlements: list[Paying]) -> None:
    """Keep decisions already written as COPY text (``as_copy_text``), and what they pay (PostgreSQL)."""
    if rows:
        copy_written(session.connection(), RUN_DECISION, DECISION_COLUMNS, rows)
    keep_settlements(session, run_id, settlements)


def keep_settlements(session: Session, run_id: int, settlements: list[Paying]) -> None:
    """The settlements of a run's kept decisions, each found by its child and program."""
    if not settlements:
        return
    connection = session.connection()
    ids = {
        (child_id, program): decision_id
        for decision_id, child_id, program in connection.execute(
            select(RunDecision.id, RunDecision.child_id, RunDecision.program).where(
                col(RunDecision.run_id) == run_id,
                col(RunDecision.child_id).in_(sorted({child_id for child_id, *_ in settlements})),
            )
        )
    }
    connection.execute(
        insert(SETTLEMENT),
        [
            {"decision_id": ids[(child_id, program)], "shortfall_id": shortfall_id, "amount": amount}
            for child_id, program, shortfall_id, amount in settlements
        ],
    )
