"""Reads on a real streaming replica: a PostgreSQL primary and a hot standby made with pg_basebackup,
both started by this test on ports of their own, each with its own data folder.

Checked: read-only work (search, lists) runs its SELECTs on the replica and writes nothing there,
its audit record goes to the primary; a writer whose write the replica has not replayed yet (replay
paused) reads it from the primary, and once the replica has caught up reads go back to it.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from api.app import create_app
from api.pack_jobs import PackJobs
from ledger.access.actor import Actor
from ledger.db import make_engine, upgrade
from ledger.demo import demo_logins, load_demo
from ledger.months import Month, today_in_vietnam
from ledger.replicas import Replica, parse_position
from ledger.statements.document import Period, StatementRequest

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

PATIENCE = 600  # seconds: a bound for a busy machine, never a speed expectation


def _tool(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


TOOLS = {name: _tool(name) for name in ("initdb", "pg_ctl", "pg_basebackup")}
if not all(TOOLS.values()):
    pytestmark.append(
        pytest.mark.skip(reason="PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup) are not installed")
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(*command: str) -> None:
    """Run a server program; as root, as the postgres user (the server refuses to run as root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=PATIENCE)
    assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout}\n{done.stderr}"


@dataclass
class Pair:
    primary_url: str
    replica_url: str
    replica_dsn: str
    primary_admin_dsn: str  # the primary's postgres database, for the test's own probe


def _configure(folder: Path, port: int) -> None:
    with (folder / "postgresql.conf").open("a") as conf:
        conf.write(
            f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{folder}'\n"
            "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n"
        )


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    root = Path(tempfile.mkdtemp(prefix="godmother-replica-"))
    primary, replica = root / "primary", root / "replica"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    started: list[Path] = []
    try:
        p_port, r_port = _free_port(), _free_port()
        _as_postgres(str(TOOLS["initdb"]), "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        _configure(primary, p_port)
        _as_postgres(str(TOOLS["pg_ctl"]), "-D", str(primary), "-l", str(root / "primary.log"), "-w", "-t",
                     str(PATIENCE), "start")  # fmt: skip
        started.append(primary)
        _as_postgres(str(TOOLS["pg_basebackup"]), "-h", "127.0.0.1", "-p", str(p_port), "-U", "postgres",
                     "-D", str(replica), "-R", "-X", "stream", "-c", "fast")  # fmt: skip
        with (replica / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {r_port}\nunix_socket_directories = '{replica}'\n")
        _as_postgres(str(TOOLS["pg_ctl"]), "-D", str(replica), "-l", str(root / "replica.log"), "-w", "-t",
                     str(PATIENCE), "start")  # fmt: skip
        started.append(replica)
        admin = f"host=127.0.0.1 port={p_port} user=postgres dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as c:
            # The standby is synchronous (it flushes every commit, even with replay paused), so a commit
            # can ask to wait until it is applied there: how the test waits for the replica.
            c.execute("ALTER SYSTEM SET synchronous_standby_names = '*'")
            c.execute("SELECT pg_reload_conf()")
            c.execute("CREATE TABLE replayed_probe (n integer)")
            c.execute("CREATE DATABASE godmother")
        yield Pair(
            f"postgresql+psycopg://postgres@127.0.0.1:{p_port}/godmother",
            f"postgresql+psycopg://postgres@127.0.0.1:{r_port}/godmother",
            f"host=127.0.0.1 port={r_port} user=postgres dbname=godmother",
            admin,
        )
    finally:
        for folder in reversed(started):
            subprocess.run(
                [*(["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []), str(TOOLS["pg_ctl"]),
                 "-D", str(folder), "-m", "immediate", "stop"],
                capture_output=True, timeout=PATIENCE,
            )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def _replayed(pair: Pair) -> int:
    with psycopg.connect(pair.replica_dsn, autocommit=True) as c:
        row = c.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()
    assert row is not None
    position = parse_position(row[0])
    assert position is not None
    return position


def _wait_for_replay(pair: Pair) -> None:
    """Until the replica has applied everything the primary committed before now. No polling: the
    primary holds a commit that asks for ``remote_apply`` until its standby has applied it."""
    done = threading.Event()
    failed: list[BaseException] = []

    def commit() -> None:
        try:
            with psycopg.connect(pair.primary_admin_dsn) as c:  # committed on leaving the block
                c.execute("SET LOCAL synchronous_commit = remote_apply")
                c.execute("INSERT INTO replayed_probe VALUES (1)")
        except BaseException as exc:
            failed.append(exc)
        finally:
            done.set()

    threading.Thread(target=commit, daemon=True).start()
    assert done.wait(PATIENCE), "the replica did not apply the primary's writes"
    assert not failed, failed


def _replay(pair: Pair, *, paused: bool) -> None:
    with psycopg.connect(pair.replica_dsn, autocommit=True) as c:
        c.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")


class Statements:
    """The SQL each engine was sent, as its cursor executed it."""

    def __init__(self, engine: Engine) -> None:
        self.sent: list[str] = []
        event.listen(engine, "before_cursor_execute", self._heard)

    def _heard(self, conn: object, cursor: object, statement: str, *args: object) -> None:
        self.sent.append(" ".join(statement.split()).lower())

    def clear(self) -> None:
        self.sent.clear()

    def reading(self, table: str) -> bool:
        return any(s.startswith("select") and f"from {table}" in s for s in self.sent)

    def writes(self) -> list[str]:
        return [s for s in self.sent if s.split(" ", 1)[0] in ("insert", "update", "delete")]


@dataclass
class Served:
    client: TestClient
    on_primary: Statements
    on_replica: Statements
    signed_in: dict[str, str]
    primary: Engine
    replica: Engine
    passwords: dict[str, str]


@pytest.fixture(scope="module")
def served(pair: Pair) -> Iterator[Served]:
    primary, replica = make_engine(pair.primary_url), make_engine(pair.replica_url)
    upgrade(primary)
    load_demo(primary, folder=None, children=24, sponsors=18, months=3)
    passwords = {name: password for name, _, password in demo_logins(primary)}
    _wait_for_replay(pair)
    on_primary, on_replica = Statements(primary), Statements(replica)
    with TestClient(create_app(primary, replica)) as client:
        answer = client.post(
            "/api/v1/auth/token", data={"username": "thu-quy-an-lao", "password": passwords["thu-quy-an-lao"]}
        )
        assert answer.status_code == 200, answer.text
        yield Served(client, on_primary, on_replica, {"Authorization": f"Bearer {answer.json()['access_token']}"},
                     primary, replica, passwords)  # fmt: skip


def test_read_only_work_reads_on_the_replica_and_records_on_the_primary(served):
    client, on_primary, on_replica, signed_in = served.client, served.on_primary, served.on_replica, served.signed_in
    on_primary.clear()
    on_replica.clear()
    found = client.get("/api/v1/lists/children", headers=signed_in)
    assert found.status_code == 200, found.text
    assert found.json()["count"] > 0
    assert on_replica.reading("child") and not on_replica.writes()
    assert not on_primary.reading("child")
    assert any("into audit_event" in s for s in on_primary.writes())  # the listing is access-logged, on the primary

    on_replica.clear()
    searched = client.get("/api/v1/search", params={"q": "C-0000"}, headers=signed_in)
    assert searched.status_code == 200 and searched.json()["children_count"] > 0
    assert on_replica.reading("child") and not on_replica.writes()

    # The books' figures over the API: the trial balance, an account's history.
    on_primary.clear()
    on_replica.clear()
    tb = client.get("/api/v1/trial-balance", params={"branch": "hp-an-lao", "as_of": "2026-01-31"}, headers=signed_in)
    assert tb.status_code == 200, tb.text
    history = client.get("/api/v1/accounts/assets:bank:vcb-hp-an-lao/history", headers=signed_in)
    assert history.status_code == 200 and history.json()["lines"]
    assert on_replica.reading("posting") and not on_replica.writes()
    assert not on_primary.reading("posting")

    # A statement is gathered on the replica; its issue (with its verification code) is kept on the primary.
    on_primary.clear()
    on_replica.clear()
    report = client.get(
        "/api/v1/statements/treasurer/hp-an-lao",
        params={"month": str(Month.of(today_in_vietnam()).previous())},
        headers=signed_in,
    )
    assert report.status_code == 200, report.text
    assert report.content.startswith(b"%PDF") and report.headers["x-verification-code"]
    assert on_replica.reading("posting") and not on_replica.writes()
    assert any("into audit_event" in s for s in on_primary.writes())


def test_a_writer_reads_her_own_write_while_the_replica_lags(served, pair):
    client, on_replica, signed_in = served.client, served.on_replica, served.signed_in
    before = client.get("/api/v1/lists/payments", headers=signed_in).json()["count"]
    sponsor = client.get("/api/v1/lists/sponsors", headers=signed_in).json()["rows"][0]["code"]
    _replay(pair, paused=True)
    try:
        paid = client.post(
            "/api/v1/payments", headers=signed_in,
            json={"sponsor": sponsor, "amount": 150_000, "paid_on": today_in_vietnam().isoformat(), "method": "cash"},
        )  # fmt: skip
        assert paid.status_code == 201, paid.text
        written = parse_position(paid.headers["x-godmother-written"])
        assert written is not None and _replayed(pair) < written  # the replica has not seen it

        on_replica.clear()
        after = client.get("/api/v1/lists/payments", headers=signed_in)
        assert after.json()["count"] == before + 1  # her own write, read from the primary
        assert not on_replica.reading("payment")

        # Another worker of the API has no note of her write: she brings its position, as the answer gave it.
        other_worker = TestClient(create_app(served.primary, served.replica))
        told = other_worker.get(
            "/api/v1/lists/payments", headers={**signed_in, "X-Godmother-After": paid.headers["x-godmother-written"]}
        )
        assert told.json()["count"] == before + 1
        # A browser brings it back as the cookie the answer set.
        assert f"godmother_written={paid.headers['x-godmother-written']}" in paid.headers["set-cookie"]
        other_worker.cookies.set("godmother_written", paid.headers["x-godmother-written"])
        assert other_worker.get("/api/v1/lists/payments", headers=signed_in).json()["count"] == before + 1
        other_worker.cookies.clear()
        untold = other_worker.get("/api/v1/lists/payments", headers=signed_in)
        assert untold.json()["count"] == before  # the replica as it stands: what a position is for
    finally:
        _replay(pair, paused=False)
    _wait_for_replay(pair)
    on_replica.clear()
    caught_up = client.get("/api/v1/lists/payments", headers=signed_in)
    assert caught_up.json()["count"] == before + 1
    assert on_replica.reading("payment")  # back on the replica once it has replayed her write


def test_an_audit_pack_made_in_the_background_is_gathered_on_the_replica(served):
    """The pack of a year takes minutes of reading: the replica reads it; the primary keeps the
    verified checkpoint its check leaves, the issue and the kept PDF."""
    on_primary, on_replica = served.on_primary, served.on_replica
    jobs = PackJobs(served.primary, Replica(served.primary, served.replica))
    month = Month.of(today_in_vietnam()).previous()
    on_primary.clear()
    on_replica.clear()
    job = jobs.start(StatementRequest("audit", "hp-an-lao", Period(month.previous(), month)),
                     actor=Actor.local_administrator("kiem-toan", door="web"), lang="vi")  # fmt: skip
    assert job.finished.wait(PATIENCE)
    assert job.state == "finished", job.failure
    assert on_replica.reading("posting") and on_replica.reading("ledger_transaction")
    assert not on_replica.writes()
    assert not on_primary.reading("posting")
    assert any("into audit_event" in s for s in on_primary.writes())


def test_the_auditors_pages_read_on_the_replica(served):
    on_primary, on_replica = served.on_primary, served.on_replica
    browser = TestClient(create_app(served.primary, served.replica))
    form = browser.get("/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]  # type: ignore[index]
    signed = browser.post("/sign-in", data={"name": "kiem-toan-hp", "password": served.passwords["kiem-toan-hp"],
                                            "csrf": csrf})  # fmt: skip
    assert signed.status_code == 200, signed.text
    month = str(Month.of(today_in_vietnam()).previous())

    on_replica.clear()
    assert browser.get("/auditor", params={"branch": "hp-an-lao"}).status_code == 200
    assert on_replica.reading("posting") and not on_replica.writes()  # the trial balance

    on_primary.clear()
    on_replica.clear()
    ledger = browser.get("/auditor/account", params={"branch": "hp-an-lao", "code": "assets:bank:vcb-hp-an-lao",
                                                     "from": month, "to": month})  # fmt: skip
    assert ledger.status_code == 200, ledger.text
    assert on_replica.reading("posting") and not on_replica.writes()
    assert not on_primary.reading("posting")
