"""Backup and restore (issue 22): the demo and 100,000 children, on SQLite or PostgreSQL.

    .venv/bin/python -m bench.backup_bench --engine sqlite --world demo
    .venv/bin/python -m bench.backup_bench --engine postgres --world 100000

Times, in the same run, ``take_backup`` (consistent copy, compression, trial restore, ``verify``,
fingerprint comparison) and ``restore`` (trial restore, proof, then the real one) against the
bare tools alone: a file copy (SQLite) or ``pg_dump -Fc`` / ``pg_restore`` (PostgreSQL). The
ratio is what proving a copy costs over merely having one.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import Session

from bench.ledger_bench import fresh_database
from ledger.access.actor import Actor
from ledger.backup import engines
from ledger.backup.check import restore
from ledger.backup.take import take_backup
from ledger.db import make_engine, upgrade
from ledger.verify import verify

ADMIN = Actor.local_administrator("bench", door="cli")


def build(engine: Engine, world: str) -> None:
    if world == "demo":
        from ledger.demo import load_demo

        load_demo(engine)
        return
    from bench.run_bench import FIRST, MONTH, load
    from ledger.demo_register import generate

    children = int(world)
    register = generate(
        children=children, sponsors=children * 3 // 4, first_month=FIRST, today=MONTH, second_sponsor_share=0.5
    )
    load(engine, register)


def bare_copy(engine: Engine, url: str, folder: Path) -> float:
    started = time.perf_counter()
    if url.startswith("sqlite"):
        shutil.copyfile(engines.sqlite_path(url), folder / "bare.db")
    else:
        with engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        target, env = engines._libpq(url)
        subprocess.run(["pg_dump", "-Fc", f"--schema={schema}", f"--file={folder / 'bare.dump'}", target], env=env,
                       check=True)  # fmt: skip
    return time.perf_counter() - started


def bare_restore(url: str, folder: Path) -> float:
    started = time.perf_counter()
    if url.startswith("sqlite"):
        shutil.copyfile(folder / "bare.db", folder / "bare-restored.db")
    else:
        with engines.temporary_postgres(url) as scratch:
            target, env = engines._libpq(scratch)
            subprocess.run(["pg_restore", "--no-owner", "--single-transaction", f"--dbname={target}",
                            str(folder / "bare.dump")], env=env, check=True)  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--world", default="demo", help="demo, or a number of children (e.g. 100000)")
    args = parser.parse_args()
    url, kwargs = fresh_database(args.engine)
    engine = make_engine(url, **kwargs)
    upgrade(engine)
    started = time.perf_counter()
    build(engine, args.world)
    print(f"{args.engine}, world {args.world}: built in {time.perf_counter() - started:.1f} s")
    folder = Path(tempfile.mkdtemp(prefix="backup-bench-"))
    bare = bare_copy(engine, url, folder)
    taken = take_backup(engine, folder=folder / "copies", actor=ADMIN)
    size = taken.manifest.copy.size if taken.manifest.copy else 0
    print(
        f"  backup: {taken.seconds:.1f} s, {size / 2**20:.1f} MiB, {taken.manifest.ledger.transactions:,} transactions"
    )
    print(f"  bare copy ({'file copy' if args.engine == 'sqlite' else 'pg_dump -Fc'}): {bare:.1f} s; "
          f"ratio {taken.seconds / bare:.1f}x")  # fmt: skip
    started = time.perf_counter()
    with Session(engine) as session:
        verify(session)
    checked = time.perf_counter() - started
    print(f"  godmother verify of the live ledger alone: {checked:.1f} s; backup / (bare copy + verify) "
          f"{taken.seconds / (bare + checked):.2f}x")  # fmt: skip
    bare_back = bare_restore(url, folder)
    if args.engine == "sqlite":
        target = f"sqlite:///{folder / 'restored.db'}"
    else:
        engine.dispose()
        schema = kwargs["connect_args"]["options"].split("=", 1)[1]
        with make_engine(url).begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        target = url
    started = time.perf_counter()
    report = restore(taken.path, to=target)
    seconds = time.perf_counter() - started
    print(f"  restore (proved, then real): {seconds:.1f} s, whole: {report.whole} {report.problems[:1]}")
    print(f"  bare restore ({'file copy' if args.engine == 'sqlite' else 'pg_restore'}): {bare_back:.1f} s; "
          f"ratio {seconds / bare_back:.1f}x")  # fmt: skip
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
