"""When scheduled work is due: schedules as branches write them, in Vietnam time.

A schedule is a setting of the branch (``godmother branch set hp-an-lao monthly-run "1 06:00"``):

- monthly: ``D HH:MM`` (day 1 to 28), or ``on`` for the default;
- weekly: ``mon HH:MM`` (mon … sun);
- daily: ``HH:MM``;
- ``off``.

Every time is Asia/Ho_Chi_Minh, whatever the server's own zone. Each due moment has a period,
the key under which its work happens exactly once: the month run (``2026-12``), the month a
statement covers (the month before, ``2026-11``), the ISO week (``2026-W48``) or the day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ledger.errors import InvalidEntry
from ledger.months import VIETNAM, Month

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class When:
    every: str  # "month", "week" or "day"
    at: time
    day: int | None = None  # of the month
    weekday: int | None = None  # 0 = Monday

    def __str__(self) -> str:
        clock = f"{self.at:%H:%M}"
        if self.every == "month":
            return f"{self.day} {clock}"
        if self.every == "week":
            return f"{WEEKDAYS[self.weekday or 0]} {clock}"
        return clock

    def cron(self) -> dict[str, object]:
        """Fields for APScheduler's CronTrigger."""
        fields: dict[str, object] = {"hour": self.at.hour, "minute": self.at.minute, "timezone": VIETNAM}
        if self.every == "month":
            fields["day"] = self.day
        elif self.every == "week":
            fields["day_of_week"] = WEEKDAYS[self.weekday or 0]
        return fields

    def due_times(self, after: datetime, until: datetime) -> list[datetime]:
        """Every due moment in (after, until], oldest first, as aware datetimes in Vietnam time."""
        found, day = [], after.astimezone(VIETNAM).date()
        last = until.astimezone(VIETNAM).date()
        while day <= last:
            moment = datetime.combine(day, self.at, VIETNAM)
            if self._on(day) and after < moment <= until:
                found.append(moment)
            day += timedelta(days=1)
        return found

    def _on(self, day: date) -> bool:
        if self.every == "month":
            return day.day == self.day
        if self.every == "week":
            return day.weekday() == self.weekday
        return True

    def previous_due(self, now: datetime) -> datetime | None:
        """The latest due moment at or before ``now`` (within one period)."""
        span = {"month": 32, "week": 8, "day": 2}[self.every]
        found = self.due_times(now - timedelta(days=span), now)
        return found[-1] if found else None


def parse_when(text: str, every: str, default: str) -> When | None:
    """A schedule as written in a branch setting; None for ``off``."""
    value = " ".join(text.strip().lower().split())
    if value == "off":
        return None
    if value == "on":
        value = default
    clock = re.fullmatch(r"(?:(\w+) )?(\d{1,2}):(\d{2})", value)
    hint = {"month": "D HH:MM (day 1–28), e.g. 1 06:00", "week": "mon HH:MM, e.g. mon 08:00", "day": "HH:MM"}[every]
    if clock is None or not (0 <= int(clock[2]) <= 23 and 0 <= int(clock[3]) <= 59):
        raise InvalidEntry(f"a {every}ly schedule is 'off', 'on' or {hint}; not {text!r}")
    at, head = time(int(clock[2]), int(clock[3])), clock[1]
    if every == "month":
        if head is None or not head.isdigit() or not 1 <= int(head) <= 28:
            raise InvalidEntry(f"a monthly schedule names a day from 1 to 28 (every month has it): {hint}")
        return When("month", at, day=int(head))
    if every == "week":
        if head not in WEEKDAYS:
            raise InvalidEntry(f"a weekly schedule names a day of the week ({', '.join(WEEKDAYS)}): {hint}")
        return When("week", at, weekday=WEEKDAYS.index(head))
    if head is not None:
        raise InvalidEntry(f"a daily schedule is just a time: {hint}")
    return When("day", at)


def period_of(kind: str, due: datetime) -> str:
    """The period a due moment's work is for."""
    local = due.astimezone(VIETNAM).date()
    if kind == "monthly-run":
        return str(Month.of(local))
    if kind == "sponsor-statements":
        return str(Month.of(local).previous())
    if kind == "arrears-reminders":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return local.isoformat()


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
