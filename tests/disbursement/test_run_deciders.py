"""A run's provinces decided in processes of their own (PostgreSQL): the decisions one plan makes,
kept all or none by the run."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from ledger.disbursement import deciders
from ledger.disbursement.deciders import Deciders, recipe
from ledger.disbursement.models import Run, RunDecision, ShortfallSettlement
from ledger.disbursement.planning import Planner, Summary
from ledger.disbursement.run import scope_of
from ledger.months import Month
from ledger.posting.bulk import copy_text, copy_written
from ledger.told import explain
from ledger.verify import verify
from tests.disbursement.test_monthly_run import run
from tests.disbursement.test_nation_planning import two_provinces_until_march

MARCH = Month(2026, 3)


def one_plan(engine, branch: str | None = None, month: Month = MARCH):
    """``month`` planned in this process as one plan over the nation (or ``branch``): each decision's
    stored figures and reasons, the settlements it pays, and the summary."""
    with Session(engine) as session:
        planner = Planner(session, month, scope_of(session, branch)[1])
        planned = list(planner.plan())
        summary = Summary()
        summary.pledges_ended.extend(planner.facts.pledges_ended)
        for p in planned:
            summary.add(p)
    decisions = sorted(
        (p.child_id, p.program, p.eligible, p.due, p.catch_up, p.paid, p.shortfall, p.fund_account_id,
         [r.as_stored() for r in p.reasons])
        for p in planned
    )  # fmt: skip
    settlements = sorted((p.child_id, p.program, s.shortfall_id, s.amount) for p in planned for s in p.settlements)
    return decisions, settlements, summary.as_json()


def kept(engine, run_id):
    with Session(engine) as session:
        decisions = sorted(
            (d.child_id, d.program, d.eligible, d.due, d.catch_up, d.paid, d.shortfall, d.fund_account_id, d.reasons)
            for d in session.scalars(sa.select(RunDecision).where(RunDecision.run_id == run_id))
        )  # fmt: skip
        settlements = sorted(
            session.execute(
                sa.select(RunDecision.child_id, RunDecision.program, ShortfallSettlement.shortfall_id,
                          ShortfallSettlement.amount)
                .join(RunDecision, RunDecision.id == ShortfallSettlement.decision_id)
                .where(RunDecision.run_id == run_id)
            ).all()
        )  # fmt: skip
        summary = session.get(Run, run_id).summary
    return decisions, [tuple(s) for s in settlements], summary


def run_reading_pledges(engine, month: str = "2026-03", **options):
    """Run ``month``, with the statements the run's own process sent that read pledges."""
    read_here: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        if "FROM pledge" in statement:
            read_here.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        return run(engine, month, **options), read_here
    finally:
        event.remove(engine, "before_cursor_execute", seen)


@pytest.mark.postgres_only
def test_provinces_decided_in_processes_keep_what_one_plan_decides(engine, tmp_path, monkeypatch):
    two_provinces_until_march(engine, tmp_path)
    # Each decision its own part: a province's parts are kept, summed up and settled apart.
    monkeypatch.setattr("ledger.disbursement.run.recipe", lambda *args: replace(recipe(*args), part=1))
    decisions, settlements, summary = one_plan(engine)
    assert settlements, "February's shortfalls are caught up in March"
    result, read_here = run_reading_pledges(engine, deciders=2)
    assert read_here == []  # the run's own process read no pledge: the provinces were decided elsewhere
    assert result.status == "done"
    assert kept(engine, result.run_id) == (decisions, settlements, summary)
    with Session(engine) as session:
        assert verify(session).ok


@pytest.mark.postgres_only
def test_a_run_of_one_province_is_decided_in_a_process_while_the_run_keeps(engine, tmp_path):
    two_provinces_until_march(engine, tmp_path)
    decisions, settlements, summary = one_plan(engine, "hn")
    assert settlements, "February's shortfalls in Hà Nội are caught up in March"
    result, read_here = run_reading_pledges(engine, branch="hn", deciders=2)
    assert read_here == []  # one decider decided the province
    assert result.status == "done"
    assert kept(engine, result.run_id) == (decisions, settlements, summary)


@pytest.mark.postgres_only
def test_a_deciders_error_stops_the_run_and_nothing_iskept(engine, tmp_path, monkeypatch):
    two_provinces_until_march(engine, tmp_path)
    decisions, settlements, summary = one_plan(engine)

    no_such_snapshot = "00000099-00000099-1"
    monkeypatch.setattr(
        "ledger.disbursement.run.recipe", lambda *args: replace(recipe(*args), snapshot=no_such_snapshot)
    )
    with pytest.raises(sa.exc.DBAPIError, match="snapshot"):
        run(engine, "2026-03", deciders=2)
    with Session(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Run).where(Run.month == MARCH.first_day)) == 0
    monkeypatch.undo()
    again = run(engine, "2026-03", deciders=2)  # the lock was given back; the month runs whole
    assert kept(engine, again.run_id) == (decisions, settlements, summary)


@pytest.mark.postgres_only
def test_a_decider_that_ends_without_an_answer_stops_the_run(engine, tmp_path):
    two_provinces_until_march(engine, tmp_path)
    with Session(engine) as session:
        team = Deciders(recipe(session, MARCH, 0, [], set()), 1)
        team._processes[0].kill()
        with pytest.raises(deciders.DecidingStopped, match="ha-noi") as stopped, team:
            list(team.decide([("ha-noi", {1}), ("hai-phong", {2})]))
    assert stopped.value.province == "ha-noi"
    told = explain(stopped.value, "vi")  # as a page or GODMOTHER_LANG=vi tells it
    assert told is not None and "ha-noi" in told and "chạy lại tháng" in told


@pytest.mark.postgres_only
def test_deciders_end_when_the_run_is_gone(engine, tmp_path):
    two_provinces_until_march(engine, tmp_path)
    with Session(engine) as session:
        team = Deciders(recipe(session, MARCH, 0, [], set()), 2)
        for pipe in team._pipes:  # as when the run's process is killed: its ends close, nothing is said
            pipe.close()
        for process in team._processes:
            process.join(timeout=300)  # a bound no busy machine reaches; the test waits on the exit itself
            assert process.exitcode == 0


def test_provinces_summed_up_apart_sum_up_as_one():
    from ledger.disbursement.planning import Planned, Settlement

    def planned(child, program, due, paid, short=0, caught_up=0, aged_out=False):
        settlements = (Settlement(1, Month(2026, 2), caught_up),) if caught_up else ()
        return Planned(int(child[2:]), child, "b", program, MARCH, due > 0, due, settlements, paid, short, None,
                       None, (), aged_out=aged_out)  # fmt: skip

    first = [planned("C-1", "godmother", 500, 600, caught_up=100), planned("C-1", "social-allowance", 0, 0, aged_out=True),
             planned("C-2", "godmother", 400, 100, short=300)]  # fmt: skip
    second = [planned("C-3", "social-allowance", 300, 300), planned("C-4", "godmother", 0, 0, aged_out=True),
              planned("C-4", "social-allowance", 200, 0, short=200)]  # fmt: skip
    whole, apart = Summary(), Summary()
    for p in first + second:
        whole.add(p)
    for part in (first, second):
        piece = Summary()
        piece.pledges_ended.append(part[0].child)
        for p in part:
            piece.add(p)
        apart.merge(piece)
    whole.pledges_ended.extend(["C-1", "C-3"])
    assert apart.as_json() == whole.as_json()


@pytest.mark.postgres_only
def test_copy_text_is_read_back_as_written(engine):
    rows = [
        [1, "tab\there, a new line\nand a \\ backslash\r", True, date(2026, 3, 1), None],
        [2, 'Vũ Thị Cúc {"rule":"money.paid","wording":"\\"quoted\\""}', False, date(2025, 12, 31), "\\N"],
    ]
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TEMP TABLE copied (n int, words text, yes bool, day date, maybe text)")
        copy_written(connection, sa.table("copied"), ["n", "words", "yes", "day", "maybe"], copy_text(rows))
        back = [list(row) for row in connection.exec_driver_sql("SELECT * FROM copied ORDER BY n")]
    assert back == rows
