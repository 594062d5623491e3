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

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from ledger.eligibility.parameters import Parameters, in_force, load
from ledger.ground.programs import GODMOTHER, SOCIAL_ALLOWANCE, age_on, birthday, status_date
from ledger.money import format_vnd
from ledger.months import Month


@dataclass(frozen=True, slots=True)
class Reason:
    """One step of a decision, in the users' two languages, naming the rule and its source."""

    rule: str
    vi: str
    en: str
    source: str = ""

    def text(self, lang: str = "vi") -> str:
        line = self.vi if lang == "vi" else self.en
        return f"{line} ({self.source})" if self.source else line


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

    def add(self, rule: str, vi: str, en: str, source: str = "") -> None:
        self.reasons.append(Reason(rule, vi, en, source))


@functools.lru_cache(maxsize=8192)  # a monthly run formats the same few dates 100,000 times
def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@functools.lru_cache(maxsize=8192)
def _en_d(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _round_half_up(value: Fraction) -> int:
    return int((value + Fraction(1, 2)).__floor__())


def _not_dead(child: Child, month: Month, why: _Explanation) -> bool:
    if child.died_on is not None and child.died_on <= status_date(month):
        why.add(
            "stop.death",
            f"mất ngày {_d(child.died_on)}: dừng chi từ tháng sau tháng mất",
            f"died on {_en_d(child.died_on)}: payments stop from the month after",
            "",
        )
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
        why.add(
            "age.under_limit",
            f"tuổi ngày {_d(on)}: {age} (dưới {limit.value})",
            f"age on {_en_d(on)}: {age} (under {limit.value})",
            limit.source,
        )
    else:
        extension = in_force(p.study_extension_max_age, first, "study extension age")
        covered_before = enrolment.decision_date < birthday(child.date_of_birth, limit.value)
        in_school = child.in_school_until is not None and child.in_school_until >= on
        if covered_before and age < extension.value and child.in_school_until is not None and not in_school:
            why.add(
                "school.left",
                f"thôi học ngày {_d(child.in_school_until)}, khi {age} tuổi: dừng chi từ tháng sau tháng thôi học",
                f"left school on {_en_d(child.in_school_until)}, aged {age}: payments stop from the month after",
                f"{extension.source}; {p.stop_rule_source}",
            )
            return refuse()
        if not (covered_before and in_school and age < extension.value):
            detail_vi = (
                f"đủ {age} tuổi ngày {_d(on)}"
                + ("" if covered_before else f", chưa được hưởng trước {limit.value} tuổi")
                + ("" if in_school else ", không còn đi học")
                + ("" if age < extension.value else f", đã {extension.value} tuổi")
            )
            detail_en = (
                f"aged {age} on {_en_d(on)}"
                + ("" if covered_before else f", not covered before turning {limit.value}")
                + ("" if in_school else ", not in school")
                + ("" if age < extension.value else f", reached {extension.value}")
            )
            why.add(
                "age.over_limit",
                f"{detail_vi}: dừng chi từ tháng sau tháng sự kiện",
                f"{detail_en}: payments stop from the month after the event",
                f"{limit.source}; {extension.source}; {p.stop_rule_source}",
            )
            return refuse()
        why.add(
            "age.study_extension",
            f"tuổi ngày {_d(on)}: {age}, đang đi học đến {_d(child.in_school_until)}; "
            f"tiếp tục hưởng đến {extension.value} tuổi",
            f"age on {_en_d(on)}: {age}, in school until {_en_d(child.in_school_until)}; "
            f"covered until {extension.value}",
            extension.source,
        )

    qualifying = p.allowance_categories(on, child.province)
    held = sorted(set(child.categories) & qualifying.keys())
    if not held:
        why.add(
            "category.none",
            f"không thuộc diện bảo trợ xã hội (diện: {', '.join(sorted(child.categories)) or 'không có'})",
            f"not in a social-protection category (categories: {', '.join(sorted(child.categories)) or 'none'})",
            "Decree 20/2021/NĐ-CP Art. 5(1)" + (f" and provincial rules of {child.province}" if child.province else ""),
        )
        return refuse()
    category = qualifying[held[0]]
    why.add("category", f"diện {held[0]}", f"category {held[0]}", category.source)

    coefficient = p.coefficient(first, age)
    merged = p.succession(child.province, first)
    if merged is not None:
        why.add(
            "province.merged",
            f"tỉnh {child.province} hợp nhất vào {merged.value} từ {_d(merged.start)}: "
            f"áp dụng quy định của {merged.value} (và của {child.province} còn hiệu lực)",
            f"province {child.province} merged into {merged.value} from {_en_d(merged.start)}: "
            f"{merged.value}'s rules apply (and {child.province}'s still in force)",
            merged.source,
        )
    national, provincial = p.standard_level(first, child.province)
    level = national
    why.add(
        "level.national",
        f"mức chuẩn {format_vnd(national.value)} từ {_d(national.start)}",
        f"standard level {format_vnd(national.value, 'en')} from {_en_d(national.start)}",
        national.source,
    )
    if provincial is not None and provincial.value > national.value:
        level = provincial
        why.add(
            "level.provincial",
            f"mức chuẩn của tỉnh {format_vnd(provincial.value)} từ {_d(provincial.start)} cao hơn, được áp dụng",
            f"provincial level {format_vnd(provincial.value, 'en')} from {_en_d(provincial.start)} "
            "is higher and applies",
            provincial.source,
        )
    why.add(
        "coefficient",
        f"tuổi ngày {_d(on)}: {age} → hệ số {_coef(coefficient.value.value)}",
        f"age on {_en_d(on)}: {age} → coefficient {_coef(coefficient.value.value)}",
        coefficient.source,
    )
    amount = _round_half_up(level.value * coefficient.value.value)
    why.add(
        "amount",
        f"{format_vnd(level.value)} × {_coef(coefficient.value.value)} = {format_vnd(amount)}",
        f"{format_vnd(level.value, 'en')} × {_coef(coefficient.value.value)} = {format_vnd(amount, 'en')}",
    )
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
        why.add(
            "age.over_limit",
            f"đủ {age} tuổi ngày {_d(on)} (giới hạn {limit}): dừng chi từ tháng sau tháng sinh nhật",
            f"aged {age} on {_en_d(on)} (limit {limit}): payments stop from the month after the birthday",
            source,
        )
        return refuse()
    why.add(
        "age.under_limit",
        f"tuổi ngày {_d(on)}: {age} (dưới {limit})",
        f"age on {_en_d(on)}: {age} (under {limit})",
        source,
    )
    admitted = policy.godmother_categories if policy.godmother_categories is not None else p.godmother_categories
    held = sorted(set(child.categories) & admitted)
    if not held:
        why.add(
            "category.none",
            "không thuộc diện chương trình Mẹ đỡ đầu nhận",
            "not in a category the Godmother program admits",
            policy.source,
        )
        return refuse()
    why.add("category", f"diện {held[0]}", f"category {held[0]}", policy.source)
    active = [pledge for pledge in pledges if pledge.amount > 0]
    if not active:
        why.add(
            "pledges.none",
            f"không có cam kết đỡ đầu nào trong tháng {month.month}/{month.year}",
            f"no pledge is active in {month}",
            "",
        )
        return refuse()
    for pledge in active:
        why.add(
            "pledge",
            f"cam kết {pledge.pledge} của {pledge.sponsor}: {format_vnd(pledge.amount)}",
            f"pledge {pledge.pledge} of {pledge.sponsor}: {format_vnd(pledge.amount, 'en')}",
        )
    amount = sum(pledge.amount for pledge in active)
    why.add("amount", f"tổng: {format_vnd(amount)}", f"total: {format_vnd(amount, 'en')}")
    return Decision(child.code, GODMOTHER, month, True, amount, tuple(why.reasons))


def _enrolment_for(child: Child, program: str, month: Month, why: _Explanation) -> Enrolment | None:
    on = status_date(month)
    candidates = [e for e in child.enrolments if e.program == program and e.decision_date <= month.last_day]
    if not candidates:
        why.add(
            "enrolment.none",
            f"chưa có quyết định hưởng trợ cấp ký đến tháng {month.month}/{month.year}",
            f"no enrolment decision signed by the end of {month}",
            "Decree 20/2021/NĐ-CP Art. 8",
        )
        return None
    enrolment = max(candidates, key=lambda e: e.decision_date)
    if enrolment.end_date is not None and enrolment.end_date <= on:
        why.add(
            "enrolment.ended",
            f"quyết định {enrolment.decision_number} chấm dứt ngày {_d(enrolment.end_date)}: dừng chi từ tháng sau",
            f"decision {enrolment.decision_number} ended on {_en_d(enrolment.end_date)}: "
            "payments stop from the month after",
            "Decree 20/2021/NĐ-CP Art. 8(2)",
        )
        return None
    why.add(
        "enrolment",
        f"quyết định {enrolment.decision_number} ký ngày {_d(enrolment.decision_date)}: "
        f"hưởng từ tháng {enrolment.decision_date.month}/{enrolment.decision_date.year}",
        f"decision {enrolment.decision_number} signed on {_en_d(enrolment.decision_date)}: "
        f"paid from {Month.of(enrolment.decision_date)}",
        "Decree 20/2021/NĐ-CP Art. 8(1)",
    )
    return enrolment


def _coef(value: Fraction) -> str:
    """2.5, 1.5: coefficients written exactly (they are decimal fractions in law)."""
    return str(Decimal(value.numerator) / Decimal(value.denominator))
