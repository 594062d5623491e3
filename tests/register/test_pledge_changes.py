"""Pledges change from a month on without rewriting the past.

P-0001: MDD000123 → C-000123 (born 20/03/2021), 500,000 a month from 01/2025, open-ended.
"""

import pytest
from sqlalchemy import select
from sqlmodel import Session

from ledger.db import run_in_transaction
from ledger.errors import InvalidEntry
from ledger.months import Month
from ledger.register.models import Child, Pledge, PledgeChange
from ledger.register.pledges import arrears, change_pledge, schedules
from ledger.register.queries import explain
from tests.factories import admin
from tests.register.test_import import load, load_register, write
from tests.register.test_payments import BANKS


def change(engine, kind: str, start: str, **details):
    return run_in_transaction(
        engine,
        lambda s: change_pledge(
            s, pledge="P-0001", kind=kind, from_month=Month.parse(start), actor=admin("thu-quy"), **details
        ),
    )


def planned(engine) -> list[tuple[str, str, int]]:
    with Session(engine) as session:
        pledge = session.scalar(select(Pledge).where(Pledge.code == "P-0001"))
        codes = {c.id: c.code for c in session.scalars(select(Child))}
        return [(str(s.month), codes[s.child_id], s.amount) for s in schedules(session, [pledge])[pledge.id]]


def test_pause_new_amount_move_and_early_end_shape_the_schedule(engine, tmp_path):
    load_register(engine, tmp_path)
    change(engine, "pause", "2025-03", until_month=Month(2025, 4), reason="nhà tài trợ ốm")
    change(engine, "amount", "2025-06", amount=700_000)
    change(engine, "move", "2025-09", child="C-000124", reason="chuyển sang trẻ khó khăn hơn")
    change(engine, "end", "2026-01", reason="nhà tài trợ chuyển công tác")
    # Jan, Feb, May: 500,000 for C-000123; March and April paused; June–August 700,000 for
    # C-000123; September–December 700,000 for C-000124; nothing from January 2026.
    assert planned(engine) == [
        ("2025-01", "C-000123", 500_000),
        ("2025-02", "C-000123", 500_000),
        ("2025-05", "C-000123", 500_000),
        ("2025-06", "C-000123", 700_000),
        ("2025-07", "C-000123", 700_000),
        ("2025-08", "C-000123", 700_000),
        ("2025-09", "C-000124", 700_000),
        ("2025-10", "C-000124", 700_000),
        ("2025-11", "C-000124", 700_000),
        ("2025-12", "C-000124", 700_000),
    ]
    with Session(engine) as session:
        pledge = session.scalar(select(Pledge).where(Pledge.code == "P-0001"))
        assert arrears(session, pledge, Month(2026, 6)) == 3 * 500_000 + 7 * 700_000  # 6,400,000
        # C-000124 now receives two pledges in October: its own 1,000,000 and the moved 700,000
        assert explain(session, "C-000124", Month(2025, 10), "godmother").amount == 1_700_000
        assert not explain(session, "C-000123", Month(2025, 10), "godmother").eligible
        assert explain(session, "C-000123", Month(2025, 6), "godmother").amount == 700_000
        history = session.scalars(select(PledgeChange).order_by(PledgeChange.id)).all()
        assert [c.kind for c in history] == ["pause", "amount", "move", "end"]


def test_a_change_cannot_reach_back_into_a_paid_month(engine, tmp_path):
    load_register(engine, tmp_path)
    load(engine, "bank-accounts", write(tmp_path, "banks.csv", BANKS))
    load(
        engine,
        "payments",
        write(
            tmp_path,
            "p.csv",
            "date,sponsor,pledge,amount,method,bank_account,reference\n"
            "2025-02-03,MDD000123,P-0001,1000000,bank,vcb-main,x\n",
        ),
    )
    with pytest.raises(InvalidEntry, match="paid through 2025-02"):
        change(engine, "amount", "2025-02", amount=700_000)
    change(engine, "amount", "2025-03", amount=700_000)


@pytest.mark.parametrize(
    ("kind", "details", "says"),
    [
        ("amount", {"amount": 100_000}, "200,000–2,000,000"),
        ("pause", {"reason": "x"}, "needs its last month"),
        ("move", {"child": "C-404", "reason": "x"}, "not in the register"),
        ("end", {}, "say why"),
        ("cancel", {}, "one of pause, amount, move, end"),
    ],
)
def test_bad_changes_are_refused_clearly(engine, tmp_path, kind, details, says):
    load_register(engine, tmp_path)
    with pytest.raises(Exception, match=says):
        change(engine, kind, "2025-05", **details)
