"""Importing the register from spreadsheets: all or nothing, every bad row reported.

``import_file`` reads the whole file, checks every row against the file itself and the
database, and writes only when no row is bad; otherwise it raises ``ImportRejected`` with
every problem (row, column, reason in Vietnamese and English). Rows are keyed by ``code``
(enrolments by child, program and decision number): re-importing the same file changes
nothing; a changed row updates what may change and refuses what may not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlmodel import Session

from ledger.access import audit
from ledger.access.actor import Actor
from ledger.errors import LedgerError
from ledger.months import today_in_vietnam
from ledger.register.import_rights import rows_outside
from ledger.register.importing.money import plan_budget, plan_payments
from ledger.register.importing.people import plan_children, plan_enrolments, plan_pledges, plan_sponsors
from ledger.register.importing.rows import COLUMNS, KINDS, Checker, ImportRejected, ImportReport, Plan, RowError
from ledger.register.importing.structure import open_standard_accounts, plan_bank_accounts, plan_branches
from ledger.register.spreadsheets import Row, Table, read_table


def import_file(session: Session, kind: str, path: Path, *, actor: Actor, today: date | None = None) -> ImportReport:
    """Import ``path`` as ``kind`` in the caller's transaction; ``ImportRejected`` if any row is bad."""
    if kind not in KINDS:
        raise LedgerError(f"cannot import {kind!r}: choose one of {', '.join(KINDS)}")
    table = read_table(Path(path), aliases_of(kind))
    return import_table(session, kind, table, actor=actor, today=today, source=Path(path).name)


def aliases_of(kind: str) -> dict[str, tuple[str, ...]]:
    return {c.name: c.aliases for c in COLUMNS[kind]}


def import_table(
    session: Session, kind: str, table: Table, *, actor: Actor, today: date | None = None, source: str = ""
) -> ImportReport:
    """Import a table read from a file (or corrected in a form) in the caller's transaction.

    Every row is checked against the actor's rights first: a row naming anything outside the
    branches they may change is refused by row and column, and nothing is written. Otherwise every
    row is checked, and a single bad one rejects the whole table (``ImportRejected``).
    """
    if kind not in KINDS:
        raise LedgerError(f"cannot import {kind!r}: choose one of {', '.join(KINDS)}")
    actor.require_writer()
    columns = COLUMNS[kind]
    header, rows = table.header, table.rows
    refused = rows_outside(session, actor, kind, rows)
    if refused:
        raise ImportRejected(kind, [_outside_error(number, column, code) for number, column, code in refused])
    check = Checker()
    missing = [c.name for c in columns if c.required and c.name not in header]
    if missing:
        raise ImportRejected(
            kind,
            [
                RowError(1, name, "this column is missing from the header", "thiếu cột này ở dòng tiêu đề")
                for name in missing
            ],
        )
    unknown = [name[1:] for name in header if name.startswith("?")]
    if unknown:
        raise ImportRejected(
            kind,
            [
                RowError(
                    1, name, f"unknown column (expected: {', '.join(c.name for c in columns)})", "cột không được hỗ trợ"
                )
                for name in unknown
            ],
        )
    report = ImportReport(kind, rows=len(rows))
    writer = _WRITERS[kind]
    plans = writer(session, rows, check, today or today_in_vietnam(), actor)
    if check.errors:
        raise ImportRejected(kind, check.errors)
    for row_number, apply in plans:
        try:
            outcome = apply()
        except ImportRejected:
            raise
        except LedgerError as refused:  # the ledger refused what the row asks (a closed month, …)
            raise ImportRejected(kind, [RowError(row_number, "", str(refused), str(refused))]) from None
        setattr(report, outcome, getattr(report, outcome) + 1)
        report.outcomes[row_number] = outcome
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="import",
        subject=f"import:{kind}",
        branch_id=actor.home_branch_id,
        detail={"file": source, "rows": report.rows, "created": report.created, "updated": report.updated},
    )
    return report


def _outside_error(number: int, column: str, code: str) -> RowError:
    if not code:
        return RowError(number, column, "only an administrator adds a province", "chỉ quản trị viên được thêm tỉnh")
    return RowError(
        number,
        column,
        f"{code!r} is outside the branches you may change",
        f"{code!r} không thuộc các chi hội bạn được quản lý",
    )


_WRITERS: dict[str, Callable[[Session, list[Row], Checker, date, Actor], list[Plan]]] = {
    "branches": plan_branches,
    "bank-accounts": plan_bank_accounts,
    "sponsors": plan_sponsors,
    "children": plan_children,
    "pledges": plan_pledges,
    "enrolments": plan_enrolments,
    "payments": plan_payments,
    "budget": plan_budget,
}

__all__ = [
    "KINDS", "ImportRejected", "ImportReport", "RowError", "aliases_of", "import_file", "import_table",
    "open_standard_accounts",
]  # fmt: skip
