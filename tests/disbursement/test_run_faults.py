"""The monthly run when the database connection goes away under it (PostgreSQL).

A backend terminated while the run posts (a restart, an operator's pg_terminate_backend) costs
at most a chunk, which is read again and posted: the run completes, once. The connection that
holds the run's lock is different: losing it means another run could start, so the run stops
with a clear message, and running it again finishes it.
"""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from ledger.demo import load_demo
from ledger.disbursement.models import Run
from ledger.disbursement.run import run_month
from ledger.errors import RunLockLost
from ledger.models import Disbursement
from ledger.months import Month
from ledger.verify import verify
from tests.factories import admin

pytestmark = pytest.mark.postgres_only
MONTH = Month(2026, 11)
ON = datetime(2026, 11, 23, 3, tzinfo=UTC)


@pytest.fixture
def province(database):
    load_demo(database.engine, today=date(2026, 11, 23), children=60, sponsors=40, months=3)
    return database


def terminate(database, *, lock_holder: bool) -> int:
    """End other sessions of this schema's database: the run lock's holder, or everyone else."""
    which = "IN" if lock_holder else "NOT IN"
    with database.raw() as connection:
        return connection.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
            f"AND pid <> pg_backend_pid() AND pid {which} (SELECT pid FROM pg_locks WHERE locktype = 'advisory')"
        ).fetchone()[0]


def paid(database) -> int:
    """Children paid for the month, with the ledger verified (nothing posted twice or half)."""
    with Session(database.engine) as session:
        assert verify(session).ok
        return session.scalar(select(func.count(func.distinct(Disbursement.child_code))).where(
            Disbursement.month == MONTH.first_day))  # fmt: skip


def test_a_terminated_connection_while_posting_costs_nothing(province):
    ended: list[int] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "post" and not ended:
            ended.append(terminate(province, lock_holder=False))

    result = run_month(province.engine, MONTH, actor=admin(), on=date(2026, 11, 5), now=ON, progress=progress,
                       chunk=5)  # fmt: skip
    assert result.status == "done" and ended
    assert paid(province) == result.summary.children_paid > 5


def test_a_run_that_loses_its_lock_stops_and_running_again_finishes_it(province):
    def progress(stage: str, done: int, total: int) -> None:
        if stage == "post" and done == 5:
            assert terminate(province, lock_holder=True) == 1

    with pytest.raises(RunLockLost):
        run_month(province.engine, MONTH, actor=admin(), on=date(2026, 11, 5), now=ON, progress=progress, chunk=5)
    partly = paid(province)
    assert partly > 0
    result = run_month(province.engine, MONTH, actor=admin(), on=date(2026, 11, 5), now=ON, chunk=5)
    assert paid(province) > partly
    with Session(province.engine) as session:
        assert session.scalar(select(func.count()).select_from(Run).where(Run.status != "done")) == 0
    assert result.resumed or result.status == "done"


def test_the_balance_read_reconnects_after_its_connection_ended(province):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from ledger.access.users import add_user
    from ledger.db import run_in_transaction

    run_in_transaction(province.engine, lambda s: add_user(s, name="quan-tri-2", role="admin",
                                                           password="mot mat khau rat dai", actor=admin()))  # fmt: skip
    client = TestClient(create_app(province.engine), raise_server_exceptions=False)
    token = client.post("/api/v1/auth/token", data={"username": "quan-tri-2", "password": "mot mat khau rat dai"})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    url = "/api/v1/accounts/assets:cash/balance?branch=hp-an-lao"
    assert client.get(url, headers=headers).status_code == 200
    assert terminate(province, lock_holder=False) >= 1
    assert [client.get(url, headers=headers).status_code for _ in range(5)] == [200] * 5
