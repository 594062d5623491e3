"""Two worker processes sharing one PostgreSQL run each job once for its period."""

from __future__ import annotations

import subprocess
import time

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from ledger.branch_settings import set_branch_setting
from ledger.db import run_in_transaction
from ledger.disbursement.models import Run
from ledger.months import Month, today_in_vietnam
from ledger.schedule.models import JobExecution
from tests.cli.test_cli import GODMOTHER
from tests.factories import admin
from tests.statements.conftest import load_small_demo

pytestmark = pytest.mark.slow  # run by default; deselect with -m "not slow" for a quick round


@pytest.mark.postgres_only
def test_two_workers_run_the_missed_month_once(database, tmp_path):
    load_small_demo(database, children=12, sponsors=10, months=2)
    run_in_transaction(
        database.engine,
        lambda s: set_branch_setting(s, branch="hp", name="monthly-run", value="on", actor=admin("admin")),
    )
    env = {**database.env(), "SMTP_HOST": ""}
    workers = [
        subprocess.Popen(
            [str(GODMOTHER), "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with Session(database.engine) as session:
                pending = session.scalar(
                    select(func.count()).select_from(JobExecution).where(JobExecution.status == "running")
                )
                total = session.scalar(select(func.count()).select_from(JobExecution))
            if total and not pending and total >= 7:
                break
            time.sleep(1)
    finally:
        for worker in workers:
            worker.terminate()
        logs = [w.communicate(timeout=600)[0] for w in workers]
    this_month = Month.of(today_in_vietnam())
    with Session(database.engine) as session:
        rows = session.execute(
            select(JobExecution.job, JobExecution.period, JobExecution.status, JobExecution.worker)
        ).all()
        runs = session.scalar(select(func.count()).select_from(Run).where(Run.month == this_month.first_day))
    assert len(rows) == len({(job, period) for job, period, _, _ in rows}), rows  # no (job, period) twice
    assert ("monthly-run:hp", str(this_month), "succeeded") in {(j, p, s) for j, p, s, _ in rows}, (rows, logs)
    assert runs == 1
    assert all(status == "succeeded" for _, _, status, _ in rows), rows
    # A worker started again later catches up nothing: the month is not run twice.
    again = subprocess.run([str(GODMOTHER), "worker", "--once"], env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and again.stdout == "", again.stdout + again.stderr
