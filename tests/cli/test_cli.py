"""The ``godmother`` command as a user runs it: real process, real database, exit codes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.db import head_revision
from tests.factories import BANK, commune, fund, transfer
from tests.ledger.raw import without_protection

GODMOTHER = Path(sys.executable).with_name("godmother")


def run(database, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GODMOTHER, *args], capture_output=True, text=True, env=database.env(), cwd=cwd, timeout=600)


class Environment:
    """A database given only by DATABASE_URL, for the CLI (no test database behind it)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def env(self) -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": self.url}


def assert_one_clear_line(result: subprocess.CompletedProcess[str], code: int, says: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], result.stderr


def test_demo_creates_the_database_by_itself_loads_once_and_prints_a_balanced_trial_balance(tmp_path):
    env_db = Environment("sqlite:///demo.db")
    first = run(env_db, "demo", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "demo ledger loaded" in first.stdout
    total = [line for line in first.stdout.splitlines() if line.startswith("Tổng / Total")][0]
    debit, credit = total.split()[-4], total.split()[-2]  # "Tổng / Total  34.600.000 ₫  34.600.000 ₫"
    assert debit == credit and debit != "0"
    assert "ledger intact" in first.stdout
    again = run(env_db, "demo", cwd=tmp_path)
    assert "already present" in again.stdout and again.returncode == 0
    current = run(env_db, "db", "current", cwd=tmp_path)
    assert current.stdout.strip() == head_revision()


def test_trial_balance_json_lists_each_account_with_whole_dong_debit_and_credit(database):
    commune(database.engine)
    transfer(database.engine, "an-lao", BANK, fund("C-000123"), 1_500_000)
    result = run(database, "trial-balance", "--branch", "an-lao", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    by_account = {row["account"]: row for row in rows}
    assert (by_account[BANK]["debit"], by_account[BANK]["credit"]) == (1_500_000, 0)
    assert (by_account[fund("C-000123")]["debit"], by_account[fund("C-000123")]["credit"]) == (0, 1_500_000)
    assert sum(r["debit"] for r in rows) == sum(r["credit"] for r in rows) == 1_500_000
    assert all(type(r["debit"]) is int and type(r["credit"]) is int for r in rows)
    earlier = json.loads(run(database, "trial-balance", "--branch", "an-lao", "--as-of", "01/05/2025", "--json").stdout)
    assert sum(r["debit"] for r in earlier) == 0


def test_verify_exits_zero_when_intact_and_names_the_first_bad_transaction_otherwise(database):
    commune(database.engine)
    transfer(database.engine, "an-lao", BANK, fund("C-000123"), 1_500_000)
    second = transfer(database.engine, "an-lao", BANK, fund("C-000123"), 200_000)
    ok = run(database, "verify")
    assert ok.returncode == 0 and "ledger intact: 2 transactions" in ok.stdout
    without_protection(
        database,
        f"UPDATE posting SET amount = 300000 WHERE transaction_id = {second.id} AND line = 1",
        f"UPDATE posting SET amount = -300000 WHERE transaction_id = {second.id} AND line = 2",
    )
    bad = run(database, "verify")
    assert bad.returncode == 1
    assert f"first: transaction {second.id} (#2)" in bad.stderr


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("trial-balance", "--branch", "khong-co"), 1, "branch 'khong-co' does not exist"),
        (("trial-balance", "--as-of", "2025-02-30"), 2, "is not a date"),
        (("balance", "assets:nope", "--branch", "an-lao"), 1, "does not exist in branch"),
        (("period", "close", "an-lao", "2025-13"), 2, "is not a month"),
        (("period", "reopen", "an-lao", "2025-01", "--reason", "x"), 1, "is not closed"),
        (("reverse", "999", "--by", "t", "--reason", "x"), 1, "transaction 999 does not exist"),
    ],
)
def test_bad_input_gives_one_clear_line_and_a_non_zero_exit(database, args, code, says):
    commune(database.engine)
    assert_one_clear_line(run(database, *args), code, says)


def test_an_unreachable_database_is_one_clear_line(tmp_path):
    env_db = Environment("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert_one_clear_line(run(env_db, "verify"), 1, "cannot use the database")


def test_export_beancount_writes_the_file(database, tmp_path):
    commune(database.engine)
    transfer(database.engine, "an-lao", BANK, fund("C-000123"), 1_500_000)
    result = run(database, "export", "beancount", "-o", str(tmp_path / "out.beancount"))
    assert result.returncode == 0 and "wrote 1 transactions" in result.stdout
    check = subprocess.run([GODMOTHER.with_name("bean-check"), tmp_path / "out.beancount"], capture_output=True)
    assert check.returncode == 0
