"""The copy's file: a tar of ``manifest.json`` then the database, and the manifest beside it."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from ledger.backup.engines import BackupFailed
from ledger.backup.manifest import MANIFEST_SUFFIX, Manifest, Member

CHUNK = 1 << 20
MANIFEST = "manifest.json"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def member_of(path: Path, name: str) -> Member:
    return Member(name, path.stat().st_size, sha256_of(path))


def gzip_file(source: Path, destination: Path) -> None:
    with source.open("rb") as raw, gzip.open(destination, "wb", compresslevel=6) as packed:
        shutil.copyfileobj(raw, packed, CHUNK)


def gunzip_file(source: Path, destination: Path) -> None:
    try:
        with gzip.open(source, "rb") as packed, destination.open("wb") as raw:
            shutil.copyfileobj(packed, raw, CHUNK)
    except (OSError, EOFError) as exc:
        raise BackupFailed("the database in the copy", f"it cannot be decompressed ({exc})") from None


def _durable(path: Path) -> None:
    with path.open("rb") as file:
        os.fsync(file.fileno())


def write_archive(
    destination: Path, manifest: Manifest, database: Path, *, halfway: Callable[[], None] = lambda: None
) -> None:
    """The tar, flushed to disk: the manifest first, so that a reader learns what to expect."""
    body = manifest.to_json().encode()
    with destination.open("wb") as raw, tarfile.open(fileobj=raw, mode="w") as archive:
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(body), int(manifest.taken_at.timestamp()), 0o644
        archive.addfile(info, _bytes(body))
        raw.flush()
        halfway()
        archive.add(database, arcname=manifest.database.name, recursive=False)
    _durable(destination)


def write_beside(copy: Path, manifest: Manifest) -> Path:
    """The manifest beside the copy, with the copy's own size and SHA-256; written last."""
    path = copy.with_name(copy.name + MANIFEST_SUFFIX)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(manifest.to_json(), encoding="utf-8")
    _durable(partial)
    partial.replace(path)
    return path


def beside(copy: Path) -> Path:
    return copy.with_name(copy.name + MANIFEST_SUFFIX)


def check_against_beside(copy: Path) -> Manifest | None:
    """The manifest beside ``copy``, after checking the copy's size and SHA-256 against it."""
    path = beside(copy)
    if not path.exists():
        return None
    manifest = Manifest.from_json(path.read_bytes())
    if manifest.copy is None:
        return manifest
    size = copy.stat().st_size
    if size < manifest.copy.size:
        raise BackupFailed(
            copy.name, f"the file is cut short: {size:,} bytes of the {manifest.copy.size:,} its manifest records"
        )
    if size != manifest.copy.size:
        raise BackupFailed(copy.name, f"the file is {size:,} bytes, its manifest records {manifest.copy.size:,}")
    if sha256_of(copy) != manifest.copy.sha256:
        raise BackupFailed(copy.name, "its bytes changed since it was written (SHA-256 differs from its manifest)")
    return manifest


def unpack(copy: Path, folder: Path) -> tuple[Manifest, Path]:
    """The manifest inside the copy, and its database extracted into ``folder`` and checked."""
    try:
        with tarfile.open(copy, "r:") as archive:
            first = archive.next()
            if first is None or first.name != MANIFEST:
                raise BackupFailed(copy.name, "it is not a godmother backup (no manifest at its start)")
            extracted = archive.extractfile(first)
            assert extracted is not None
            manifest = Manifest.from_json(extracted.read())
            member = archive.next()
            if member is None or member.name != manifest.database.name or not member.isfile():
                raise BackupFailed(copy.name, "the database is missing from the copy: the file is cut short")
            target = folder / Path(member.name).name
            source = archive.extractfile(member)
            assert source is not None
            with target.open("wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
    except (tarfile.TarError, EOFError) as exc:
        raise BackupFailed(copy.name, f"it cannot be read as a godmother backup, or it is cut short ({exc})") from None
    except ValueError as exc:
        raise BackupFailed(copy.name, str(exc)) from None
    found = member_of(target, manifest.database.name)
    if found.size != manifest.database.size:
        raise BackupFailed(
            copy.name,
            f"the database in it is {found.size:,} bytes of {manifest.database.size:,}: the file is cut short",
        )
    if found.sha256 != manifest.database.sha256:
        raise BackupFailed(copy.name, "the database in it changed since it was written (SHA-256 differs)")
    return manifest, target


def _bytes(body: bytes) -> BinaryIO:
    import io

    return io.BytesIO(body)
