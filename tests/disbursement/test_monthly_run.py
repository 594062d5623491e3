"""The monthly run, worked by hand like a treasurer's book.

Commune hp-an-lao (Hải Phòng: standard level 700,000 ₫ from 2026-01-01), runs on the 5th:

C-1 An, born 10/05/2016, orphan_both: P-1 (S-1) 500,000 from 2026-01; P-2 (S-2) 300,000 from
    2026-03, paused April–May. Two sponsors, one child.
C-2 Bình, born 14/02/2008, orphan_one: P-3 (S-3) 700,000 from 2026-01, open-ended. Turns 18 on
    14/02/2026: paid for February (17 on 31/01), not for March (18 on 28/02).
C-3 Cúc, born 01/07/2019, orphan_both, social allowance from decision of 15/01/2026:
    6 years old → 1.5 × 700,000 = 1,050,000 ₫ a month.

Money in: S-1 pays 500,000 on 03/01, nothing in February, 1,000,000 on 02/03 (late: February and
March); S-3 pays 700,000 on 02/01 and 02/02; S-2 pays 300,000 on 03/03. Budget for the social
allowance: 2,000,000 on 05/01, 3,000,000 on 01/03.

January: C-1 500,000; C-2 700,000; C-3 1,050,000 (program fund left: 950,000).
February: C-1 due 500,000, fund empty → paid 0, shortfall 500,000; C-2 700,000;
          C-3 due 1,050,000, fund 950,000 → paid 950,000, shortfall 100,000.
March: C-1 fund 1,300,000 → catch-up 500,000 (February) + 800,000 (P-1 + P-2) = 1,300,000;
       C-2 aged out (paid 0, P-3 ended); C-3 program fund 3,000,000 → catch-up 100,000 + 1,050,000.
"""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from ledger.branch_settings import set_branch_setting
from ledger.db import run_in_transaction
from ledger.disbursement.checking import check_month
from ledger.disbursement.run import approve_run, run_month
from ledger.disbursement.stored import decisions_of
from ledger.errors import FourEyesRefused, LedgerError, RunOutdated
from ledger.models import Disbursement, LedgerTransaction
from ledger.months import Month
from ledger.register.importing import import_file
from ledger.register.payments import record_payment
from ledger.register.pledges import change_pledge
from ledger.verify import verify
from tests.factories import admin, balance_of
from tests.register.test_import import write

BRANCHES = """code,name,parent,level,province
hp,Hội LHPN thành phố Hải Phòng,,province,hai-phong
hp-an-lao,Hội LHPN xã An Lão,hp,commune,
"""
BANKS = "code,branch,bank_bin,account_number,account_name\nvcb-main,hp-an-lao,970436,0011001932418,HOI LHPN XA AN LAO\n"
SPONSORS = """code,name,kind,phone,email,language,branch
S-1,Nguyễn Thị Hoa,individual,,,vi,hp-an-lao
S-2,Phạm Văn Dũng,individual,,,vi,hp-an-lao
S-3,Công ty TNHH An Phát,organisation,,,en,hp-an-lao
"""
CHILDREN = """code,full_name,date_of_birth,gender,branch,categories,guardian_name,consent_guardian_on,consent_child_on
C-1,Trần Minh An,2016-05-10,M,hp-an-lao,orphan_both,Trần Thị Bình,2025-12-01,2025-12-01
C-2,Lê Thu Bình,2008-02-14,F,hp-an-lao,orphan_one,Lê Văn Cường,2025-12-01,2025-12-01
C-3,Vũ Thị Cúc,2019-07-01,F,hp-an-lao,orphan_both,Vũ Thị Dung,2025-12-01,
"""
PLEDGES = """code,sponsor,child,monthly_amount,start_month,end_month,frequency
P-1,S-1,C-1,500000,2026-01,,monthly
P-2,S-2,C-1,300000,2026-03,,monthly
P-3,S-3,C-2,700000,2026-01,,monthly
"""
ENROLMENTS = "child,program,decision_number,decision_date,end_date\nC-3,social-allowance,QĐ 12/QĐ-UBND,2026-01-15,\n"
BRANCH = "hp-an-lao"
BY = "thu-quy"


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, tzinfo=UTC)


def imported(engine, tmp_path, kind: str, text: str) -> None:
    path = write(tmp_path, f"{kind}.csv", text)
    run_in_transaction(engine, lambda s: import_file(s, kind, path, actor=admin(), today=date(2025, 12, 15)))


def pay(engine, sponsor: str, amount: int, on: date, pledge: str | None = None) -> None:
    run_in_transaction(
        engine,
        lambda s: record_payment(
            s,
            sponsor=sponsor,
            amount=amount,
            paid_on=on,
            method="bank",
            bank_account="vcb-main",
            pledge=pledge,
            actor=admin(BY),
        ),
    )


def budget(engine, tmp_path, amount: int, on: date) -> None:
    imported(
        engine,
        tmp_path,
        "budget",
        f"date,branch,program,amount,method,bank_account,reference\n{on},{BRANCH},social-allowance,{amount},bank,vcb-main,KP{on:%m%y}\n",
    )


def run(engine, month: str, **options):
    m = Month.parse(month)
    return run_month(
        engine,
        m,
        actor=options.pop("actor", admin(BY)),
        on=m.first_day.replace(day=5),
        now=at(m.first_day.replace(day=5)),
        **options,
    )


@pytest.fixture
def register(engine, tmp_path):
    for kind, text in (
        ("branches", BRANCHES),
        ("bank-accounts", BANKS),
        ("sponsors", SPONSORS),
        ("children", CHILDREN),
        ("pledges", PLEDGES),
        ("enrolments", ENROLMENTS),
    ):
        imported(engine, tmp_path, kind, text)
    run_in_transaction(
        engine,
        lambda s: change_pledge(
            s,
            pledge="P-2",
            kind="pause",
            from_month=Month(2026, 4),
            until_month=Month(2026, 5),
            reason="nhà tài trợ đi công tác",
            actor=admin(BY),
        ),
    )
    return engine


def money_in_january_and_february(engine, tmp_path) -> None:
    budget(engine, tmp_path, 2_000_000, date(2026, 1, 5))
    pay(engine, "S-1", 500_000, date(2026, 1, 3))
    pay(engine, "S-3", 700_000, date(2026, 1, 2))


def decided(engine, run_id: int) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """(child, program) → (due, catch-up, paid, shortfall)."""
    with Session(engine) as session:
        return {(d.child, d.program): (d.due, d.catch_up, d.paid, d.shortfall) for d in decisions_of(session, run_id)}


def payable(engine, child: str) -> int:
    return -balance_of(engine, BRANCH, f"liabilities:payable:guardian:{child}")


def fund(engine, child: str) -> int:
    return -balance_of(engine, BRANCH, f"liabilities:fund:child:{child}")


def transactions(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(LedgerTransaction))


def test_three_months_with_a_late_sponsor_a_child_who_ages_out_and_a_short_program_fund(register, tmp_path):
    engine = register
    money_in_january_and_february(engine, tmp_path)
    january = run(engine, "2026-01")
    assert january.status == "done"
    assert decided(engine, january.run_id) == {
        ("C-1", "godmother"): (500_000, 0, 500_000, 0),
        ("C-2", "godmother"): (700_000, 0, 700_000, 0),
        ("C-3", "social-allowance"): (1_050_000, 0, 1_050_000, 0),
    }

    pay(engine, "S-3", 700_000, date(2026, 2, 2))
    february = run(engine, "2026-02")
    assert decided(engine, february.run_id) == {
        ("C-1", "godmother"): (500_000, 0, 0, 500_000),  # S-1 did not pay: nothing to pay out
        ("C-2", "godmother"): (700_000, 0, 700_000, 0),  # 17 on 31/01/2026
        ("C-3", "social-allowance"): (1_050_000, 0, 950_000, 100_000),  # the budget ran short
    }
    assert (february.summary.shortfalls, february.summary.shortfall_total) == (2, 600_000)

    budget(engine, tmp_path, 3_000_000, date(2026, 3, 1))
    pay(engine, "S-1", 1_000_000, date(2026, 3, 2))  # February and March, late
    pay(engine, "S-2", 300_000, date(2026, 3, 3))
    march = run(engine, "2026-03")
    assert decided(engine, march.run_id) == {
        ("C-1", "godmother"): (800_000, 500_000, 1_300_000, 0),  # February's shortfall first
        ("C-2", "godmother"): (0, 0, 0, 0),  # 18 on 28/02/2026: aged out
        ("C-3", "social-allowance"): (1_050_000, 100_000, 1_150_000, 0),
    }
    s = march.summary
    assert (s.children_paid, s.paid_total, s.catch_up_total, s.shortfalls) == (2, 2_450_000, 600_000, 0)
    assert s.aged_out == ["C-2"] and s.pledges_ended == ["P-3"]

    # Every đồng accounted for: what each guardian is owed is the sum of the three months.
    assert payable(engine, "C-1") == 500_000 + 0 + 1_300_000
    assert payable(engine, "C-2") == 700_000 + 700_000
    assert payable(engine, "C-3") == 1_050_000 + 950_000 + 1_150_000
    assert fund(engine, "C-1") == 0 and balance_of(engine, BRANCH, "liabilities:fund:program:social-allowance") == -(
        5_000_000 - 3_150_000
    )
    with Session(engine) as session:
        assert verify(session).ok


def test_a_paused_pledge_pays_nothing_and_the_decision_says_which_pledges_paid(register, tmp_path):
    engine = register
    money_in_january_and_february(engine, tmp_path)
    for month in ("2026-01", "2026-02"):
        run(engine, month)
    pay(engine, "S-1", 1_000_000, date(2026, 3, 2))
    pay(engine, "S-2", 300_000, date(2026, 3, 3))
    run(engine, "2026-03")
    pay(engine, "S-1", 500_000, date(2026, 4, 1))
    april = run(engine, "2026-04")
    with Session(engine) as session:
        (c1,) = decisions_of(session, april.run_id, child="C-1")
    assert (c1.due, c1.paid) == (500_000, 500_000)  # P-2 is paused in April
    pledges = [r["en"] for r in c1.reasons if r["rule"] == "pledge"]
    assert pledges == ["pledge P-1 of S-1: 500,000\u00a0₫"]
    assert any("paid in full" in r["en"] for r in c1.reasons)


def test_running_the_same_month_twice_posts_nothing_new(register, tmp_path):
    engine = register
    money_in_january_and_february(engine, tmp_path)
    first = run(engine, "2026-01")
    count = transactions(engine)
    again = run(engine, "2026-01")
    assert (first.status, again.status, again.run_id) == ("done", "nothing-new", None)
    assert transactions(engine) == count


def test_a_dry_run_shows_the_plan_and_posts_nothing(register, tmp_path):
    engine = register
    money_in_january_and_february(engine, tmp_path)
    seen = []
    count = transactions(engine)
    preview = run(engine, "2026-01", dry_run=True, show=seen.append)
    assert preview.status == "dry-run" and preview.run_id is None
    assert sorted((p.child, p.paid) for p in seen) == [("C-1", 500_000), ("C-2", 700_000), ("C-3", 1_050_000)]
    assert transactions(engine) == count
    assert run(engine, "2026-01").summary.paid_total == preview.summary.paid_total == 2_250_000


def test_a_month_that_has_not_begun_cannot_be_run(register):
    with pytest.raises(LedgerError, match="has not begun"):
        run_month(register, Month(2026, 2), actor=admin(BY), on=date(2026, 1, 31))


def test_four_eyes_a_run_waits_for_a_second_person_and_its_preparer_cannot_approve_it(register, tmp_path):
    engine = register
    money_in_january_and_february(engine, tmp_path)
    run_in_transaction(
        engine, lambda s: set_branch_setting(s, branch="hp", name="four-eyes", value="on", actor=admin("admin"))
    )
    count = transactions(engine)
    prepared = run(engine, "2026-01", actor=admin("thu-quy"))
    assert prepared.status == "prepared" and prepared.four_eyes
    assert transactions(engine) == count  # nothing posted before approval
    with pytest.raises(FourEyesRefused, match="another person"):
        approve_run(engine, prepared.run_id, actor=admin("thu-quy"), now=at(date(2026, 1, 5)))
    assert transactions(engine) == count
    approved = approve_run(engine, prepared.run_id, actor=admin("ke-toan"), now=at(date(2026, 1, 6)))
    assert approved.status == "done"
    assert transactions(engine) == count + 3
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Disbursement)) == 3
    with pytest.raises(FourEyesRefused, match="not waiting for approval"):
        approve_run(engine, prepared.run_id, actor=admin("ke-toan"))


def test_an_approval_is_refused_when_the_ledger_changed_since_preparation(register, tmp_path):
    engine = register
    budget(engine, tmp_path, 2_000_000, date(2026, 1, 5))
    run_in_transaction(
        engine, lambda s: set_branch_setting(s, branch=BRANCH, name="four-eyes", value="on", actor=admin("admin"))
    )
    prepared = run(engine, "2026-01")  # C-1 and C-2 have empty funds: shortfalls
    pay(engine, "S-1", 500_000, date(2026, 1, 5))
    with pytest.raises(RunOutdated, match="C-1 godmother: prepared paid 0 of 500,000, now paid 500,000"):
        approve_run(engine, prepared.run_id, actor=admin("ke-toan"))
    again = run(engine, "2026-01")  # preparing again supersedes the stale run
    assert approve_run(engine, again.run_id, actor=admin("ke-toan")).summary.paid_total == 500_000 + 1_050_000


def test_check_re_derives_decisions_and_reports_what_changed_since(register, tmp_path):
    engine = register
    money_in_january_and_february(engine, tmp_path)
    run(engine, "2026-01")
    with Session(engine) as session:
        checked, differences = check_month(session, Month(2026, 1))
    assert (checked, differences) == (3, [])
    # The register was wrong: C-3 was born in 2022, so was 3 in January (2.5 × 700,000).
    imported(engine, tmp_path, "children", CHILDREN.replace("2019-07-01", "2022-07-01"))
    with Session(engine) as session:
        checked, differences = check_month(session, Month(2026, 1))
    assert [(d.child, d.program) for d in differences] == [("C-3", "social-allowance")]
    assert "decided 1,050,000 ₫ then, 1,750,000 ₫ now" in differences[0].what


def test_a_child_with_two_sponsors_receives_both_pledges_in_one_disbursement(register, tmp_path):
    engine = register
    pay(engine, "S-1", 500_000, date(2026, 3, 1), pledge="P-1")
    pay(engine, "S-2", 300_000, date(2026, 3, 1))
    # S-1's 500,000 pays P-1's January (the oldest month); the child's fund holds 800,000.
    march = run(engine, "2026-03")
    assert decided(engine, march.run_id)[("C-1", "godmother")] == (800_000, 0, 800_000, 0)
    with Session(engine) as session:
        (c1,) = decisions_of(session, march.run_id, child="C-1")
    assert [r["en"] for r in c1.reasons if r["rule"] == "pledge"] == [
        "pledge P-1 of S-1: 500,000\u00a0₫",
        "pledge P-2 of S-2: 300,000\u00a0₫",
    ]


def test_coverage_shows_both_sponsors_of_a_child_and_the_pause(register):
    from ledger.register.pledges import coverage

    with Session(register) as session:
        months = coverage(session, "C-1", Month(2026, 2), Month(2026, 6))
    assert [(str(m), sum(a for _, _, a in items)) for m, items in months] == [
        ("2026-02", 500_000),
        ("2026-03", 800_000),  # P-1 500,000 + P-2 300,000
        ("2026-04", 500_000),  # P-2 paused April–May
        ("2026-05", 500_000),
        ("2026-06", 800_000),
    ]
    assert [p for p, _, _ in months[1][1]] == ["P-1", "P-2"]


def test_arrears_per_pledge_and_month_are_scheduled_minus_paid(register, tmp_path):
    from ledger.register.pledges import arrears_report

    money_in_january_and_february(register, tmp_path)  # S-1 and S-3 paid January only
    with Session(register) as session:
        rows = arrears_report(session, through=Month(2026, 3))
    assert rows == [
        ("S-1", "P-1", "2026-02", 500_000),
        ("S-1", "P-1", "2026-03", 500_000),
        ("S-2", "P-2", "2026-03", 300_000),
        ("S-3", "P-3", "2026-02", 700_000),  # nothing in March: C-2 is 18 by then
    ]
