"""Statements no bank we know wrote: the treasurer names their columns once per bank account.

A rural commune banks where it can, and its bank's export may be one the product does not
recognise. The file is kept (``PendingStatement``) while she picks, from the file's own
headers, which column is the date, the amount (or debit and credit) and the description; the
choice is remembered for the account (``StatementMapping``), so next month's file of the same
bank imports at once. The mapping is the same text the CLI takes (``--map date=…,amount=…``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import Session, col, select

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.errors import InvalidEntry, NotFound
from ledger.reconciliation.formats import mapped_layout, parse_day, read_table
from ledger.reconciliation.models import PendingStatement, StatementMapping
from ledger.register.models import BankAccount

ROLES = ("date", "description", "amount", "debit", "credit", "balance", "reference")
KEPT_FOR = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class TablePreview:
    """The file's header row as written, and the rows after it, for picking columns."""

    headers: list[str]
    rows: list[list[str]]


def preview(path: Path, rows: int = 5) -> TablePreview:
    """The header row (the first row of several text cells followed by a dated row) and a few rows."""
    table = [["" if cell is None else str(cell).strip() for cell in row] for row in read_table(path)]
    for number, row in enumerate(table[:60]):
        texts = [cell for cell in row if cell and not _dated(cell) and not _numeric(cell)]
        if len(texts) >= 3 and any(_dated(cell) for after in table[number + 1 : number + 4] for cell in after):
            return TablePreview(row, table[number + 1 : number + 1 + rows])
    raise InvalidEntry(f"{path.name} has no row of column headers followed by dated lines")


def _dated(cell: str) -> bool:
    try:
        parse_day(cell)
    except InvalidEntry:
        return False
    return True


def _numeric(cell: str) -> bool:
    return cell.replace(".", "").replace(",", "").replace("-", "").strip().isdigit()


class ColumnsNotNamed(InvalidEntry):
    """The columns named leave out what every statement line needs."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(f"name the statement's columns for {', '.join(missing)}")


def as_mapping(choices: dict[str, str]) -> str:
    """``{"date": "Ngày", "amount": "Số tiền", …}`` as a mapping; checked as the import will read it."""
    chosen = {role: header.strip() for role, header in choices.items() if role in ROLES and header.strip()}
    missing = [role for role in ("date", "description") if role not in chosen]
    if "amount" not in chosen and not ("debit" in chosen and "credit" in chosen):
        missing += ["amount"] if "debit" not in chosen and "credit" not in chosen else ["debit", "credit"]
    if missing:
        raise ColumnsNotNamed(missing)
    for role, header in chosen.items():
        if "," in header or "=" in header:
            raise InvalidEntry(f"the column chosen for {role} has ',' or '=' in its header: rename it in the file")
    mapping = ",".join(f"{role}={header}" for role, header in chosen.items())
    mapped_layout(mapping)
    return mapping


def remember(session: Session, *, actor: Actor, account: str, mapping: str, now: datetime | None = None) -> None:
    bank = rights.writable_bank_account(session, actor, account)
    mapped_layout(mapping)
    session.add(StatementMapping(bank_account_id=bank.id, mapping=mapping, set_at=now or datetime.now(UTC),
                                 set_by=actor.user))  # fmt: skip
    audit.record(session, actor=actor, action="bank.mapping", subject=f"bank-account:{bank.code}",
                 branch_id=bank.branch_id, detail={"mapping": mapping}, now=now)  # fmt: skip


def remembered(session: Session, bank: BankAccount) -> str | None:
    """The mapping in force for the account's unrecognised statements, if one was named."""
    return session.scalar(
        select(StatementMapping.mapping)
        .where(col(StatementMapping.bank_account_id) == bank.id)
        .order_by(col(StatementMapping.id).desc())
        .limit(1)
    )


def keep_pending(
    session: Session, *, actor: Actor, account: str, filename: str, content: bytes, now: datetime | None = None
) -> int:
    """Keep an unrecognised file while its columns are named; files older than a day go."""
    bank = rights.writable_bank_account(session, actor, account)
    now = now or datetime.now(UTC)
    session.execute(delete(PendingStatement).where(col(PendingStatement.uploaded_at) < now - KEPT_FOR))
    kept = PendingStatement(bank_account_id=bank.id, filename=Path(filename).name[:255] or "statement",
                            content=content, uploaded_at=now, uploaded_by=actor.user)  # fmt: skip
    session.add(kept)
    session.flush()
    return kept.id


def pending(session: Session, actor: Actor, pending_id: int) -> tuple[PendingStatement, BankAccount]:
    """A kept file and its bank account, for the writer who may import it."""
    kept = session.get(PendingStatement, pending_id)
    bank = session.get(BankAccount, kept.bank_account_id) if kept is not None else None
    if kept is None or bank is None or not actor.sees_branch(bank.branch_id):
        raise NotFound(f"the statement file {pending_id} is no longer kept: choose it again")
    rights.writable_bank_account(session, actor, bank.code)
    return kept, bank


def drop_pending(session: Session, pending_id: int) -> None:
    session.execute(delete(PendingStatement).where(col(PendingStatement.id) == pending_id))
