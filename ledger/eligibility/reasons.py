"""Why a decision was made. Each step names its rule, keeps its parameters (ages, dates, amounts,
decision numbers) and the legal source; its sentence in Vietnamese and in English is written from
them when it is read (``WORDINGS``).

A monthly run keeps a million decisions: a rule and its parameters are a few dozen bytes where
two sentences were hundreds, and nothing is formatted until someone reads the decision. Decisions
kept before this stored their sentences; those are read as they were written (``Reason.stored``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ledger.money import format_vnd
from ledger.months import Month

Params = Mapping[str, Any]
"""A step's parameters: JSON values only (dates as ISO text, months as YYYY-MM), so they store as they are."""


@dataclass(frozen=True, slots=True)
class Reason:
    """One step of a decision: the rule it applies, with what, and the source in law or policy.

    ``wording`` picks the rule's sentence where one rule reads differently in two programs
    (``age.over_limit`` of the allowance names school and the study extension).
    """

    rule: str
    params: Params = field(default_factory=dict, compare=True)
    source: str = ""
    wording: str = ""

    @property
    def vi(self) -> str:
        return WORDINGS[self.wording or self.rule][0](self.params)

    @property
    def en(self) -> str:
        return WORDINGS[self.wording or self.rule][1](self.params)

    def text(self, lang: str = "vi") -> str:
        line = self.vi if lang == "vi" else self.en
        return f"{line} ({self.source})" if self.source else line

    def as_stored(self) -> dict[str, Any]:
        """What a run keeps of the step."""
        kept: dict[str, Any] = {"rule": self.rule, "params": dict(self.params)}
        if self.source:
            kept["source"] = self.source
        if self.wording:
            kept["wording"] = self.wording
        return kept

    def as_read(self) -> dict[str, Any]:
        """The step for its reader: the rule, both sentences, the source and the parameters."""
        return {"rule": self.rule, "vi": self.vi, "en": self.en, "source": self.source, "params": dict(self.params)}

    @classmethod
    def stored(cls, kept: Mapping[str, Any]) -> Reason:
        """A step as a run kept it: rule and parameters, or (kept before) its two sentences."""
        if "params" in kept:
            return cls(kept["rule"], kept["params"], kept.get("source", ""), kept.get("wording", ""))
        written = {"vi": kept.get("vi", ""), "en": kept.get("en", "")}
        return cls(kept["rule"], written, kept.get("source", ""), "as-written")


@functools.lru_cache(maxsize=8192)
def _d(day: str) -> str:
    return date.fromisoformat(day).strftime("%d/%m/%Y")


@functools.lru_cache(maxsize=8192)
def _en_d(day: str) -> str:
    on = date.fromisoformat(day)
    return f"{on.day} {on:%B %Y}"


def _vnd(amount: int) -> str:
    return format_vnd(amount)


def _en_vnd(amount: int) -> str:
    return format_vnd(amount, "en")


def _vi_month(month: str) -> str:
    found = Month.parse(month)
    return f"{found.month}/{found.year}"


def _vi_month2(month: str) -> str:
    found = Month.parse(month)
    return f"{found.month:02d}/{found.year}"


def _categories(p: Params, none: str) -> str:
    return ", ".join(p["categories"]) or none


def _over_limit_allowance(p: Params, lang: str) -> str:
    if lang == "vi":
        return (
            f"đủ {p['age']} tuổi ngày {_d(p['on'])}"
            + ("" if p["covered_before"] else f", chưa được hưởng trước {p['limit']} tuổi")
            + ("" if p["in_school"] else ", không còn đi học")
            + ("" if not p["reached"] else f", đã {p['extension']} tuổi")
            + ": dừng chi từ tháng sau tháng sự kiện"
        )
    return (
        f"aged {p['age']} on {_en_d(p['on'])}"
        + ("" if p["covered_before"] else f", not covered before turning {p['limit']}")
        + ("" if p["in_school"] else ", not in school")
        + ("" if not p["reached"] else f", reached {p['extension']}")
        + ": payments stop from the month after the event"
    )


Wording = tuple[Callable[[Params], str], Callable[[Params], str]]

WORDINGS: dict[str, Wording] = {
    "as-written": (lambda p: p["vi"], lambda p: p["en"]),
    # --- both programs
    "stop.death": (
        lambda p: f"mất ngày {_d(p['died'])}: dừng chi từ tháng sau tháng mất",
        lambda p: f"died on {_en_d(p['died'])}: payments stop from the month after",
    ),
    "age.under_limit": (
        lambda p: f"tuổi ngày {_d(p['on'])}: {p['age']} (dưới {p['limit']})",
        lambda p: f"age on {_en_d(p['on'])}: {p['age']} (under {p['limit']})",
    ),
    "category": (lambda p: f"diện {p['category']}", lambda p: f"category {p['category']}"),
    # --- the social allowance
    "enrolment.none": (
        lambda p: f"chưa có quyết định hưởng trợ cấp ký đến tháng {_vi_month(p['month'])}",
        lambda p: f"no enrolment decision signed by the end of {p['month']}",
    ),
    "enrolment.ended": (
        lambda p: f"quyết định {p['decision']} chấm dứt ngày {_d(p['ended'])}: dừng chi từ tháng sau",
        lambda p: f"decision {p['decision']} ended on {_en_d(p['ended'])}: payments stop from the month after",
    ),
    "enrolment": (
        lambda p: f"quyết định {p['decision']} ký ngày {_d(p['signed'])}: hưởng từ tháng {_vi_month(p['signed'][:7])}",
        lambda p: f"decision {p['decision']} signed on {_en_d(p['signed'])}: paid from {p['signed'][:7]}",
    ),
    "school.left": (
        lambda p: f"thôi học ngày {_d(p['left'])}, khi {p['age']} tuổi: dừng chi từ tháng sau tháng thôi học",
        lambda p: f"left school on {_en_d(p['left'])}, aged {p['age']}: payments stop from the month after",
    ),
    "age.over_limit.allowance": (
        lambda p: _over_limit_allowance(p, "vi"),
        lambda p: _over_limit_allowance(p, "en"),
    ),
    "age.study_extension": (
        lambda p: (
            f"tuổi ngày {_d(p['on'])}: {p['age']}, đang đi học đến {_d(p['until'])}; "
            f"tiếp tục hưởng đến {p['extension']} tuổi"
        ),
        lambda p: (
            f"age on {_en_d(p['on'])}: {p['age']}, in school until {_en_d(p['until'])}; covered until {p['extension']}"
        ),
    ),
    "category.none.allowance": (
        lambda p: f"không thuộc diện bảo trợ xã hội (diện: {_categories(p, 'không có')})",
        lambda p: f"not in a social-protection category (categories: {_categories(p, 'none')})",
    ),
    "province.merged": (
        lambda p: (
            f"tỉnh {p['province']} hợp nhất vào {p['into']} từ {_d(p['from'])}: "
            f"áp dụng quy định của {p['into']} (và của {p['province']} còn hiệu lực)"
        ),
        lambda p: (
            f"province {p['province']} merged into {p['into']} from {_en_d(p['from'])}: "
            f"{p['into']}'s rules apply (and {p['province']}'s still in force)"
        ),
    ),
    "level.national": (
        lambda p: f"mức chuẩn {_vnd(p['level'])} từ {_d(p['from'])}",
        lambda p: f"standard level {_en_vnd(p['level'])} from {_en_d(p['from'])}",
    ),
    "level.provincial": (
        lambda p: f"mức chuẩn của tỉnh {_vnd(p['level'])} từ {_d(p['from'])} cao hơn, được áp dụng",
        lambda p: f"provincial level {_en_vnd(p['level'])} from {_en_d(p['from'])} is higher and applies",
    ),
    "coefficient": (
        lambda p: f"tuổi ngày {_d(p['on'])}: {p['age']} → hệ số {p['coefficient']}",
        lambda p: f"age on {_en_d(p['on'])}: {p['age']} → coefficient {p['coefficient']}",
    ),
    "amount.allowance": (
        lambda p: f"{_vnd(p['level'])} × {p['coefficient']} = {_vnd(p['amount'])}",
        lambda p: f"{_en_vnd(p['level'])} × {p['coefficient']} = {_en_vnd(p['amount'])}",
    ),
    # --- Godmother
    "age.over_limit": (
        lambda p: (
            f"đủ {p['age']} tuổi ngày {_d(p['on'])} (giới hạn {p['limit']}): dừng chi từ tháng sau tháng sinh nhật"
        ),
        lambda p: (
            f"aged {p['age']} on {_en_d(p['on'])} (limit {p['limit']}): payments stop from the month after the birthday"
        ),
    ),
    "category.none": (
        lambda p: "không thuộc diện chương trình Mẹ đỡ đầu nhận",
        lambda p: "not in a category the Godmother program admits",
    ),
    "pledges.none": (
        lambda p: f"không có cam kết đỡ đầu nào trong tháng {_vi_month(p['month'])}",
        lambda p: f"no pledge is active in {p['month']}",
    ),
    "pledge": (
        lambda p: f"cam kết {p['pledge']} của {p['sponsor']}: {_vnd(p['amount'])}",
        lambda p: f"pledge {p['pledge']} of {p['sponsor']}: {_en_vnd(p['amount'])}",
    ),
    "amount": (lambda p: f"tổng: {_vnd(p['amount'])}", lambda p: f"total: {_en_vnd(p['amount'])}"),
    # --- the money of a run
    "money.no_fund": (lambda p: "không có quỹ để chi", lambda p: "there is no fund to pay from"),
    "money.catch_up": (
        lambda p: f"trả bù phần thiếu tháng {_vi_month2(p['month'])}: {_vnd(p['amount'])}",
        lambda p: f"catch-up of the {p['month']} shortfall: {_en_vnd(p['amount'])}",
    ),
    "money.paid": (
        lambda p: f"chi đủ {_vnd(p['amount'])} từ {p['fund']}",
        lambda p: f"paid in full, {_en_vnd(p['amount'])}, from {p['fund']}",
    ),
    "money.shortfall": (
        lambda p: (
            f"quỹ {p['fund'] or '—'} chỉ còn {_vnd(p['paid'])}: chi {_vnd(p['paid'])}, "
            f"thiếu {_vnd(p['short'])}, sẽ trả bù khi có tiền"
        ),
        lambda p: (
            f"fund {p['fund'] or '—'} holds only {_en_vnd(p['paid'])}: paid {_en_vnd(p['paid'])}, "
            f"short by {_en_vnd(p['short'])}, to be paid when money arrives"
        ),
    ),
}
