"""A run decided in parts that share no fund (``ledger.disbursement.parts``): a province's communes
funded on their own are parts of their own, and the decisions are those of one plan over them all."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from ledger.disbursement import deciders
from ledger.disbursement.facts import SharedFacts
from ledger.disbursement.parts import independent_parts
from ledger.disbursement.planning import PROGRAMS
from ledger.models import Branch
from ledger.months import Month
from tests.disbursement.test_monthly_run import imported, run
from tests.disbursement.test_nation_planning import _pay, budget
from tests.disbursement.test_run_deciders import kept, one_plan

JANUARY = Month(2026, 1)
BRANCHES = """code,name,parent,level,province
hp,Hội LHPN thành phố Hải Phòng,,province,hai-phong
hp-a,Hội LHPN xã An Lão,hp,commune,
hp-a-t1,Chi hội thôn 1,hp-a,group,
hp-b,Hội LHPN xã Kiến Thụy,hp,commune,
hp-c,Hội LHPN xã Tiên Lãng,hp,commune,
"""
BANKS = """code,branch,bank_bin,account_number,account_name
vcb-hp,hp,970436,0011001932400,HOI LHPN TP HAI PHONG
vcb-a,hp-a,970436,0011001932401,HOI LHPN XA AN LAO
vcb-b,hp-b,970436,0011001932402,HOI LHPN XA KIEN THUY
"""
SPONSORS = """code,name,kind,phone,email,language,branch
S-1,Nguyễn Thị Hoa,individual,,,vi,hp-a
S-2,Phạm Văn Dũng,individual,,,vi,hp-c
"""
# Codes interleave the communes, so child-code order crosses the parts.
CHILDREN = """code,full_name,date_of_birth,gender,branch,categories,guardian_name,consent_guardian_on,consent_child_on
C-1,Trần Minh An,2016-05-10,M,hp-a,orphan_both,Trần Thị Bình,2025-12-01,2025-12-01
C-2,Lê Thu Bình,2015-02-14,F,hp-b,orphan_both,Lê Văn Cường,2025-12-01,2025-12-01
C-3,Vũ Thị Cúc,2019-07-01,F,hp-c,orphan_both,Vũ Thị Dung,2025-12-01,
C-4,Đỗ Văn Đức,2020-03-03,M,hp-a-t1,orphan_both,Đỗ Thị Em,2025-12-01,
C-5,Hoàng Gia Bảo,2014-09-09,M,hp-b,orphan_both,Hoàng Thị Gấm,2025-12-01,2025-12-01
C-6,Ngô Thị Hạnh,2020-11-20,F,hp-c,orphan_both,Ngô Văn Ích,2025-12-01,
"""
PLEDGES = """code,sponsor,child,monthly_amount,start_month,end_month,frequency
P-1,S-1,C-1,500000,2026-01,,monthly
P-2,S-2,C-6,400000,2026-01,,monthly
"""
ENROLMENTS = """child,program,decision_number,decision_date,end_date
C-1,social-allowance,QĐ 1/QĐ-UBND,2025-12-15,
C-2,social-allowance,QĐ 2/QĐ-UBND,2025-12-15,
C-3,social-allowance,QĐ 3/QĐ-UBND,2025-12-15,
C-4,social-allowance,QĐ 4/QĐ-UBND,2025-12-15,
C-5,social-allowance,QĐ 5/QĐ-UBND,2025-12-15,
C-6,social-allowance,QĐ 6/QĐ-UBND,2025-12-15,
"""


def three_communes(engine, tmp_path) -> None:
    """An Lão's fund is short for a child of the commune and one of its village group, Kiến Thụy's
    for its two children; Tiên Lãng received no budget, so the city's fund pays its children."""
    for kind, text in (("branches", BRANCHES), ("bank-accounts", BANKS), ("sponsors", SPONSORS),
                       ("children", CHILDREN), ("pledges", PLEDGES), ("enrolments", ENROLMENTS)):  # fmt: skip
        imported(engine, tmp_path, kind, text)
    budget(engine, tmp_path, "hp-a", "vcb-a", 1_500_000, date(2026, 1, 5))
    budget(engine, tmp_path, "hp-b", "vcb-b", 1_500_000, date(2026, 1, 5))
    budget(engine, tmp_path, "hp", "vcb-hp", 5_000_000, date(2026, 1, 5))
    _pay(engine, "S-1", 500_000, date(2026, 1, 3), "vcb-a")
    _pay(engine, "S-2", 400_000, date(2026, 1, 3), "vcb-hp")


def _parts(engine, size: int) -> set[frozenset[str]]:
    with Session(engine) as session:
        codes = dict(session.execute(sa.select(Branch.id, Branch.code)).all())
        parts = independent_parts(session, SharedFacts.read(session), None, PROGRAMS, size)
    return {frozenset(codes[b] for b in ids) for _, ids in parts}


def test_branches_that_share_no_fund_are_parts_of_their_own(engine, tmp_path):
    three_communes(engine, tmp_path)
    # The village group draws on its commune's fund, Tiên Lãng on the city's: each with it.
    assert _parts(engine, size=1) == {
        frozenset({"hp-a", "hp-a-t1"}),
        frozenset({"hp-b"}),
        frozenset({"hp", "hp-c"}),
    }
    # Gathered in branch-code order until a part has three children: the city's and An Lão's, then Kiến Thụy.
    assert _parts(engine, size=3) == {frozenset({"hp", "hp-c", "hp-a", "hp-a-t1"}), frozenset({"hp-b"})}
    assert _parts(engine, size=100) == {frozenset({"hp", "hp-a", "hp-a-t1", "hp-b", "hp-c"})}


@pytest.mark.postgres_only
def test_a_province_decided_in_parts_keeps_what_one_plan_decides(engine, tmp_path, monkeypatch):
    three_communes(engine, tmp_path)
    decisions, settlements, summary = one_plan(engine, month=JANUARY)
    short = {d[0] for d in decisions if d[6] > 0}
    assert len(short) == 2, "An Lão's and Kiến Thụy's funds are short"
    given: list[list[tuple[str, set[int]]]] = []
    decide = deciders.Deciders.decide

    def seen(self, parts):
        given.append(parts)
        return decide(self, parts)

    monkeypatch.setattr(deciders.Deciders, "decide", seen)
    monkeypatch.setattr("ledger.disbursement.run.PART_CHILDREN", 1)
    result = run(engine, "2026-01", deciders=2)
    assert result.status == "done"
    assert [len(parts) for parts in given] == [3]
    assert kept(engine, result.run_id) == (decisions, settlements, summary)
