"""The monthly run as a treasurer starts it (the ``godmother`` process), killed, doubled, approved.

The register is the demo's, made smaller: 150 children with two years of history, the
current month's payments in, its run not yet made. What an uninterrupted run would pay is what
``--dry-run`` shows before any attempt (the same plan, read from the same ledger).
"""

import json
import random
import subprocess
import time
from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import Session

from ledger.demo import load_demo
from ledger.disbursement.models import Run, RunDecision
from ledger.verify import verify
from tests.cli.test_cli import GODMOTHER, assert_one_clear_line, run

pytestmark = pytest.mark.slow  # run by default; deselect with -m "not slow" for a quick round

MONTH = "2026-11"


@pytest.fixture
def province(database):
    load_demo(database.engine, today=date(2026, 11, 23), children=150, sponsors=100)
    return database


def dry_run(database) -> dict[tuple[str, str], tuple[int, int]]:
    result = run(database, "run-month", MONTH, "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    return {(d["child"], d["program"]): (d["paid"], d["shortfall"]) for d in json.loads(result.stdout)["decisions"]}


def kept(database) -> dict[tuple[str, str], tuple[int, int]]:
    """The month's decisions as stored, with the ledger's disbursements checked against them."""
    from ledger.register.models import Child

    with Session(database.engine) as session:
        rows = session.execute(
            select(Child.code, RunDecision.program, RunDecision.paid, RunDecision.shortfall)
            .join(Child, Child.id == RunDecision.child_id)
            .join(Run, Run.id == RunDecision.run_id)
            .where(RunDecision.month == date(2026, 11, 1), Run.status == "done")
        ).all()
        assert len(rows) == len({(c, p) for c, p, _, _ in rows}), "a decision was kept twice"
        assert verify(session).ok
    return {(c, p): (paid, short) for c, p, paid, short in rows}


def disbursed(database) -> int:
    """Children paid for the month so far, read as another client would (never waiting on the writer)."""
    with database.raw() as connection:
        return connection.execute("SELECT count(*) FROM disbursement WHERE month = '2026-11-01'").fetchone()[0]


def start_run(database) -> subprocess.Popen:
    return subprocess.Popen(
        [GODMOTHER, "run-month", MONTH, "--by", "thu-quy", "--chunk-size", "1"],
        env=database.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_run_killed_at_random_points_is_finished_by_the_next_with_exactly_the_same_payments(province):
    expected = dry_run(province)
    paying = sum(1 for paid, _ in expected.values() if paid)
    assert paying > 50
    rng = random.Random(4)
    # Two kills at random moments while it starts and decides, then kills at random points of
    # its posting: when the ledger shows a randomly chosen number of children paid.
    early = [rng.uniform(0.1, 1.5) for _ in range(2)]
    thresholds = sorted(rng.sample(range(1, paying), 4))
    partial = 0
    for moment in early:
        process = start_run(province)
        time.sleep(moment)
        process.kill()  # SIGKILL: no clean-up of any kind
        process.wait()
    for threshold in thresholds:
        process = start_run(province)
        while process.poll() is None and disbursed(province) < threshold:
            time.sleep(0.005)
        process.kill()
        process.wait()
        partial += 0 < disbursed(province) < paying
    assert partial >= 2, "the kills should have stopped runs halfway through their posting"
    final = run(province, "run-month", MONTH, "--by", "thu-quy")
    assert final.returncode == 0, final.stderr
    assert kept(province) == expected
    assert disbursed(province) == paying
    with Session(province.engine) as session:
        months = session.scalars(select(Run.status).where(Run.month == date(2026, 11, 1))).all()
    assert months == ["done"]


def test_two_runs_of_the_same_month_at_once_pay_nobody_twice(province):
    expected = dry_run(province)
    command = [GODMOTHER, "run-month", MONTH, "--by", "thu-quy", "--chunk-size", "5"]
    first = subprocess.Popen(command, env=province.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, env=province.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outcomes = [p.communicate(timeout=900) + (p.returncode,) for p in (first, second)]
    codes = sorted(code for _, _, code in outcomes)
    assert codes in ([0, 0], [0, 1]), outcomes
    for out, err, code in outcomes:
        assert "Traceback" not in out + err
        if code == 1:  # refused cleanly, saying why and what to do
            assert "another monthly run is in progress" in err
        else:
            assert "đã ghi sổ" in out or "không có gì mới" in out
    assert kept(province) == expected
    assert disbursed(province) == sum(1 for paid, _ in expected.values() if paid)


def test_the_same_month_twice_and_four_eyes_through_the_command(province):
    assert run(province, "branch", "set", "hp", "four-eyes", "on", "--by", "admin").returncode == 0
    prepared = run(province, "run-month", MONTH, "--by", "thu-quy", "--lang", "en")
    assert prepared.returncode == 0, prepared.stderr
    assert "prepared; a second person approves it" in prepared.stdout and disbursed(province) == 0
    run_id = prepared.stdout.split("Run ", 1)[1].split()[0]
    assert_one_clear_line(
        run(province, "run", "approve", run_id, "--by", "thu-quy"), 1, "another person must approve it"
    )
    approved = run(province, "run", "approve", run_id, "--by", "ke-toan")
    assert approved.returncode == 0, approved.stderr
    assert disbursed(province) > 0
    again = run(province, "run-month", MONTH, "--by", "thu-quy", "--lang", "en")
    assert "nothing new to pay" in again.stdout
    check = run(province, "run-month", MONTH, "--check", "--lang", "en")
    assert check.returncode == 0 and "0 difference(s)" in check.stdout, check.stdout + check.stderr
