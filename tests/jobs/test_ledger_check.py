"""The nightly ledger check: the whole ledger verified from the genesis; a pass leaves the checkpoint
the pages verify from, a damaged ledger fails the job (retried, then a notice for the treasurers)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlmodel import Session

from jobs import runner
from ledger.models import VerifiedCheckpoint
from ledger.schedule.models import JobExecution
from ledger.schedule.plans import job_specs
from tests.factories import BANK, commune, fund, transfer
from tests.ledger.raw import without_protection


def test_the_nightly_check_leaves_a_full_checkpoint_and_fails_on_damage(database, monkeypatch):
    monkeypatch.setenv("LEDGER_CHECK_SCHEDULE", "03:00")
    monkeypatch.setenv("GODMOTHER_JOB_RETRY_SECONDS", "0.3,0.6")
    commune(database.engine, children=("C-1",))
    posted = transfer(database.engine, "an-lao", BANK, fund("C-1"), 1_000_000, on=date(2025, 5, 2))
    with Session(database.engine) as session:
        (spec,) = [s for s in job_specs(session) if s.kind == "ledger-check"]
    assert spec.id == "ledger-check" and spec.branch == ""
    done = runner.run_job(database.engine, spec, "2026-12-03", scheduled_for=datetime.now(UTC), trigger="schedule",
                          mailer=None)  # fmt: skip
    assert done.status == "succeeded" and done.counts == {"transactions": 1, "through": posted.seq}
    with Session(database.engine) as session:
        checkpoint = session.scalar(select(VerifiedCheckpoint).order_by(VerifiedCheckpoint.id.desc()))
        assert checkpoint is not None and checkpoint.full and checkpoint.seq == posted.seq
        assert checkpoint.verified_by == "scheduler"
    without_protection(database, f"UPDATE ledger_transaction SET description = 'sửa' WHERE id = {posted.id}")
    damaged = runner.run_job(database.engine, spec, "2026-12-04", scheduled_for=datetime.now(UTC),
                             trigger="schedule", mailer=None)  # fmt: skip
    assert damaged.status == "retrying"
    with Session(database.engine) as session:
        execution = session.scalar(select(JobExecution).where(JobExecution.period == "2026-12-04"))
        assert execution is not None and "changed after posting" in (execution.error or "")
