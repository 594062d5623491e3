"""``godmother backup``, ``backup verify``, ``backup list``, ``backup since`` and ``restore``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from cli.common import By, acting, engine, fail, friendly, masked
from ledger.backup.check import CopyReport, DatabaseNotEmpty, restore, verify_copy
from ledger.backup.manifest import Manifest
from ledger.backup.since import since_copy
from ledger.backup.take import default_folder, take_backup, whole_copies
from ledger.db import reading
from ledger.settings import Settings

backup_app = typer.Typer(
    help="Copies of the whole database that prove themselves (sao lưu): take, verify, list.",
    invoke_without_command=True,
)


@backup_app.callback()
@friendly
def backup(
    context: typer.Context,
    to: Annotated[
        Path | None, typer.Option("--to", help="folder for the copy (default: BACKUP_DIR or backups/)")
    ] = None,
    keep: Annotated[int | None, typer.Option(help="copies to keep in the folder (default: BACKUP_KEEP, 14)")] = None,
    also_to: Annotated[
        Path | None, typer.Option("--also-to", help="a second folder, e.g. a USB disk (default: BACKUP_COPY_TO)")
    ] = None,
    by: By = None,
) -> None:
    """Take a copy of the whole database now, prove it whole, and keep the last N."""
    if context.invoked_subcommand is not None:
        return
    settings = Settings()
    folder = to or (Path(settings.backup_dir) if settings.backup_dir else default_folder(settings.database_url))
    second = also_to or (Path(settings.backup_copy_to) if settings.backup_copy_to else None)
    taken = take_backup(engine(), folder=folder, keep=keep or settings.backup_keep, also_to=second, actor=acting(by))
    m = taken.manifest
    assert m.copy is not None
    typer.echo(f"wrote {taken.path} ({m.copy.size:,} bytes) in {taken.seconds:.1f} s")
    typer.echo(
        f"  chain head #{m.ledger.chain_seq} {m.ledger.chain_hash[:16]}…, {m.ledger.transactions:,} transactions"
    )
    typer.echo(f"  restored, verified and compared with the manifest: whole (sha256 {m.copy.sha256[:16]}…)")
    if taken.second_copy is not None:
        typer.echo(f"  second copy: {taken.second_copy}")
    for old in taken.removed:
        typer.echo(f"  removed the older copy {old.name}")


def _head(m: Manifest) -> str:
    return f"  chain head #{m.ledger.chain_seq} {m.ledger.chain_hash[:16]}…, {m.ledger.transactions:,} transactions"


def _print_report(report: CopyReport) -> None:
    m = report.manifest
    if m is not None:
        typer.echo(
            f"{report.copy.name}: {m.engine} copy taken {m.taken_at:%Y-%m-%d %H:%M} UTC by {m.taken_by}, "
            f"schema {m.schema_revision}, product {m.product_version}"
        )
        typer.echo(
            f"  chain head #{m.ledger.chain_seq} {m.ledger.chain_hash[:16]}…, {m.ledger.transactions:,} transactions"
        )
    for problem in report.problems:
        typer.echo(f"  problem: {problem}", err=True)
    if report.whole:
        typer.echo("  whole: its bytes match, it restores, verify finds nothing, same chain head and trial balance")


@backup_app.command("verify")
@friendly
def backup_verify(file: Annotated[Path, typer.Argument(help="the .gmbak file")]) -> None:
    """Restore a copy where nobody sees it and prove it whole, without touching the database."""
    if not file.is_file():
        raise fail(f"{file} does not exist")
    report = verify_copy(file, server_url=Settings().database_url)
    _print_report(report)
    if not report.whole:
        raise fail(f"{file.name} is not a whole copy: do not rely on it")


@backup_app.command("list")
@friendly
def backup_list(
    folder: Annotated[Path | None, typer.Argument(help="the folder (default: BACKUP_DIR or backups/)")] = None,
) -> None:
    """The whole copies in a folder, newest first (partial files left by an interrupted backup are not listed)."""
    settings = Settings()
    folder = folder or (Path(settings.backup_dir) if settings.backup_dir else default_folder(settings.database_url))
    copies = whole_copies(folder) if folder.is_dir() else []
    if not copies:
        typer.echo(f"no copies in {folder}")
    for path, m in copies:
        size = m.copy.size if m.copy else 0
        typer.echo(f"{m.taken_at:%Y-%m-%d %H:%M} UTC  #{m.ledger.chain_seq:<8} {size:>14,} bytes  {path.name}")


@backup_app.command("since")
@friendly
def backup_since(file: Annotated[Path, typer.Argument(help="the .gmbak file")]) -> None:
    """What the database holds that the copy does not: what restoring it would lose."""
    if not file.is_file():
        raise fail(f"{file} does not exist")
    manifest = _manifest_of(file)
    with Session(reading(engine())) as session:
        since = since_copy(session, manifest)
    if not since.descends:
        raise fail(
            f"{file.name} is not a copy of this ledger's past: its chain head #{manifest.ledger.chain_seq} differs"
        )
    typer.echo(f"{len(since.entries)} transaction(s) after the copy's chain head #{manifest.ledger.chain_seq}:")
    for entry in since.entries:
        typer.echo(
            f"  #{entry.seq} txn {entry.transaction_id} {entry.effective_date} {entry.kind}: {entry.description}"
        )


def _manifest_of(file: Path) -> Manifest:
    import tempfile

    from ledger.backup import archive

    beside = archive.check_against_beside(file)
    if beside is not None:
        return beside
    with tempfile.TemporaryDirectory() as folder:
        return archive.unpack(file, Path(folder))[0]


@friendly
def restore_command(
    file: Annotated[Path, typer.Argument(help="the .gmbak file")],
    to: Annotated[str | None, typer.Option("--to", help="database URL to restore into (default: DATABASE_URL)")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="overwrite a database that holds data")] = False,
) -> None:
    """Restore a copy, but only once it has proved whole; then say what it holds."""
    if not file.is_file():
        raise fail(f"{file} does not exist")
    target = to or Settings().database_url
    try:
        report = restore(file, to=target, replace=replace)
    except DatabaseNotEmpty as exc:
        raise fail(f"{exc.target} already holds data: stop the server, then give --replace to overwrite it") from None
    _print_report(report)
    if not report.whole:
        raise fail(f"nothing was restored: {file.name} is not a whole copy")
    m = report.manifest
    assert m is not None
    typer.echo(f"restored into {masked(target)}")
    typer.echo(
        f"  the ledger stands as at {m.taken_at:%Y-%m-%d %H:%M} UTC (chain head #{m.ledger.chain_seq}): "
        "anything recorded after that moment must be entered again"
    )
