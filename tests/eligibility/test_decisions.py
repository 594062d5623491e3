"""Eligibility decisions, each expected amount worked out by hand from docs/eligibility.md.

Month convention: parameters in force on the 1st of M; age and status on the last day of M−1.
"""

from datetime import date

import pytest

from ledger.eligibility.decide import (
    BranchPolicy,
    Child,
    Enrolment,
    PledgeMonth,
    age_on,
    decide_godmother,
    decide_social_allowance,
)
from ledger.months import Month

ENROLLED_2015 = Enrolment("social-allowance", "QĐ 12/2015", date(2015, 1, 5))


def child(born: date, *, categories=("orphan_both",), province=None, school=None, enrolments=(ENROLLED_2015,)) -> Child:
    return Child("C-000123", born, frozenset(categories), province, school, tuple(enrolments))


def decide_social_allowance_reasons(c: Child, month: str) -> dict[str, str]:
    """rule → the English reason, for one month's decision."""
    return {r.rule: r.en for r in decide_social_allowance(c, Month.parse(month)).reasons}


def allowance(c: Child, month: str) -> int:
    decision = decide_social_allowance(c, Month.parse(month))
    return decision.amount if decision.eligible else 0


@pytest.mark.parametrize(
    ("rule", "born", "province", "month", "expected"),
    [
        # docs/eligibility.md worked example: born 20/03/2021, age on 28/02/2025 is 3 → 2.5 × 500,000
        ("coefficient 2.5 under 4", date(2021, 3, 20), None, "2025-03", 1_250_000),
        # age on 31/03/2025 is 4 → 1.5 × 500,000
        ("coefficient 1.5 from 4, month after the birthday", date(2021, 3, 20), None, "2025-04", 750_000),
        # national level 360,000 until 30/06/2024: 1.5 × 360,000
        ("standard level before Decree 76/2024", date(2017, 5, 10), None, "2024-06", 540_000),
        # 500,000 from 01/07/2024: 1.5 × 500,000
        ("standard level from 01/07/2024", date(2017, 5, 10), None, "2024-07", 750_000),
        # Hải Dương's 550,000 starts 01/08/2024: in July the national 500,000 applies
        ("provincial level not yet in force", date(2017, 5, 10), "hai-duong", "2024-07", 750_000),
        # 1.5 × 550,000
        ("provincial level higher than national", date(2017, 5, 10), "hai-duong", "2024-08", 825_000),
        # 2.5 × 550,000
        ("provincial level, under 4", date(2022, 1, 15), "hai-duong", "2025-03", 1_375_000),
        # Hải Dương merged into Hải Phòng on 01/07/2025 (Resolution 202/2025/QH15); its own 550,000 ran
        # to 31/12/2025 (docs/eligibility.md): 1.5 × 550,000 in September 2025 ...
        ("a former province's own level, after the merger", date(2017, 5, 10), "hai-duong", "2025-09", 825_000),
        # ... and from 2026 Hải Phòng's 700,000 covers the former Hải Dương: 1.5 × 700,000
        ("a former province takes its successor's level", date(2017, 5, 10), "hai-duong", "2026-01", 1_050_000),
        # Hải Phòng 700,000 from 01/01/2026: 1.5 × 700,000
        ("Hải Phòng level from 2026", date(2017, 5, 10), "hai-phong", "2026-01", 1_050_000),
        # Hà Nội 650,000 from 01/01/2026: 2.5 × 650,000
        ("Hà Nội level from 2026, under 4", date(2023, 2, 1), "ha-noi", "2026-01", 1_625_000),
        # Hà Nội in 2025: only national 500,000 × 1.5
        ("Hà Nội before its level", date(2017, 5, 10), "ha-noi", "2025-12", 750_000),
        # born 29/02/2020: on 31/01/2024 aged 3 → 2.5 × 360,000
        ("29 February, before turning 4", date(2020, 2, 29), None, "2024-02", 900_000),
        # on 29/02/2024 aged 4 → 1.5 × 360,000
        ("29 February in a leap year", date(2020, 2, 29), None, "2024-03", 540_000),
    ],
)
def test_social_allowance_amounts(rule, born, province, month, expected):
    assert allowance(child(born, province=province), month) == expected, rule


def test_a_decision_for_a_former_province_says_it_merged():
    merged = decide_social_allowance_reasons(child(date(2017, 5, 10), province="hai-duong"), "2026-01")
    assert "province.merged" in merged and "hai-phong" in merged["province.merged"]
    before = decide_social_allowance_reasons(child(date(2017, 5, 10), province="hai-duong"), "2025-06")
    assert "province.merged" not in before


def test_a_child_who_leaves_school_at_17_left_school_and_did_not_age_out():
    c = child(date(2008, 1, 10), school=date(2025, 5, 30))
    stopped = decide_social_allowance_reasons(c, "2025-06")
    assert "school.left" in stopped and "age.over_limit" not in stopped
    assert stopped["school.left"].startswith("left school on 30 May 2025, aged 17")
    out_of_school_at_16 = decide_social_allowance_reasons(child(date(2009, 6, 1)), "2025-07")
    assert "age.over_limit" in out_of_school_at_16 and "school.left" not in out_of_school_at_16


@pytest.mark.parametrize(
    ("rule", "born", "school", "paid", "not_paid"),
    [
        # 16th birthday on the 1st of June: aged 15 on 31/05 → June paid; 16 on 30/06 → July not
        ("turning 16 on the 1st, out of school", date(2009, 6, 1), None, "2025-06", "2025-07"),
        # 16th birthday on the last day of June: same months
        ("turning 16 on the last day, out of school", date(2009, 6, 30), None, "2025-06", "2025-07"),
        # 16th birthday on 31/05: aged 16 on 31/05 → paid for May (the month of the birthday), not June
        ("paid for the month of the 16th birthday only", date(2009, 5, 31), None, "2025-05", "2025-06"),
        # in school until 2027: covered before 16, still paid at 16 and 21, stops after 22
        ("turning 16 in school", date(2009, 6, 1), date(2027, 6, 30), "2025-07", "2029-01"),
        # 22nd birthday 15/07/2026: aged 21 on 30/06 → July paid; 22 on 31/07 → August not
        ("turning 22 in school", date(2004, 7, 15), date(2027, 6, 30), "2026-07", "2026-08"),
        # born 29/02/2004: in 2026 the 22nd birthday is 01/03, so March paid, April not
        ("22 on a 29 February in a common year", date(2004, 2, 29), date(2027, 6, 30), "2026-03", "2026-04"),
        # aged 17, left school 31/05/2025: in school on 31/05 → June paid; not on 30/06 → July not
        ("leaving school on the last day of a month", date(2008, 1, 10), date(2025, 5, 31), "2025-06", "2025-07"),
        # left school 30/05/2025: not in school on 31/05 → June not paid, May paid
        ("leaving school mid-month", date(2008, 1, 10), date(2025, 5, 30), "2025-05", "2025-06"),
    ],
)
def test_social_allowance_stops_in_the_month_after_the_event(rule, born, school, paid, not_paid):
    c = child(born, school=school)
    assert allowance(c, paid) > 0, rule
    assert allowance(c, not_paid) == 0, rule


def test_the_study_extension_needs_cover_before_16():
    # Enrolled 10/06/2025, after the 16th birthday (01/06/2025), in school: not eligible.
    late = Enrolment("social-allowance", "QĐ 99/2025", date(2025, 6, 10))
    decision = decide_social_allowance(
        child(date(2009, 6, 1), school=date(2027, 6, 30), enrolments=(late,)), Month(2025, 7)
    )
    assert not decision.eligible
    assert "not covered before turning 16" in decision.reasons[-1].en


def test_an_enrolment_signed_mid_month_pays_from_that_month_and_stops_after_its_end():
    signed = Enrolment("social-allowance", "QĐ 45/2025", date(2025, 5, 20), end_date=date(2025, 8, 15))
    c = child(date(2017, 5, 10), enrolments=(signed,))
    assert allowance(c, "2025-04") == 0
    assert allowance(c, "2025-05") == 750_000  # signed in May: the whole of May, 1.5 × 500,000
    assert allowance(c, "2025-08") == 750_000  # ended 15/08: August still paid
    assert allowance(c, "2025-09") == 0


def test_a_provincial_extension_category_counts_only_in_its_province():
    on_assistance = ("orphan_one_other_on_assistance",)
    assert allowance(child(date(2017, 5, 10), categories=on_assistance, province="hai-duong"), "2025-05") == 825_000
    decision = decide_social_allowance(
        child(date(2017, 5, 10), categories=on_assistance, province="ha-noi"), Month(2025, 5)
    )
    assert not decision.eligible
    assert decision.reasons[-1].rule == "category.none"


def test_a_category_only_the_godmother_program_admits():
    c = child(date(2015, 3, 1), categories=("orphan_one",), enrolments=())
    assert not decide_social_allowance(c, Month(2025, 5)).eligible
    pledges = [PledgeMonth("P-1", "MDD000001", 500_000), PledgeMonth("P-2", "MDD000002", 300_000)]
    decision = decide_godmother(c, Month(2025, 5), pledges)
    assert decision.eligible and decision.amount == 800_000  # two sponsors: 500,000 + 300,000


@pytest.mark.parametrize(
    ("rule", "born", "policy", "paid", "not_paid"),
    [
        # 18th birthday 15/07/2025: aged 17 on 30/06 → July paid; 18 on 31/07 → August not
        (
            "Godmother ends after the month of the 18th birthday",
            date(2007, 7, 15),
            BranchPolicy(),
            "2025-07",
            "2025-08",
        ),
        # branch lowers the limit to 16: 16th birthday 15/06/2025 → June paid, July not
        ("branch age limit 16", date(2009, 6, 15), BranchPolicy(godmother_age_limit=16), "2025-06", "2025-07"),
        # born 29/02/2008: the 18th birthday falls on 01/03/2026 → March paid, April not
        ("18 on a 29 February in a common year", date(2008, 2, 29), BranchPolicy(), "2026-03", "2026-04"),
    ],
)
def test_godmother_age_limit(rule, born, policy, paid, not_paid):
    c = child(born, enrolments=())
    pledge = [PledgeMonth("P-1", "MDD000001", 500_000)]
    assert decide_godmother(c, Month.parse(paid), pledge, policy).amount == 500_000, rule
    assert not decide_godmother(c, Month.parse(not_paid), pledge, policy).eligible, rule


def test_a_decision_explains_itself_naming_rules_and_sources_in_both_languages():
    decision = decide_social_allowance(child(date(2018, 3, 2), province="hai-duong"), Month(2025, 5))
    assert decision.amount == 825_000  # 1.5 × 550,000 (Hải Dương)
    english = [reason.text("en") for reason in decision.reasons]
    assert "age on 30 April 2025: 7 → coefficient 1.5 (Decree 20/2021/NĐ-CP Art. 6(1))" in english
    assert "standard level 500,000\u00a0₫ from 1 July 2024 (Decree 76/2024/NĐ-CP)" in english
    assert any(r.rule == "level.provincial" and "Resolution 07" in r.source for r in decision.reasons)
    vietnamese = [reason.text("vi") for reason in decision.reasons]
    assert "tuổi ngày 30/04/2025: 7 → hệ số 1.5 (Decree 20/2021/NĐ-CP Art. 6(1))" in vietnamese
    assert "550.000\u00a0₫ × 1.5 = 825.000\u00a0₫" in vietnamese


def test_ages_count_whole_years_with_29_february_on_1_march():
    assert age_on(date(2004, 2, 29), date(2026, 2, 28)) == 21
    assert age_on(date(2004, 2, 29), date(2026, 3, 1)) == 22
    assert age_on(date(2021, 3, 20), date(2025, 3, 19)) == 3
    assert age_on(date(2021, 3, 20), date(2025, 3, 20)) == 4


def test_branch_policy_comes_from_the_parameters_file_and_is_inherited_downwards(tmp_path):
    import yaml

    from ledger.eligibility.parameters import PARAMETERS_FILE, parse

    document = yaml.safe_load(PARAMETERS_FILE.read_text(encoding="utf-8"))
    document["branch_policy"] = {
        "hai-duong": {"godmother_age_limit": [{"from": date(2025, 1, 1), "value": 16, "source": "NQ tỉnh 01/2025"}]},
    }
    parameters = parse(document)
    age, categories = parameters.branch_policy(["hd-an-phu", "hai-duong"], date(2025, 6, 1))
    assert (age.value, age.source, categories) == (16, "NQ tỉnh 01/2025", None)
    assert parameters.branch_policy(["hd-an-phu", "hai-duong"], date(2024, 12, 1)) == (None, None)
    c = child(date(2009, 6, 15), enrolments=())
    policy = BranchPolicy(age.value, None, age.source)
    # 16th birthday 15/06/2025: June paid (aged 15 on 31/05), July not (16 on 30/06)
    pledge = [PledgeMonth("P-1", "MDD000001", 500_000)]
    assert decide_godmother(c, Month(2025, 6), pledge, policy, parameters).amount == 500_000
    refused = decide_godmother(c, Month(2025, 7), pledge, policy, parameters)
    assert not refused.eligible and refused.reasons[-1].source == "NQ tỉnh 01/2025"
