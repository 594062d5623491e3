"""Explainable eligibility: for a child, a program and a month, a decision and its reasons.

The month convention (docs/eligibility.md), applied everywhere:
- the parameters in force on the first day of month M apply to the whole of M;
- a child's age and status for M are those on the last day of M−1, so a birthday, leaving
  school or any other event takes effect from the month after the month it happens in;
- an enrolment decision signed in month M pays from M.
Ages count whole years; a child born on 29 February turns a year older on 1 March in a
common year. Amounts are whole đồng; a coefficient multiplies exactly (fractions) and any
fraction of a đồng is rounded half up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from ledger.eligibility.parameters import Parameters, in_force, load
from ledger.eligibility.reasons import Params, Reason
from ledger.ground.programs import GODMOTHER, SOCIAL_ALLOWANCE, age_on, birthday, status_date
from ledger.months import Month


@dataclass(frozen=True, slots=True)
class Decision:
    child: str
    program: str
    month: Month
    eligible: bool
    amount: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A decision admitting the child to a program (e.g. the commune chair's for the allowance)."""

    program: str
    decision_number: str
    decision_date: date
    end_date: date | None = None


@dataclass(frozen=True, slots=True)
class PledgeMonth:
    """What one pledge schedules for the child in the month decided (after pauses and changes)."""

    pledge: str
    sponsor: str
    amount: int


@dataclass(frozen=True, slots=True)
class Child:
    code: str
    date_of_birth: date
    categories: frozenset[str]
    province: str | None
    in_school_until: date | None = None
    enrolments: tuple[Enrolment, ...] = ()
    died_on: date | None = None


@dataclass(frozen=True, slots=True)
class BranchPolicy:
    """What a branch decides for the Godmother program (parameters, not law)."""

    godmother_age_limit: int | None = None
    godmother_categories: frozenset[str] | None = None
    source: str = "branch policy"


@dataclass
class _Explanation:
    reasons: list[Reason] = field(default_factory=list)

    def add(self, rule: str, params: Params, source: str = "", wording: str = "") -> None:
        self.reasons.append(Reason(rule, params, source, wording))


def _round_half_up(value: Fraction) -> int:
    return int((value + Fraction(1, 2)).__floor__())


def _not_dead(child: Child, month: Month, why: _Explanation) -> bool:
    if child.died_on is not None and child.died_on <= status_date(month):
        why.add("stop.death", {"died": child.died_on.isoformat()})
        return False
    return True


def decide_social_allowance(child: Child, month: Month, parameters: Parameters | None = None) -> Decision:
    """The monthly social allowance (Decree 20/2021/NĐ-CP) for ``child`` in ``month``."""
    p = parameters or load()
    why = _Explanation()
    on = status_date(month)
    first = month.first_day

    def refuse() -> Decision:
        return Decision(child.code, SOCIAL_ALLOWANCE, month, False, 0, tuple(why.reasons))

    if not _not_dead(child, month, why):
        return refuse()
    enrolment = _enrolment_for(child, SOCIAL_ALLOWANCE, month, why)
    if enrolment is None:
        return refuse()

    age = age_on(child.date_of_birth, on)
    limit = in_force(p.allowance_age_limit, first, "allowance age limit")
    if age < limit.value:
        why.add("age.under_limit", {"on": on.isoformat(), "age": age, "limit": limit.value}, limit.source)
    else:
        extension = in_force(p.study_extension_max_age, first, "study extension age")
        covered_before = enrolment.decision_date < birthday(child.date_of_birth, limit.value)
        in_school = child.in_school_until is not None and child.in_school_until >= on
        if covered_before and age < extension.value and child.in_school_until is not None and not in_school:
            why.add(
                "school.left",
                {"left": child.in_school_until.isoformat(), "age": age},
                f"{extension.source}; {p.stop_rule_source}",
            )
            return refuse()
        if not (covered_before and in_school and age < extension.value):
            why.add(
                "age.over_limit",
                {
                    "age": age,
                    "on": on.isoformat(),
                    "covered_before": covered_before,
                    "in_school": in_school,
                    "reached": age >= extension.value,
                    "limit": limit.value,
                    "extension": extension.value,
                },
                f"{limit.source}; {extension.source}; {p.stop_rule_source}",
                wording="age.over_limit.allowance",
            )
            return refuse()
        assert child.in_school_until is not None  # in school, so a date
        why.add(
            "age.study_extension",
            {
                "on": on.isoformat(),
                "age": age,
                "until": child.in_school_until.isoformat(),
                "extension": extension.value,
            },
            extension.source,
        )

    qualifying = p.allowance_categories(on, child.province)
    held = sorted(set(child.categories) & qualifying.keys())
    if not held:
        why.add(
            "category.none",
            {"categories": sorted(child.categories)},
            "Decree 20/2021/NĐ-CP Art. 5(1)" + (f" and provincial rules of {child.province}" if child.province else ""),
            wording="category.none.allowance",
        )
        return refuse()
    category = qualifying[held[0]]
    why.add("category", {"category": held[0]}, category.source)

    coefficient = p.coefficient(first, age)
    merged = p.succession(child.province, first)
    if merged is not None:
        why.add(
            "province.merged",
            {"province": child.province, "into": merged.value, "from": merged.start.isoformat()},
            merged.source,
        )
    national, provincial = p.standard_level(first, child.province)
    level = national
    why.add("level.national", {"level": national.value, "from": national.start.isoformat()}, national.source)
    if provincial is not None and provincial.value > national.value:
        level = provincial
        why.add(
            "level.provincial", {"level": provincial.value, "from": provincial.start.isoformat()}, provincial.source
        )
    factor = _coef(coefficient.value.value)
    why.add("coefficient", {"on": on.isoformat(), "age": age, "coefficient": factor}, coefficient.source)
    amount = _round_half_up(level.value * coefficient.value.value)
    why.add("amount", {"level": level.value, "coefficient": factor, "amount": amount}, wording="amount.allowance")
    return Decision(child.code, SOCIAL_ALLOWANCE, month, True, amount, tuple(why.reasons))


def decide_godmother(
    child: Child,
    month: Month,
    pledges: Sequence[PledgeMonth],
    policy: BranchPolicy = BranchPolicy(),
    parameters: Parameters | None = None,
) -> Decision:
    """The Godmother disbursement for ``child`` in ``month``: the pledges active in it, under the age limit."""
    p = parameters or load()
    why = _Explanation()
    on = status_date(month)
    first = month.first_day

    def refuse() -> Decision:
        return Decision(child.code, GODMOTHER, month, False, 0, tuple(why.reasons))

    if not _not_dead(child, month, why):
        return refuse()
    default_limit = in_force(p.godmother_age_limit, first, "Godmother age limit")
    limit, source = (
        (policy.godmother_age_limit, policy.source)
        if policy.godmother_age_limit is not None
        else (default_limit.value, default_limit.source)
    )
    age = age_on(child.date_of_birth, on)
    if age >= limit:
        why.add("age.over_limit", {"age": age, "on": on.isoformat(), "limit": limit}, source)
        return refuse()
    why.add("age.under_limit", {"on": on.isoformat(), "age": age, "limit": limit}, source)
    admitted = policy.godmother_categories if policy.godmother_categories is not None else p.godmother_categories
    held = sorted(set(child.categories) & admitted)
    if not held:
        why.add("category.none", {}, policy.source)
        return refuse()
    why.add("category", {"category": held[0]}, policy.source)
    active = [pledge for pledge in pledges if pledge.amount > 0]
    if not active:
        why.add("pledges.none", {"month": str(month)})
        return refuse()
    for pledge in active:
        why.add("pledge", {"pledge": pledge.pledge, "sponsor": pledge.sponsor, "amount": pledge.amount})
    amount = sum(pledge.amount for pledge in active)
    why.add("amount", {"amount": amount})
    return Decision(child.code, GODMOTHER, month, True, amount, tuple(why.reasons))


def _enrolment_for(child: Child, program: str, month: Month, why: _Explanation) -> Enrolment | None:
    on = status_date(month)
    candidates = [e for e in child.enrolments if e.program == program and e.decision_date <= month.last_day]
    if not candidates:
        why.add("enrolment.none", {"month": str(month)}, "Decree 20/2021/NĐ-CP Art. 8")
        return None
    enrolment = max(candidates, key=lambda e: e.decision_date)
    if enrolment.end_date is not None and enrolment.end_date <= on:
        why.add(
            "enrolment.ended",
            {"decision": enrolment.decision_number, "ended": enrolment.end_date.isoformat()},
            "Decree 20/2021/NĐ-CP Art. 8(2)",
        )
        return None
    why.add(
        "enrolment",
        {"decision": enrolment.decision_number, "signed": enrolment.decision_date.isoformat()},
        "Decree 20/2021/NĐ-CP Art. 8(1)",
    )
    return enrolment


def _coef(value: Fraction) -> str:
    """2.5, 1.5: coefficients written exactly (they are decimal fractions in law)."""
    return str(Decimal(value.numerator) / Decimal(value.denominator))
