"""Whether a copy is whole, and restoring one: checked bytes, a restore, ``verify``, the same ledger.

Both work on a restored database that nobody else sees: a temporary file beside the target
(SQLite) or a temporary database on the same server (PostgreSQL). A restore replaces the
target only with a copy that has proved itself there, so it never leaves half a database.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, make_url
from sqlmodel import Session

from ledger.backup import archive, engines
from ledger.backup.engines import BackupFailed
from ledger.backup.fingerprint import Fingerprint, evidence_intact, fingerprint
from ledger.backup.manifest import Manifest
from ledger.db import make_engine, upgrade
from ledger.errors import LedgerError
from ledger.verify import verify


class DatabaseNotEmpty(LedgerError):
    """Restoring over a database that holds data needs the caller to say so."""

    def __init__(self, target: str) -> None:
        self.target = target
        super().__init__(f"{target} already holds a database; restoring would replace it")


@dataclass(slots=True)
class CopyReport:
    copy: Path
    manifest: Manifest | None = None
    restored: Fingerprint | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def whole(self) -> bool:
        return self.manifest is not None and self.restored is not None and not self.problems


def engine_name(url: str) -> str:
    return "sqlite" if make_url(url).get_backend_name() == "sqlite" else "postgresql"


def open_restored(url: str, schema: str | None) -> Engine:
    if schema and schema != "public":
        return make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    return make_engine(url)


def prove(engine: Engine, manifest: Manifest, report: CopyReport) -> None:
    """Bring a restored database to this code's schema, verify it, and compare it with the manifest."""
    upgrade(engine)  # a copy from an older version is brought up to date, as `db upgrade` would
    with Session(engine) as session:
        checked = verify(session)
        report.problems += [f"verify: {p.message}" for p in checked.problems[:20]]
        report.problems += [f"{name}: its bytes do not match its SHA-256" for name in evidence_intact(session)]
        restored = report.restored = fingerprint(session)
    expected = manifest.ledger
    if (restored.chain_seq, restored.chain_hash) != (expected.chain_seq, expected.chain_hash):
        report.problems.append(
            f"the restored chain ends at #{restored.chain_seq} ({restored.chain_hash[:12]}), "
            f"the manifest says #{expected.chain_seq} ({expected.chain_hash[:12]})"
        )
    if restored.trial_balance_digest != expected.trial_balance_digest:
        report.problems.append("the restored trial balance differs from the one the manifest records")


@contextmanager
def _opened(copy: Path, report: CopyReport) -> Iterator[tuple[Manifest, Path]]:
    """The copy's bytes checked against the manifest beside it, then its database unpacked and checked."""
    archive.check_against_beside(copy)
    with tempfile.TemporaryDirectory(prefix="godmother-copy-") as folder:
        report.manifest, database = archive.unpack(copy, Path(folder))
        yield report.manifest, database


def verify_copy(copy: Path, *, server_url: str | None = None) -> CopyReport:
    """Is ``copy`` whole? Restores it where nobody sees it (PostgreSQL copies need ``server_url``)."""
    report = CopyReport(copy)
    try:
        with _opened(copy, report) as (manifest, database):
            if manifest.engine == "sqlite":
                restored = database.with_name("restored.sqlite")
                archive.gunzip_file(database, restored)
                _prove_sqlite(restored, manifest, report)
            else:
                if server_url is None or engine_name(server_url) != "postgresql":
                    raise BackupFailed(
                        copy.name, "a PostgreSQL copy is verified on a PostgreSQL server: set DATABASE_URL"
                    )
                with engines.temporary_postgres(server_url) as scratch:
                    engines.restore_postgres(database, scratch, manifest.pg_schema or "public", replace=False)
                    _prove_in(scratch, manifest.pg_schema, manifest, report)
    except (BackupFailed, DatabaseNotEmpty) as exc:
        report.problems.append(str(exc))
    return report


def _prove_sqlite(path: Path, manifest: Manifest, report: CopyReport) -> None:
    integrity = engines.integrity_of_sqlite(path)
    if integrity != "ok":
        raise BackupFailed("the database in the copy", f"SQLite finds it damaged: {integrity}")
    _prove_in(f"sqlite:///{path}", None, manifest, report)


def _prove_in(url: str, schema: str | None, manifest: Manifest, report: CopyReport) -> None:
    engine = open_restored(url, schema)
    try:
        prove(engine, manifest, report)
    finally:
        engine.dispose()


def restore(copy: Path, *, to: str, replace: bool = False) -> CopyReport:
    """Restore ``copy`` into the database at ``to`` if it proves whole; the target is untouched otherwise."""
    target_engine = engine_name(to)
    report = CopyReport(copy)
    try:
        with _opened(copy, report) as (manifest, database):
            if manifest.engine != target_engine:
                raise BackupFailed(copy.name, f"it is a {manifest.engine} copy and cannot go into {target_engine}")
            if manifest.engine == "sqlite":
                _restore_sqlite(database, engines.sqlite_path(to), manifest, report, replace=replace)
            else:
                _restore_postgres(database, to, manifest, report, replace=replace)
    except BackupFailed as exc:
        report.problems.append(str(exc))
    return report


def _restore_sqlite(packed: Path, target: Path, manifest: Manifest, report: CopyReport, *, replace: bool) -> None:
    if not replace and not engines.sqlite_is_empty(target):
        raise DatabaseNotEmpty(str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.restoring-{os.getpid()}")
    try:
        archive.gunzip_file(packed, staged)
        _prove_sqlite(staged, manifest, report)
        if report.problems:
            return
        for leftover in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
            leftover.unlink(missing_ok=True)
        staged.replace(target)
    finally:
        for path in (staged, staged.with_name(staged.name + "-wal"), staged.with_name(staged.name + "-shm")):
            path.unlink(missing_ok=True)


def _restore_postgres(dump: Path, url: str, manifest: Manifest, report: CopyReport, *, replace: bool) -> None:
    schema = manifest.pg_schema or "public"
    if not replace and not engines.pg_schema_is_empty(url, schema):
        raise DatabaseNotEmpty(f"schema {schema!r} of {make_url(url).render_as_string(hide_password=True)}")
    with engines.temporary_postgres(url) as scratch:  # proved first, where nobody sees it
        engines.restore_postgres(dump, scratch, schema, replace=False)
        _prove_in(scratch, manifest.pg_schema, manifest, report)
    if report.problems:
        return
    report.restored = None
    engines.restore_postgres(dump, url, schema, replace=True)
    _prove_in(url, manifest.pg_schema, manifest, report)
