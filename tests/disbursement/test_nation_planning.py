"""A run over every branch is planned a province at a time (``planners``), with only that
province's children, pledges, enrolments, shortfalls and funds read. No fund pays across
provinces, so the decisions are exactly those of one plan over the nation."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from ledger.db import run_in_transaction
from ledger.disbursement.planning import Planner, planners
from ledger.disbursement.stored import decisions_of
from ledger.months import Month
from ledger.register.models import Child
from ledger.register.payments import record_payment
from ledger.register.pledges import change_pledge
from tests.disbursement.test_monthly_run import imported, run
from tests.factories import admin

BRANCHES = """code,name,parent,level,province
hp,Hội LHPN thành phố Hải Phòng,,province,hai-phong
hp-an-lao,Hội LHPN xã An Lão,hp,commune,
hn,Hội LHPN thành phố Hà Nội,,province,ha-noi
hn-dong-anh,Hội LHPN xã Đông Anh,hn,commune,
hn-dong-anh-t1,Chi hội thôn 1,hn-dong-anh,group,
"""
BANKS = """code,branch,bank_bin,account_number,account_name
vcb-hp,hp-an-lao,970436,0011001932418,HOI LHPN XA AN LAO
vcb-hn,hn-dong-anh,970436,0011001932419,HOI LHPN XA DONG ANH
"""
SPONSORS = """code,name,kind,phone,email,language,branch
S-1,Nguyễn Thị Hoa,individual,,,vi,hp-an-lao
S-2,Phạm Văn Dũng,individual,,,vi,hn-dong-anh
S-3,Công ty TNHH An Phát,organisation,,,en,hn-dong-anh-t1
"""
# Codes interleave the provinces, so child-code order crosses them.
CHILDREN = """code,full_name,date_of_birth,gender,branch,categories,guardian_name,consent_guardian_on,consent_child_on
C-1,Trần Minh An,2016-05-10,M,hp-an-lao,orphan_both,Trần Thị Bình,2025-12-01,2025-12-01
C-2,Lê Thu Bình,2015-02-14,F,hn-dong-anh-t1,orphan_one,Lê Văn Cường,2025-12-01,2025-12-01
C-3,Vũ Thị Cúc,2019-07-01,F,hp-an-lao,orphan_both,Vũ Thị Dung,2025-12-01,
C-4,Đỗ Văn Đức,2020-03-03,M,hn-dong-anh,orphan_both,Đỗ Thị Em,2025-12-01,
C-5,Hoàng Gia Bảo,2014-09-09,M,hn-dong-anh-t1,orphan_both,Hoàng Thị Gấm,2025-12-01,2025-12-01
"""
PLEDGES = """code,sponsor,child,monthly_amount,start_month,end_month,frequency
P-1,S-1,C-1,500000,2026-01,,monthly
P-2,S-2,C-2,400000,2026-01,,monthly
P-3,S-3,C-5,300000,2026-01,,monthly
P-4,S-3,C-2,200000,2026-01,,monthly
"""
ENROLMENTS = """child,program,decision_number,decision_date,end_date
C-3,social-allowance,QĐ 12/QĐ-UBND,2026-01-15,
C-4,social-allowance,QĐ 7/QĐ-UBND,2026-01-10,
C-5,social-allowance,QĐ 8/QĐ-UBND,2026-01-10,
"""


def budget(engine, tmp_path, branch: str, bank: str, amount: int, on: date) -> None:
    imported(engine, tmp_path, "budget", "date,branch,program,amount,method,bank_account,reference\n"
             f"{on},{branch},social-allowance,{amount},bank,{bank},KP{branch}{on:%m%y}\n")  # fmt: skip


def _pay(engine, sponsor: str, amount: int, on: date, bank: str) -> None:
    run_in_transaction(engine, lambda s: record_payment(s, sponsor=sponsor, amount=amount, paid_on=on, method="bank",
                                                        bank_account=bank, actor=admin("thu-quy")))  # fmt: skip


def plan_key(planned) -> tuple:
    return (planned.child, planned.program, planned.eligible, planned.due, planned.catch_up, planned.paid,
            planned.shortfall, planned.fund, tuple((s.month, s.amount) for s in planned.settlements),
            tuple((r.rule, r.vi, r.en, r.source) for r in planned.reasons))  # fmt: skip


def two_provinces_until_march(engine, tmp_path):
    """The register above, January and February run (shortfalls in Hà Nội), pledges moved across the
    provinces, and March's money received: February's run."""
    for kind, text in (("branches", BRANCHES), ("bank-accounts", BANKS), ("sponsors", SPONSORS),
                       ("children", CHILDREN), ("pledges", PLEDGES), ("enrolments", ENROLMENTS)):  # fmt: skip
        imported(engine, tmp_path, kind, text)
    # January: both program funds hold a month; February: Hà Nội's budget runs short (its commune's
    # fund pays a child of the commune and one of its village group) and S-2 is late.
    budget(engine, tmp_path, "hp-an-lao", "vcb-hp", 1_050_000, date(2026, 1, 5))
    budget(engine, tmp_path, "hn-dong-anh", "vcb-hn", 1_950_000, date(2026, 1, 5))
    for sponsor, amount, bank in (("S-1", 500_000, "vcb-hp"), ("S-2", 400_000, "vcb-hn"), ("S-3", 500_000, "vcb-hn")):
        _pay(engine, sponsor, amount, date(2026, 1, 3), bank)
    run(engine, "2026-01")
    budget(engine, tmp_path, "hp-an-lao", "vcb-hp", 1_050_000, date(2026, 2, 2))
    budget(engine, tmp_path, "hn-dong-anh", "vcb-hn", 1_000_000, date(2026, 2, 2))  # C-4 and C-5 share it
    for sponsor, amount, bank in (("S-1", 500_000, "vcb-hp"), ("S-3", 500_000, "vcb-hn")):
        _pay(engine, sponsor, amount, date(2026, 2, 3), bank)
    february = run(engine, "2026-02")
    # Pledges moved across provinces: P-4 to Hải Phòng's C-1 from March, P-3 to C-3 from May.
    for pledge, child, month in (("P-4", "C-1", Month(2026, 3)), ("P-3", "C-3", Month(2026, 5))):
        run_in_transaction(engine, lambda s, p=pledge, c=child, m=month: change_pledge(
            s, pledge=p, kind="move", from_month=m, child=c, reason="chuyển tỉnh", actor=admin("thu-quy")))  # fmt: skip
    # March: money for everyone, so February's shortfalls are caught up in both provinces' funds.
    budget(engine, tmp_path, "hp-an-lao", "vcb-hp", 1_050_000, date(2026, 3, 2))
    budget(engine, tmp_path, "hn-dong-anh", "vcb-hn", 3_000_000, date(2026, 3, 2))
    for sponsor, amount, bank in (("S-1", 500_000, "vcb-hp"), ("S-2", 800_000, "vcb-hn"), ("S-3", 500_000, "vcb-hn")):
        _pay(engine, sponsor, amount, date(2026, 3, 3), bank)
    return february


def test_a_nation_planned_a_province_at_a_time_decides_as_one_plan(engine, tmp_path):
    february = two_provinces_until_march(engine, tmp_path)
    march = Month(2026, 3)
    with Session(engine) as session:
        whole = sorted(plan_key(p) for p in Planner(session, march).plan())
        chunks = list(planners(session, march))
        by_province = sorted(plan_key(p) for planner in chunks for p in planner.plan())
        provinces = [sorted({planner.facts.branches[c.branch_id].code for c in planner.facts.children.values()})
                     for planner in chunks]  # fmt: skip
        february_short = {d.child for d in decisions_of(session, february.run_id) if d.shortfall}
    assert provinces == [["hn-dong-anh", "hn-dong-anh-t1"], ["hp-an-lao"]]
    assert february_short == {"C-2", "C-5"}  # a late sponsor and a short budget, both in Hà Nội
    assert by_province == whole
    dues = {(key[0], key[1]): key[3] for key in whole}
    assert dues[("C-1", "godmother")] == 500_000 + 200_000  # P-1 and, moved to her, P-4
    assert dues[("C-2", "godmother")] == 400_000 and dues[("C-5", "godmother")] == 300_000
    assert {key[0] for key in whole if key[4] > 0} == {"C-2", "C-5"}  # caught up in March
    result = run(engine, "2026-03")
    with Session(engine) as session:
        kept = sorted((d.child, d.program, d.eligible, d.due, d.catch_up, d.paid, d.shortfall)
                      for d in decisions_of(session, result.run_id))  # fmt: skip
    assert kept == [key[:7] for key in whole]


def test_what_a_month_already_decided_is_read_once_per_run_not_per_province(engine, tmp_path):
    """Read for each province, it would scan the decisions the run itself keeps as it goes: at a
    nation, a query that grows with every province the run has decided."""
    for kind, text in (("branches", BRANCHES), ("bank-accounts", BANKS), ("sponsors", SPONSORS),
                       ("children", CHILDREN), ("pledges", PLEDGES), ("enrolments", ENROLMENTS)):  # fmt: skip
        imported(engine, tmp_path, kind, text)
    budget(engine, tmp_path, "hp-an-lao", "vcb-hp", 1_050_000, date(2026, 1, 5))
    budget(engine, tmp_path, "hn-dong-anh", "vcb-hn", 1_950_000, date(2026, 1, 5))
    asked: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith("SELECT run_decision.child_id, run_decision.program"):
            asked.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        first = run(engine, "2026-01")
        again = run(engine, "2026-01")  # both provinces decided: nothing new
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    with Session(engine) as session:
        assert len(list(planners(session, Month(2026, 1)))) == 2  # two provinces
    assert (first.status, again.status) == ("done", "nothing-new")
    assert len(asked) == 2  # once for each run


def test_a_province_reads_its_own_pledges_through_the_index_not_the_nations(engine, tmp_path):
    """Asked as ``IN (…)`` of the province's children, or of pledges moved to them, PostgreSQL
    scanned every pledge of the nation once for each province."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the plans of PostgreSQL")
    for kind, content in (("branches", BRANCHES), ("bank-accounts", BANKS), ("sponsors", SPONSORS),
                        ("children", CHILDREN), ("pledges", PLEDGES), ("enrolments", ENROLMENTS)):  # fmt: skip
        imported(engine, tmp_path, kind, content)
    plans: list[str] = []
    with Session(engine) as session:
        # The rest of the nation: 3,000 more children in Hải Phòng with two pledges each, none in Hà Nội.
        columns = ", ".join(c.name for c in Child.__table__.columns if c.name not in ("id", "code"))  # type: ignore[attr-defined]
        session.execute(sa.text(
            f"INSERT INTO child (code, {columns}) SELECT 'C-HP-' || g, {columns}"
            " FROM child, generate_series(1, 3000) AS g WHERE code = 'C-1'"
        ))  # fmt: skip
        session.execute(sa.text(
            "INSERT INTO pledge (code, sponsor_id, child_id, monthly_amount, start_month, frequency)"
            " SELECT 'P-' || c.code || '-' || n, s.id, c.id, 100000, DATE '2026-01-01', 'monthly'"
            " FROM child c, sponsor s, generate_series(1, 2) AS n WHERE c.code LIKE 'C-HP-%' AND s.code = 'S-1'"
        ))  # fmt: skip
        for table in ("pledge", "pledge_change", "child", "sponsor"):
            session.execute(sa.text(f"ANALYZE {table}"))
        driver = session.connection().connection.driver_connection
        driver.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
        for setting in ("LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0",
                        "SET auto_explain.log_level = notice"):  # fmt: skip
            session.execute(sa.text(setting))
        ha_noi = next(planner for planner in planners(session, Month(2026, 2))
                      if {c.code for c in planner.facts.children.values()} == {"C-2", "C-4", "C-5"})  # fmt: skip
    pledges = [plan for plan in plans if "FROM pledge" in plan]
    assert len(pledges) >= 2, plans  # the pledges, and the changes of those pledges
    for plan in pledges:
        assert "Seq Scan on pledge " not in plan and "ix_pledge_child_id" in plan, plan
    assert {p.pledge for ps in ha_noi.facts.pledges_now.values() for p in ps} == {"P-2", "P-3", "P-4"}
