"""Export for leaving, and importing it back: a branch can move to another system with nothing lost.

``export_all`` writes, into a folder anyone can open:

- ``register/``: the register as the import spreadsheets (branches, bank accounts, sponsors,
  children, pledges, enrolments), so that any system that reads our formats takes it in;
- ``ledger/``: the ledger as Beancount, and as ``accounts.csv``, ``transactions.csv`` and
  ``postings.csv`` (every field the hash chain covers, with the hashes);
- ``tables/``: every table as CSV (decisions, payments, bank lines, the audit log, …), with the
  evidence files beside them in ``evidence/`` (passwords and sign-in tokens are never written);
- ``manifest.json``: the ledger's fingerprint (chain head, trial-balance digest) and the counts.

``import_all`` takes such a folder into an empty database: the register through the same
importer treasurers use, then the ledger transaction by transaction in chain order (same dates,
descriptions, metadata, reversals, disbursement keys, recording times), and checks that the
trial balance is the one the manifest records and that the new chain verifies.
"""

from __future__ import annotations

import base64
import csv
import json
import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from ledger.access import audit
from ledger.access.actor import Actor
from ledger.accounts import AccountKey, open_account
from ledger.backup.fingerprint import Fingerprint, fingerprint
from ledger.backup.manifest import product_version
from ledger.errors import InvalidEntry
from ledger.export_beancount import export_beancount
from ledger.models import Account, Branch, Disbursement, LedgerTransaction, Posting
from ledger.months import Month
from ledger.posting import DisbursementKey, Entry, Leg, post
from ledger.register import importing
from ledger.register.queries import export_xlsx
from ledger.verify import verify

REGISTER = ("branches", "bank-accounts", "sponsors", "children", "pledges", "enrolments")
NEVER_WRITTEN = {"access_token", "sign_in_attempt", "apscheduler_jobs"}  # secrets and machine state
SECRET_COLUMNS = {"password_hash"}
FORMAT = "godmother-export/1"


@dataclass(frozen=True, slots=True)
class Exported:
    folder: Path
    ledger: Fingerprint
    files: int
    rows: dict[str, int]


@dataclass(frozen=True, slots=True)
class Imported:
    register: dict[str, int]
    transactions: int
    ledger: Fingerprint
    same_trial_balance: bool
    same_chain_head: bool
    verified: bool


def export_all(session: Session, folder: Path, *, actor: Actor) -> Exported:
    """Everything, in open formats, into ``folder`` (which must be empty or new)."""
    actor.require_admin()  # the whole deployment's people and money
    if folder.exists() and any(folder.iterdir()):
        raise InvalidEntry(f"{folder} is not empty: export into a new folder")
    for part in ("register", "ledger", "tables", "evidence"):
        (folder / part).mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    for kind in REGISTER:
        rows[f"register/{kind}"] = export_xlsx(session, kind, folder / "register" / f"{kind}.xlsx", actor=actor)
    with (folder / "ledger" / "ledger.beancount").open("w", encoding="utf-8") as out:
        export_beancount(session, out)
    rows.update(_ledger_csv(session, folder / "ledger"))
    for name, table in sorted(SQLModel.metadata.tables.items()):
        if name in NEVER_WRITTEN:
            continue
        rows[f"tables/{name}"] = _table_csv(session, table, folder / "tables" / f"{name}.csv", folder / "evidence")
    described = fingerprint(session)
    manifest = {
        "format": FORMAT,
        "exported_at": datetime.now(UTC).isoformat(),
        "exported_by": actor.user,
        "product_version": product_version(),
        "ledger": described.as_json(),
        "rows": rows,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    audit.record(session, actor=actor, action="export.all", subject="everything", detail={"folder": str(folder)})
    files = sum(1 for path in folder.rglob("*") if path.is_file())
    return Exported(folder, described, files, rows)


def _ledger_csv(session: Session, folder: Path) -> dict[str, int]:
    branches = dict(session.execute(select(Branch.id, Branch.code)).all())
    with _CsvWriter(folder / "accounts.csv", ("branch", "code", "type", "name", "opened_on", "is_open",
                                           "may_go_negative", "balance")) as write:  # fmt: skip
        accounts = 0
        for a in session.scalars(select(Account).order_by(col(Account.branch_id), col(Account.code))):
            write([branches[a.branch_id], a.code, a.type, a.name, a.opened_on, a.is_open, a.may_go_negative,
                   a.balance])  # fmt: skip
            accounts += 1
    disbursed = {row.transaction_id: row for row in session.scalars(select(Disbursement))}
    columns = ("id", "seq", "effective_date", "recorded_at", "kind", "description", "posted_by", "reverses_id",
               "idempotency_key", "metadata", "disbursement", "content_hash", "prev_hash", "hash")  # fmt: skip
    with _CsvWriter(folder / "transactions.csv", columns) as write:
        transactions = 0
        for t in session.scalars(select(LedgerTransaction).order_by(col(LedgerTransaction.seq))).yield_per(2000):
            d = disbursed.get(t.id)
            write([
                t.id, t.seq, t.effective_date, t.recorded_at.astimezone(UTC).isoformat(), t.kind, t.description,
                t.posted_by, t.reverses_id or "", t.idempotency_key or "",
                json.dumps(t.meta, ensure_ascii=False, sort_keys=True),
                json.dumps([d.child_code, d.program, d.month.isoformat()]) if d else "",
                t.content_hash, t.prev_hash, t.hash,
            ])  # fmt: skip
            transactions += 1
    query = (
        sa.select(
            col(Posting.transaction_id),
            col(Posting.line),
            col(Branch.code),
            col(Account.code),
            col(Posting.amount),
            col(Posting.currency),
        )
        .join(Account, col(Account.id) == Posting.account_id)
        .join(Branch, col(Branch.id) == Account.branch_id)
        .order_by(col(Posting.transaction_id), col(Posting.line))
    )
    header = ("transaction_id", "line", "branch", "account", "amount", "currency")
    with _CsvWriter(folder / "postings.csv", header) as write:
        postings = 0
        for row in session.execute(query).yield_per(5000):
            write(list(row))
            postings += 1
    return {"ledger/accounts": accounts, "ledger/transactions": transactions, "ledger/postings": postings}


def _table_csv(session: Session, table: Any, path: Path, evidence: Path) -> int:
    names = [c.name for c in table.columns if c.name not in SECRET_COLUMNS]
    count = 0
    with _CsvWriter(path, names) as write:
        for row in session.execute(select(*(table.c[name] for name in names))).yield_per(2000):
            record = dict(zip(names, row, strict=True))
            write([_cell(table.name, name, value, record, evidence) for name, value in record.items()])
            count += 1
    return count


def _cell(table: str, column: str, value: Any, record: dict[str, Any], evidence: Path) -> Any:
    if isinstance(value, bytes | memoryview):
        if table == "evidence":  # the photo itself, beside the tables, named by its SHA-256
            name = f"{record['sha256']}{mimetypes.guess_extension(record.get('content_type') or '') or '.bin'}"
            (evidence / name).write_bytes(bytes(value))
            return f"evidence/{name}"
        return "base64:" + base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value


class _CsvWriter:
    def __init__(self, path: Path, header: Any) -> None:
        self.file = path.open("w", encoding="utf-8", newline="")
        self.csv = csv.writer(self.file)
        self.csv.writerow(list(header))

    def __enter__(self) -> Any:
        return self.csv.writerow

    def __exit__(self, *exc: object) -> None:
        self.file.close()


# --- back in -----------------------------------------------------------------------------


def import_all(session: Session, folder: Path, *, actor: Actor) -> Imported:
    """Take an export into this (empty) database: the register, then the ledger in chain order."""
    actor.require_admin()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise InvalidEntry(f"{folder} is not a godmother export (no manifest.json of format {FORMAT})")
    if session.scalar(select(func.count()).select_from(Branch)) or session.scalar(
        select(func.count()).select_from(LedgerTransaction)
    ):
        raise InvalidEntry("the database is not empty: an export is taken into an empty database")
    register = {}
    for kind in REGISTER:
        path = folder / "register" / f"{kind}.xlsx"
        register[kind] = importing.import_file(session, kind, path, actor=actor).rows
    _open_accounts(session, folder / "ledger" / "accounts.csv")
    count = _replay(session, folder / "ledger")
    session.flush()
    expected = Fingerprint.from_json(manifest["ledger"])
    now = fingerprint(session)
    report = verify(session)
    audit.record(session, actor=actor, action="import.all", subject="everything",
                 detail={"transactions": count, "folder": str(folder)})  # fmt: skip
    return Imported(
        register=register,
        transactions=count,
        ledger=now,
        same_trial_balance=now.trial_balance_digest == expected.trial_balance_digest,
        same_chain_head=(now.chain_seq, now.chain_hash) == (expected.chain_seq, expected.chain_hash),
        verified=report.ok,
    )


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        yield from csv.DictReader(file)


def _open_accounts(session: Session, path: Path) -> None:
    have = set(
        session.execute(select(Branch.code, Account.code).join(Branch, col(Branch.id) == Account.branch_id)).all()
    )
    for row in _rows(path):
        if (row["branch"], row["code"]) not in have:
            open_account(
                session, branch=row["branch"], code=row["code"], name=row["name"],
                opened_on=date.fromisoformat(row["opened_on"]), may_go_negative=row["may_go_negative"] == "True",
            )  # fmt: skip


def _replay(session: Session, folder: Path) -> int:
    legs: dict[str, list[Leg]] = {}
    for row in _rows(folder / "postings.csv"):
        legs.setdefault(row["transaction_id"], []).append(
            Leg(AccountKey(row["branch"], row["account"]), int(row["amount"]), row["currency"])
        )
    new_id: dict[str, int] = {}
    count = 0
    for row in _rows(folder / "transactions.csv"):
        key = json.loads(row["disbursement"]) if row["disbursement"] else None
        entry = Entry(
            effective_date=date.fromisoformat(row["effective_date"]),
            description=row["description"],
            legs=tuple(legs[row["id"]]),
            posted_by=row["posted_by"],
            idempotency_key=row["idempotency_key"] or None,
            metadata=json.loads(row["metadata"]),
            kind=row["kind"],
            reverses_id=new_id[row["reverses_id"]] if row["reverses_id"] else None,
            disbursement=DisbursementKey(key[0], key[1], Month.parse(key[2][:7])) if key else None,
        )
        new_id[row["id"]] = post(session, entry, now=datetime.fromisoformat(row["recorded_at"])).id
        count += 1
    return count
