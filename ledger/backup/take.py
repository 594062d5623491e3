"""Taking a copy: read one consistent state, write it beside its manifest, prove it, keep the last N.

The copy is written under a ``.partial`` name and renamed into place only after it restored
and verified, with its manifest already beside it: a file with the final name is whole, and a
copy killed halfway leaves only a ``.partial`` file that nothing takes for a copy (the next
backup clears it). Old copies are removed only after the new one is proved.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from ledger.access import audit
from ledger.access.actor import Actor
from ledger.backup import archive, engines
from ledger.backup.check import engine_name, verify_copy
from ledger.backup.engines import BackupFailed
from ledger.backup.manifest import PARTIAL, SUFFIX, Manifest
from ledger.db import run_in_transaction
from ledger.schedule.models import BackupCopy

STALE_PARTIAL = timedelta(hours=6)  # older than any copy takes to write: left by a killed backup


@dataclass(slots=True)
class TakenCopy:
    path: Path
    manifest: Manifest
    seconds: float
    second_copy: Path | None = None
    removed: list[Path] = field(default_factory=list)


def _fault(stage: str) -> None:
    """``GODMOTHER_FAULT=backup:<stage>`` kills this process there, as a power cut would (the drill)."""
    if os.environ.get("GODMOTHER_FAULT") == f"backup:{stage}":
        os.kill(os.getpid(), signal.SIGKILL)


def take_backup(
    engine: Engine,
    *,
    folder: Path,
    keep: int = 14,
    also_to: Path | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> TakenCopy:
    """A proved copy of the whole database in ``folder`` (and ``also_to``); an administrator's act."""
    actor.require_admin()  # a copy holds every branch's people
    if keep < 1:
        raise BackupFailed("keep", "keep at least one copy")
    started = time.monotonic()
    partial, manifest = write_copy(engine, folder, taken_by=actor.user, now=now)
    final, manifest = keep_copy(partial, manifest, server_url=engine.url.render_as_string(hide_password=False))
    taken = TakenCopy(final, manifest, 0.0)
    if also_to is not None:
        taken.second_copy = _copy_to(final, also_to)
    taken.removed = prune(folder, keep) + (prune(also_to, keep) if also_to is not None else [])
    taken.seconds = time.monotonic() - started
    run_in_transaction(engine, lambda session: _record(session, taken, also_to, actor))
    return taken


def write_copy(engine: Engine, folder: Path, *, taken_by: str, now: datetime | None = None) -> tuple[Path, Manifest]:
    """One consistent state of the database, written under a ``.partial`` name with its manifest inside."""
    url = engine.url.render_as_string(hide_password=False)
    folder.mkdir(parents=True, exist_ok=True)
    _clear_stale_partials(folder)
    taken_at = now or datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix=".godmother-backup-", dir=folder) as work:
        if engine_name(url) == "sqlite":
            raw = Path(work) / "database.sqlite"
            engines.copy_sqlite(url, raw)
            described, revision = engines.describe_sqlite(raw)
            database, schema = Path(work) / "database.sqlite.gz", None
            archive.gzip_file(raw, database)
            raw.unlink()
        else:
            database = Path(work) / "database.pgdump"
            described, schema, revision = engines.dump_postgres(engine, url, database)
        manifest = Manifest(
            engine=engine_name(url), schema_revision=revision, taken_at=taken_at, taken_by=taken_by,
            ledger=described, database=archive.member_of(database, database.name), pg_schema=schema,
        )  # fmt: skip
        partial = folder / (manifest.file_name() + PARTIAL)
        archive.write_archive(partial, manifest, database, halfway=lambda: _fault("halfway"))
    _fault("written")
    return partial, manifest


def keep_copy(partial: Path, manifest: Manifest, *, server_url: str) -> tuple[Path, Manifest]:
    """Prove the partial copy whole, write its manifest beside it, and only then give it its name."""
    proof = verify_copy(partial, server_url=server_url)
    if not proof.whole:
        partial.unlink(missing_ok=True)
        raise BackupFailed("the new copy did not prove whole", "; ".join(proof.problems[:3]))
    final = partial.with_name(partial.name.removesuffix(PARTIAL))
    manifest = replace(manifest, copy=archive.member_of(partial, final.name))
    archive.write_beside(final, manifest)
    _fault("manifest")
    partial.replace(final)
    return final, manifest


def _record(session: Session, taken: TakenCopy, also_to: Path | None, actor: Actor) -> None:
    m = taken.manifest
    assert m.copy is not None
    audit.record(
        session, actor=actor, action="backup.take", subject=f"backup:{taken.path.name}"[:200],
        detail={"chain_seq": m.ledger.chain_seq, "sha256": m.copy.sha256, "folder": str(taken.path.parent)},
    )  # fmt: skip
    session.add(
        BackupCopy(
            taken_at=m.taken_at, file_name=taken.path.name, folder=str(taken.path.parent.resolve()),
            second_folder=str(also_to.resolve()) if also_to else None, size=m.copy.size, sha256=m.copy.sha256,
            chain_seq=m.ledger.chain_seq, chain_hash=m.ledger.chain_hash,
            trial_balance_digest=m.ledger.trial_balance_digest, taken_by=m.taken_by, seconds=taken.seconds,
        )
    )  # fmt: skip


def _copy_to(copy: Path, folder: Path) -> Path:
    """A second copy (a USB disk, a share), checked byte for byte against the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / copy.name
    partial = target.with_name(target.name + PARTIAL)
    shutil.copyfile(copy, partial)
    with partial.open("rb") as file:
        os.fsync(file.fileno())
    manifest = Manifest.from_json(archive.beside(copy).read_bytes())
    assert manifest.copy is not None
    if archive.sha256_of(partial) != manifest.copy.sha256:
        partial.unlink()
        raise BackupFailed(f"the second copy in {folder}", "it differs from the first after copying")
    archive.write_beside(target, manifest)
    partial.replace(target)
    return target


def whole_copies(folder: Path) -> list[tuple[Path, Manifest]]:
    """Copies in ``folder`` with their manifest beside them, newest first (partial files are not copies)."""
    found = []
    for path in folder.glob(f"*{SUFFIX}"):
        side = archive.beside(path)
        if not side.exists():
            continue
        try:
            manifest = Manifest.from_json(side.read_bytes())
        except (ValueError, KeyError, TypeError):
            continue
        if manifest.copy is not None and path.stat().st_size == manifest.copy.size:
            found.append((path, manifest))
    return sorted(found, key=lambda item: item[1].taken_at, reverse=True)


def prune(folder: Path, keep: int) -> list[Path]:
    removed = []
    for path, _ in whole_copies(folder)[keep:]:
        path.unlink(missing_ok=True)
        archive.beside(path).unlink(missing_ok=True)
        removed.append(path)
    return removed


def _clear_stale_partials(folder: Path) -> None:
    limit = time.time() - STALE_PARTIAL.total_seconds()
    for path in [*folder.glob(f"*{PARTIAL}"), *folder.glob(".godmother-backup-*")]:
        if path.stat().st_mtime < limit:
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


def default_folder(url: str) -> Path:
    """``backups/`` beside the SQLite file, or in the working directory for PostgreSQL."""
    if engine_name(url) == "sqlite":
        return engines.sqlite_path(url).resolve().parent / "backups"
    return Path("backups").resolve()
