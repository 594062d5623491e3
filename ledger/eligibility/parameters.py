"""The legal parameters (docs/eligibility.md), loaded from ``parameters.yaml`` and looked up by date.

Every value carries its validity period and its source, so a decision made today about May
2025 uses exactly what was in force then, and can say where each number came from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

from ledger.eligibility import parameters_schema as schema
from ledger.errors import InvalidEntry

V = TypeVar("V")
PARAMETERS_FILE = Path(__file__).with_name("parameters.yaml")


@dataclass(frozen=True, slots=True)
class Dated(Generic[V]):
    """A value in force from ``start`` to ``end`` (inclusive; open-ended when None)."""

    value: V
    start: date
    end: date | None
    source: str

    def in_force_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class Coefficient:
    age_below: int | None
    age_from: int | None
    value: Fraction

    def applies_to(self, age: int) -> bool:
        return (self.age_below is None or age < self.age_below) and (self.age_from is None or age >= self.age_from)


class ParameterMissing(InvalidEntry, LookupError):
    """No value of a parameter is in force on the day asked (the file does not reach that far)."""


def in_force(values: list[Dated[V]], day: date, what: str) -> Dated[V]:
    """The value of ``what`` in force on ``day``; the latest start wins if periods overlap."""
    candidates = [v for v in values if v.in_force_on(day)]
    if not candidates:
        raise ParameterMissing(f"no {what} is in force on {day.isoformat()}: add it to {PARAMETERS_FILE.name}")
    return max(candidates, key=lambda v: v.start)


@dataclass(frozen=True, slots=True)
class Parameters:
    national_level: list[Dated[int]]
    provincial_level: dict[str, list[Dated[int]]]
    coefficients: list[Dated[Coefficient]]
    allowance_age_limit: list[Dated[int]]
    study_extension_max_age: list[Dated[int]]
    stop_rule_source: str
    national_categories: list[Dated[str]]
    provincial_categories: dict[str, list[Dated[str]]]
    godmother_age_limit: list[Dated[int]]
    godmother_categories: frozenset[str]
    godmother_min_amount: int
    godmother_max_amount: int
    branch_age_limit: dict[str, list[Dated[int]]]
    branch_categories: dict[str, list[Dated[frozenset[str]]]]
    province_successions: dict[str, list[Dated[str]]]  # former province → its successor, from a date

    def succession(self, province: str | None, day: date) -> Dated[str] | None:
        """The province ``province`` was merged into, if that merger is in force on ``day``."""
        return _latest(self.province_successions.get(province or "", []), day)

    def provinces(self, province: str | None, day: date) -> list[str]:
        """Whose provincial rules apply on ``day``: the branch's province and, once it has merged,
        its successor's too (the former province's own resolutions run out on their own dates)."""
        merged = self.succession(province, day)
        return [p for p in (province, merged.value if merged else None) if p]

    def standard_level(self, day: date, province: str | None) -> tuple[Dated[int], Dated[int] | None]:
        """The national level and, where a province sets one, the provincial level on ``day``."""
        national = in_force(self.national_level, day, "national standard level")
        provincial = [
            v for p in self.provinces(province, day) for v in self.provincial_level.get(p, []) if v.in_force_on(day)
        ]
        return national, max(provincial, key=lambda v: v.start) if provincial else None

    def coefficient(self, day: date, age: int) -> Dated[Coefficient]:
        matching = [c for c in self.coefficients if c.in_force_on(day) and c.value.applies_to(age)]
        if not matching:
            raise ParameterMissing(f"no coefficient for age {age} on {day.isoformat()}")
        return max(matching, key=lambda c: c.start)

    def branch_policy(self, branches: list[str], day: date) -> tuple[Dated[int] | None, Dated[frozenset[str]] | None]:
        """The Godmother age limit and categories a branch sets on ``day``: its own, else the nearest above it.

        ``branches`` lists the branch and then those above it, nearest first.
        """
        age = next((v for b in branches for v in [_latest(self.branch_age_limit.get(b, []), day)] if v), None)
        categories = next((v for b in branches for v in [_latest(self.branch_categories.get(b, []), day)] if v), None)
        return age, categories

    def allowance_categories(self, day: date, province: str | None) -> dict[str, Dated[str]]:
        """Categories that qualify for the social allowance on ``day``: national plus the province's."""
        found = [c for c in self.national_categories if c.in_force_on(day)]
        for code in self.provinces(province, day):
            found += [c for c in self.provincial_categories.get(code, []) if c.in_force_on(day)]
        return {c.value: c for c in found}


def _latest(values: list[Dated[V]], day: date) -> Dated[V] | None:
    candidates = [v for v in values if v.in_force_on(day)]
    return max(candidates, key=lambda v: v.start) if candidates else None


def _dated(entries: Sequence[schema.DatedAmount | schema.DatedAge], convert: Callable[[int], V]) -> list[Dated[V]]:
    return [Dated(convert(e.value), e.start, e.end, e.source) for e in entries]


def _categories(entries: Sequence[schema.DatedCategory]) -> list[Dated[str]]:
    return [Dated(e.code, e.start, e.end, e.source) for e in entries]


def parse(document: Any, name: str = "parameters.yaml") -> Parameters:
    """The parameters of a document read from YAML, checked against ``parameters_schema`` first."""
    checked = schema.validated(document, name)
    level, allowance, godmother = checked.standard_level_vnd, checked.child_allowance, checked.godmother
    return Parameters(
        national_level=_dated(level.national, int),
        provincial_level={p: _dated(v, int) for p, v in level.provincial.items()},
        coefficients=[
            Dated(Coefficient(c.age_below, c.age_from, Fraction(str(c.value))), c.start, c.end, c.source)
            for c in allowance.coefficients
        ],
        allowance_age_limit=_dated(allowance.age_limit, int),
        study_extension_max_age=_dated(allowance.study_extension_max_age, int),
        stop_rule_source=allowance.stop_rule_source,
        national_categories=_categories(allowance.categories.national),
        provincial_categories={p: _categories(v) for p, v in allowance.categories.provincial.items()},
        godmother_age_limit=_dated(godmother.age_limit, int),
        godmother_categories=frozenset(godmother.categories.codes),
        godmother_min_amount=godmother.monthly_amount_vnd.min,
        godmother_max_amount=godmother.monthly_amount_vnd.max,
        branch_age_limit={
            b: _dated(policy.godmother_age_limit, int)
            for b, policy in checked.branch_policy.items()
            if policy.godmother_age_limit
        },
        branch_categories={
            b: [Dated(frozenset(e.value), e.start, e.end, e.source) for e in policy.godmother_categories]
            for b, policy in checked.branch_policy.items()
            if policy.godmother_categories
        },
        province_successions=_successions(checked.province_successions),
    )


def _successions(entries: Sequence[schema.Succession]) -> dict[str, list[Dated[str]]]:
    found: dict[str, list[Dated[str]]] = {}
    for entry in entries:
        found.setdefault(entry.former, []).append(Dated(entry.successor, entry.start, entry.end, entry.source))
    return found


@cache
def load(path: Path = PARAMETERS_FILE) -> Parameters:
    """The parameters in ``path`` (the shipped file by default)."""
    with path.open(encoding="utf-8") as f:
        return parse(yaml.safe_load(f), path.name)
