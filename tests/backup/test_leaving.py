"""Export for leaving: everything in open formats, and back into an empty database unchanged."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session

from ledger.access.actor import TREASURER, Actor, Forbidden
from ledger.access.users import add_user
from ledger.backup.fingerprint import fingerprint
from ledger.backup.leaving import export_all, import_all
from ledger.db import run_in_transaction
from ledger.errors import InvalidEntry
from ledger.register.models import Child
from tests.conftest import make_test_database
from tests.factories import admin
from tests.statements.conftest import load_small_demo

pytestmark = pytest.mark.slow  # run by default; deselect with -m "not slow" for a quick round

ADMIN = admin("operator")


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture
def target(tmp_path, sqlite_template):
    """A second, empty database on the same engine."""
    databases = make_test_database(tmp_path / "target", sqlite_template)
    (tmp_path / "target").mkdir()
    yield next(databases)
    databases.close()


def test_everything_goes_out_in_open_formats_and_comes_back_with_the_same_books(database, target, tmp_path):
    load_small_demo(database, children=15, sponsors=10, months=3)
    run_in_transaction(
        database.engine,
        lambda s: add_user(
            s, name="thu-quy", role="treasurer", password="mat-khau-rat-dai-1", branch="hp", actor=ADMIN
        ),
    )
    out = tmp_path / "leaving"
    exported = run_in_transaction(database.engine, lambda s: export_all(s, out, actor=ADMIN))
    for name in ("branches", "bank-accounts", "sponsors", "children", "pledges", "enrolments"):
        assert (out / "register" / f"{name}.xlsx").is_file()
    for name in ("ledger.beancount", "accounts.csv", "transactions.csv", "postings.csv"):
        assert (out / "ledger" / name).stat().st_size > 0
    for name in ("run_decision", "bank_line", "audit_event", "payment", "handover"):
        assert (out / "tables" / f"{name}.csv").is_file()
    users = _csv(out / "tables" / "app_user.csv")
    assert [u["name"] for u in users] == ["thu-quy"] and all("password_hash" not in row for row in users)
    assert (
        "pbkdf2" not in (out / "tables" / "app_user.csv").read_text()
        and "argon" not in (out / "tables" / "app_user.csv").read_text()
    )
    assert not (out / "tables" / "access_token.csv").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["ledger"]["trial_balance_digest"] == exported.ledger.trial_balance_digest
    with Session(database.engine) as session:
        children = set(session.scalars(select(Child.code)))

    imported = run_in_transaction(target.engine, lambda s: import_all(s, out, actor=ADMIN))
    assert imported.same_trial_balance and imported.verified
    assert imported.transactions == exported.ledger.transactions
    ids = [int(row["id"]) for row in _csv(out / "ledger" / "transactions.csv")]
    if ids == list(range(1, len(ids) + 1)):  # the same ids (no gaps): the very same hash chain
        assert imported.same_chain_head
    with Session(target.engine) as session:
        assert set(session.scalars(select(Child.code))) == children
        assert fingerprint(session).trial_balance_digest == exported.ledger.trial_balance_digest

    again = run_in_transaction  # an export goes only into an empty database
    with pytest.raises(InvalidEntry, match="not empty"):
        again(target.engine, lambda s: import_all(s, out, actor=ADMIN))


def test_only_an_administrator_exports_everything_and_never_into_a_full_folder(database, tmp_path):
    load_small_demo(database, children=4, sponsors=3, months=2)
    treasurer = Actor("thu-quy", TREASURER, frozenset({1}))
    with pytest.raises(Forbidden):
        run_in_transaction(database.engine, lambda s: export_all(s, tmp_path / "a", actor=treasurer))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "something.txt").write_text("x")
    with pytest.raises(InvalidEntry, match="not empty"):
        run_in_transaction(database.engine, lambda s: export_all(s, tmp_path / "b", actor=ADMIN))


def test_the_cli_round_trip(database, target, tmp_path):
    from tests.backup.test_backup import GODMOTHER

    load_small_demo(database, children=6, sponsors=4, months=2)
    out = tmp_path / "out"
    done = subprocess.run([GODMOTHER, "export", "all", "-o", str(out)], env=database.env(), capture_output=True,
                          text=True, check=False, timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "manifest.json" in done.stdout
    back = subprocess.run([GODMOTHER, "import", "all", str(out)], env=target.env(), capture_output=True, text=True,
                          check=False, timeout=900)  # fmt: skip
    assert back.returncode == 0, back.stderr
    assert "trial balance the same as the export's: yes" in back.stdout and "verify: intact" in back.stdout
