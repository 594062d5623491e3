"""The disaster drill, on the engine under test: copies that prove themselves, losses that are named.

Every copy here is a real one: SQLite's online backup API or pg_dump, restored into a database
nobody else sees (a temporary file, a temporary PostgreSQL database) and verified there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlmodel import Session

from jobs import runner
from ledger.accounts import AccountKey, create_branch, open_account
from ledger.backup.check import restore, verify_copy
from ledger.backup.fingerprint import fingerprint
from ledger.backup.since import since_copy
from ledger.backup.status import backup_status, notice_if_stale
from ledger.backup.take import keep_copy, take_backup, whole_copies, write_copy
from ledger.db import current_revision, head_revision, make_engine, run_in_transaction, upgrade
from ledger.models import LedgerTransaction
from ledger.months import today_in_vietnam
from ledger.posting import Entry, Leg, post_many
from ledger.register.models import Sponsor
from ledger.register.payments import record_payment
from ledger.schedule.models import BackupCopy, JobExecution, Notice
from tests.conftest import PG_URL
from tests.conftest import TestDatabase as Database
from tests.factories import admin
from tests.statements.conftest import load_small_demo

pytestmark = pytest.mark.slow  # run by default; deselect with -m "not slow" for a quick round

ADMIN = admin("operator")
GODMOTHER = str(Path(sys.executable).with_name("godmother"))


@pytest.fixture
def small(database: Database) -> Database:
    load_small_demo(database, children=12, sponsors=8, months=2)
    return database


def _pay(database: Database, times: int, start: int = 0) -> list[int]:
    with Session(database.engine) as session:
        sponsor = session.scalar(select(Sponsor.code).order_by(Sponsor.code).limit(1))
    ids = []
    for i in range(times):
        payment = run_in_transaction(
            database.engine,
            lambda s, i=i: record_payment(
                s, sponsor=sponsor, amount=100_000 + start + i, paid_on=today_in_vietnam(), method="cash", actor=ADMIN
            ),
        )  # fmt: skip
        ids.append(payment.transaction_id)
    return ids


def _cli(database: Database, *args: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    env = database.env()
    if fault:
        env["GODMOTHER_FAULT"] = fault
    return subprocess.run([GODMOTHER, *args], env=env, capture_output=True, text=True, check=False, timeout=900)


def _lose(database: Database) -> None:
    """The disaster: the SQLite file is deleted, or the PostgreSQL schema dropped."""
    database.engine.dispose()
    if database.sqlite_path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database.sqlite_path}{suffix}").unlink(missing_ok=True)
    else:
        with database.engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {database.schema} CASCADE"))
        database.engine.dispose()


def test_the_drill_back_up_post_more_lose_everything_restore_and_name_what_was_lost(small, tmp_path):
    before = _pay(small, 2)
    taken = take_backup(small.engine, folder=tmp_path / "copies", actor=ADMIN)
    assert taken.manifest.ledger.chain_seq > 0 and taken.path.exists()
    after = _pay(small, 3, start=10)  # recorded after the copy: what a restore of it loses
    with Session(small.engine) as session:
        since = since_copy(session, taken.manifest)
        whole_ledger = fingerprint(session)
    assert since.descends and [e.transaction_id for e in since.entries] == after
    _lose(small)

    restored = _cli(small, "restore", str(taken.path))
    assert restored.returncode == 0, restored.stderr
    assert f"chain head #{taken.manifest.ledger.chain_seq}" in restored.stdout
    assert "must be entered again" in restored.stdout

    with Session(small.engine) as session:
        now = fingerprint(session)
        posted = set(session.scalars(select(LedgerTransaction.id)))
    assert (now.chain_seq, now.chain_hash) == (taken.manifest.ledger.chain_seq, taken.manifest.ledger.chain_hash)
    assert now.trial_balance_digest == taken.manifest.ledger.trial_balance_digest
    assert set(before) <= posted and not set(after) & posted  # exactly the entries after the copy are gone
    assert now.chain_seq == whole_ledger.chain_seq - len(after)
    assert _cli(small, "verify").returncode == 0


def test_a_restore_refuses_a_database_that_holds_data(small, tmp_path):
    taken = take_backup(small.engine, folder=tmp_path, actor=ADMIN)
    refused = _cli(small, "restore", str(taken.path))
    assert refused.returncode == 1 and "already holds data" in refused.stderr and "--replace" in refused.stderr
    _pay(small, 1)
    small.engine.dispose()  # the server is stopped before a restore over its database
    replaced = _cli(small, "restore", str(taken.path), "--replace")
    assert replaced.returncode == 0, replaced.stderr
    with Session(small.engine) as session:
        assert fingerprint(session).chain_seq == taken.manifest.ledger.chain_seq


@pytest.mark.parametrize("stage", ["halfway", "written", "manifest"])
def test_a_backup_killed_midway_is_never_taken_for_a_whole_copy(small, tmp_path, stage):
    folder = tmp_path / "copies"
    killed = _cli(small, "backup", "--to", str(folder), fault=f"backup:{stage}")
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr)
    assert whole_copies(folder) == []
    assert "no copies" in _cli(small, "backup", "list", str(folder)).stdout
    partials = list(folder.glob("*.partial"))
    assert partials, list(folder.iterdir())
    if stage == "halfway":
        report = verify_copy(partials[0], server_url=small.url)
        assert not report.whole and "cut short" in " ".join(report.problems)
    with Session(small.engine) as session:
        assert session.scalar(select(func.count()).select_from(BackupCopy)) == 0  # nothing recorded as taken

    again = _cli(small, "backup", "--to", str(folder))
    assert again.returncode == 0, again.stderr
    [(path, manifest)] = whole_copies(folder)
    assert verify_copy(path, server_url=small.url).whole


def test_verify_names_a_flipped_byte_and_a_truncated_file(small, tmp_path):
    taken = take_backup(small.engine, folder=tmp_path / "copies", actor=ADMIN)
    data = taken.path.read_bytes()
    cases = {
        "flipped": data[: len(data) // 2] + bytes([data[len(data) // 2] ^ 0x01]) + data[len(data) // 2 + 1 :],
        "truncated": data[: len(data) * 2 // 3],
    }
    for name, damaged in cases.items():
        for with_manifest in (True, False):
            path = tmp_path / f"{name}-{with_manifest}.gmbak"
            path.write_bytes(damaged)
            if with_manifest:
                (tmp_path / f"{path.name}.manifest.json").write_bytes(Path(f"{taken.path}.manifest.json").read_bytes())
            result = _cli(small, "backup", "verify", str(path))
            assert result.returncode == 1, (name, with_manifest, result.stdout)
            assert "is not a whole copy" in result.stderr
            said = result.stderr.lower()
            expected = {
                ("flipped", True): "bytes changed since it was written",
                ("truncated", True): "cut short",
                ("truncated", False): "cut short",
            }.get((name, with_manifest), "sha-256 differs")
            assert expected.lower() in said, (name, with_manifest, said)
    good = _cli(small, "backup", "verify", str(taken.path))
    assert good.returncode == 0 and "whole" in good.stdout


def test_a_copy_from_an_older_schema_restores_into_this_version(database, tmp_path):
    """A copy taken before the last migration comes back at this code's schema, whole."""
    older = "0011"
    if database.sqlite_path is not None:
        path = tmp_path / "older.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
    else:
        url = PG_URL
        schema = f"older_{os.getpid()}_{id(tmp_path) % 100000}"
        engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        with engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        upgrade(engine, older)

        def books(session: Session) -> None:
            create_branch(session, code="hp", name="Hải Phòng", level="province")
            for code in ("assets:bank", "liabilities:fund:program:mdd"):
                open_account(session, branch="hp", code=code, opened_on=date(2026, 1, 1))
            # One batch: the batch path's statements are the same at that older schema (a single post on
            # PostgreSQL calls a function that schema has not got yet).
            post_many(
                session,
                [Entry(date(2026, 1, i), f"gift {i}", (Leg(AccountKey("hp", "assets:bank"), 1000 * i),
                       Leg(AccountKey("hp", "liabilities:fund:program:mdd"), -1000 * i)), posted_by="old")
                 for i in range(1, 6)],
            )  # fmt: skip

        run_in_transaction(engine, books)
        partial, manifest = write_copy(engine, tmp_path / "copies", taken_by="the older version")
        assert manifest.schema_revision == older
        final, manifest = keep_copy(partial, manifest, server_url=engine.url.render_as_string(hide_password=False))
        _drop(engine, database)
        target = f"sqlite:///{tmp_path / 'new.db'}" if database.sqlite_path is not None else url
        report = restore(final, to=target)
        assert report.whole, report.problems
        restored = make_engine(target) if database.sqlite_path is not None else engine
        assert current_revision(restored) == head_revision()
        with Session(restored) as session:
            assert fingerprint(session).trial_balance_digest == manifest.ledger.trial_balance_digest
            assert session.scalar(select(func.count()).select_from(BackupCopy)) == 0  # the new table, empty
        restored.dispose()
    finally:
        if database.sqlite_path is None:
            with engine.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


def _drop(engine, database: Database) -> None:
    if database.sqlite_path is None:
        with engine.begin() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def test_a_copy_taken_while_payments_are_recorded_is_one_consistent_moment(small, tmp_path):
    stop = threading.Event()
    errors: list[BaseException] = []

    def keep_paying() -> None:
        try:
            while not stop.is_set():
                _pay(small, 1, start=77)
        except BaseException as exc:  # reported below
            errors.append(exc)

    writer = threading.Thread(target=keep_paying)
    writer.start()
    try:
        taken = take_backup(small.engine, folder=tmp_path, actor=ADMIN)
    finally:
        stop.set()
        writer.join(timeout=600)
    assert not errors, errors
    report = verify_copy(taken.path, server_url=small.url)
    assert report.whole, report.problems
    with Session(small.engine) as session:
        since = since_copy(session, taken.manifest)
    assert since.descends


def test_retention_keeps_the_last_n_and_a_second_folder_gets_each_copy(small, tmp_path):
    first = take_backup(small.engine, folder=tmp_path / "a", keep=2, also_to=tmp_path / "usb", actor=ADMIN)
    _pay(small, 1)
    take_backup(small.engine, folder=tmp_path / "a", keep=2, also_to=tmp_path / "usb", actor=ADMIN)
    _pay(small, 1)
    third = take_backup(small.engine, folder=tmp_path / "a", keep=2, also_to=tmp_path / "usb", actor=ADMIN)
    for folder in ("a", "usb"):
        kept = whole_copies(tmp_path / folder)
        assert len(kept) == 2 and kept[0][0].name == third.path.name
        assert first.path.name not in {p.name for p, _ in kept}
    assert verify_copy(tmp_path / "usb" / third.path.name, server_url=small.url).whole
    assert first.path in third.removed
    with Session(small.engine) as session:
        assert session.scalar(select(func.count()).select_from(BackupCopy)) == 3


def test_only_an_administrator_takes_a_copy(small, tmp_path):
    from ledger.access.actor import TREASURER, Actor

    treasurer = Actor("thu-quy", TREASURER, frozenset({1}))
    with pytest.raises(Exception, match="administrator"):
        take_backup(small.engine, folder=tmp_path / "copies", actor=treasurer)
    assert not (tmp_path / "copies").exists()


def test_the_daily_job_takes_a_copy_and_a_stale_or_failed_backup_becomes_a_notice(small, tmp_path, monkeypatch):
    monkeypatch.setenv("BACKUP_SCHEDULE", "02:00")
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path / "daily"))
    outcomes = [o for o in runner.catch_up(small.engine) if o.job == "backup"]
    assert [o.status for o in outcomes] == ["succeeded"], outcomes
    assert len(whole_copies(tmp_path / "daily")) == 1
    with Session(small.engine) as session:
        status = backup_status(session)
        assert not status.stale and status.last is not None
        assert "Bản sao lưu tốt gần nhất" in status.message("vi")
    assert run_in_transaction(small.engine, notice_if_stale) == 0

    run_in_transaction(
        small.engine,
        lambda s: s.execute(update(BackupCopy).values(taken_at=datetime.now(UTC) - timedelta(days=3))),
    )
    assert run_in_transaction(small.engine, notice_if_stale) == 1  # one per top branch, once a day
    assert run_in_transaction(small.engine, notice_if_stale) == 0
    with Session(small.engine) as session:
        [notice] = session.scalars(select(Notice).where(Notice.kind == "backup"))
        assert "3 ngày" in notice.message_vi

    monkeypatch.setenv("BACKUP_DIR", "/proc/no-such-place")  # the disk is gone
    monkeypatch.setenv("GODMOTHER_JOB_RETRY_SECONDS", "")
    tomorrow = (today_in_vietnam() + timedelta(days=1)).isoformat()  # a period the catch-up did not take
    assert outcomes[0].period != tomorrow
    failed = runner.run_now(small.engine, "backup", period=tomorrow)
    assert failed.status in ("retrying", "failed")
    while runner.retry_due(small.engine, now=datetime.now(UTC) + timedelta(days=1)):
        pass
    with Session(small.engine) as session:
        execution = session.scalar(
            select(JobExecution).where(JobExecution.job == "backup").order_by(JobExecution.id.desc())
        )
        assert execution is not None and execution.status == "failed"
        assert session.scalar(select(Notice).where(Notice.kind == "job-failed")) is not None
        assert backup_status(session).failure is not None
