"""The register's lists: age bands and ageing out at their exact boundaries, the reader's branches only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ledger.access.actor import Actor
from ledger.db import run_in_transaction
from ledger.errors import NotFound
from ledger.ground.programs import age_on
from ledger.months import Month
from ledger.people.lists import AGE_BANDS, ListRequest, listing
from ledger.register.importing import import_file
from ledger.register.pledges import godmother_age_limit
from tests.factories import admin, commune

TODAY = date(2026, 12, 15)


def _years_before(day: date, years: int, days: int = 0) -> date:
    """``years`` before ``day``, then ``days`` later (a birthday that many days after today's)."""
    return date(day.year - years, day.month, day.day) + timedelta(days=-days)


@pytest.fixture
def children(engine, tmp_path):
    commune(engine, "an-lao", children=())
    commune(engine, "tien-lang", children=(), name="Hội LHPN xã Tiên Lãng")
    limit = godmother_age_limit(Month.of(TODAY))
    born = {
        "C-6": _years_before(TODAY, 6),  # six today
        "C-6-": _years_before(TODAY, 6, days=-1),  # six tomorrow
        "C-10": _years_before(TODAY, 11, days=-1),  # eleven tomorrow: still in 6-10
        "C-OUT": _years_before(TODAY, limit, days=-20),  # reaches the limit within three months
        "C-LATER": _years_before(TODAY, limit, days=-180),  # reaches it in six months
    }
    lines = ["code,full_name,date_of_birth,gender,branch,guardian_name,consent_guardian_on,consent_child_on"]
    lines += [f"{code},Trẻ {code},{day.isoformat()},F,an-lao,Bà,2026-01-01,2026-01-01" for code, day in born.items()]
    lines.append("C-OTHER,Trẻ khác,2016-01-01,M,tien-lang,Ông,2026-01-01,2026-01-01")
    path = tmp_path / "tre.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run_in_transaction(engine, lambda s: import_file(s, "children", path, actor=admin(), today=TODAY))
    return born


def _codes(engine, actor, **wanted):
    found = run_in_transaction(engine, lambda s: listing(s, actor, ListRequest("children", size=300, **wanted),
                                                         today=TODAY))  # fmt: skip
    assert found.count == len(found.rows)
    return {row["code"] for row in found.rows}


def test_an_age_band_holds_exactly_the_children_of_those_ages_today(engine, children):
    for band, (youngest, oldest) in AGE_BANDS.items():
        expected = {code for code, day in children.items() if youngest <= age_on(day, TODAY) <= oldest}
        assert _codes(engine, admin(), age_band=band, branch="an-lao") == expected, band


def test_ageing_out_soon_is_the_next_three_months(engine, children):
    assert _codes(engine, admin(), ageing_out=True) == {"C-OUT"}


def test_a_treasurer_lists_only_her_branches_and_not_another_communes(engine, children):
    from sqlmodel import Session, select

    from ledger.models import Branch

    with Session(engine) as session:
        an_lao = session.scalar(select(Branch.id).where(Branch.code == "an-lao"))
    treasurer = Actor("thu-quy", "treasurer", frozenset({an_lao}), home_branch_id=an_lao)
    assert _codes(engine, treasurer) == set(children)
    with pytest.raises(NotFound):
        _codes(engine, treasurer, branch="tien-lang")


def test_a_new_records_form_suggests_the_next_code_of_the_registers_numbering(engine, tmp_path):
    from sqlmodel import Session

    from ledger.people.forms import suggested_code

    commune(engine, "an-lao", children=())
    path = tmp_path / "nha-tai-tro.csv"
    path.write_text("code,name,kind,branch\nMDD000099,Một,individual,an-lao\nMDD000100,Hai,individual,an-lao\n"
                    "MDD000098,Ba,individual,an-lao\n", encoding="utf-8")  # fmt: skip
    run_in_transaction(engine, lambda s: import_file(s, "sponsors", path, actor=admin(), today=TODAY))
    with Session(engine) as session:
        assert suggested_code(session, "sponsors") == "MDD000101"  # after the highest, whatever order they came in
        assert suggested_code(session, "pledges") == ""  # no numbering to follow yet
