"""The programs' codes and the arithmetic of ages under the month convention (docs/eligibility.md).

A child's age and status for month M are those on the last day of M−1 (``status_date``); ages
count whole years, and a child born on 29 February turns a year older on 1 March in a common year.
"""

from __future__ import annotations

from datetime import date

from ledger.months import Month

SOCIAL_ALLOWANCE = "social-allowance"
GODMOTHER = "godmother"
# The categories a child may be recorded in (docs/register-files.md): what eligibility rules are written over
# (docs/eligibility.md).
CATEGORIES = (
    "abandoned",
    "orphan_both",
    "orphan_one_other_missing",
    "orphan_one_other_in_facility",
    "orphan_one_other_detained",
    "parents_missing_or_detained",
    "orphan_one_other_on_assistance",
    "orphan_one",
    "special_hardship",
)


def age_on(born: date, day: date) -> int:
    """Whole years from ``born`` to ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def birthday(born: date, years: int) -> date:
    """The day a child born on ``born`` turns ``years`` old (1 March for 29 February in a common year)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 3, 1)


def status_date(month: Month) -> date:
    """The day whose facts decide month M: the last day of M−1."""
    return month.previous().last_day
