"""Calendar months, the unit in which the union closes its books and pays children."""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

_YYYY_MM = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_MM_YYYY = re.compile(r"^\s*(\d{1,2})/(\d{4})\s*$")


@dataclass(frozen=True, order=True, slots=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 9999:
            raise ValueError(f"{self.year}-{self.month:02d} is not a month")

    @classmethod
    def parse(cls, text: str) -> Month:
        """``YYYY-MM`` or ``MM/YYYY``."""
        if m := _YYYY_MM.match(text):
            return cls(int(m[1]), int(m[2]))
        if m := _MM_YYYY.match(text):
            return cls(int(m[2]), int(m[1]))
        raise ValueError(f"{text!r} is not a month: write YYYY-MM, e.g. 2025-05")

    @classmethod
    def of(cls, day: date) -> Month:
        return _month(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return _last_day(self.year, self.month)

    def next(self) -> Month:
        return _month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return _month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def plus(self, months: int) -> Month:
        """The month ``months`` later (earlier when negative)."""
        index = self.year * 12 + self.month - 1 + months
        return _month(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


# A monthly run asks for the same few months hundreds of thousands of times.
@functools.cache
def _month(year: int, month: int) -> Month:
    return Month(year, month)


@functools.cache
def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def today_in_vietnam(now: datetime | None = None) -> date:
    return (now or datetime.now(VIETNAM)).astimezone(VIETNAM).date()
