"""Schedules as branches write them, due in Vietnam time whatever the server's zone."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from apscheduler.triggers.cron import CronTrigger

from ledger.errors import InvalidEntry
from ledger.months import VIETNAM
from ledger.schedule.timetable import parse_when, period_of


def test_schedules_and_their_mistakes():
    assert str(parse_when("on", "month", "1 06:00")) == "1 06:00"
    assert str(parse_when(" 3   07:30 ", "month", "1 06:00")) == "3 07:30"
    assert str(parse_when("MON 08:00", "week", "mon 08:00")) == "mon 08:00"
    assert parse_when("off", "day", "05:00") is None
    for text, every, message in [
        ("31 06:00", "month", "day from 1 to 28"),
        ("1 25:00", "month", "not '1 25:00'"),
        ("funday 08:00", "week", "day of the week"),
        ("mon 08:00", "day", "just a time"),
    ]:
        with pytest.raises(InvalidEntry, match=message):
            parse_when(text, every, "")


def test_due_in_vietnam_time_even_on_a_server_in_new_york(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        when = parse_when("1 06:00", "month", "")
        now = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)  # 05:00 on 1 December in Vietnam
        trigger = CronTrigger(**when.cron())
        due = trigger.get_next_fire_time(None, now)
        assert due == datetime(2026, 12, 1, 6, 0, tzinfo=VIETNAM)
        assert when.due_times(now, datetime(2026, 12, 31, tzinfo=UTC)) == [due]
        assert period_of("monthly-run", due) == "2026-12"
        assert period_of("sponsor-statements", due) == "2026-11"
        assert period_of("arrears-reminders", datetime(2026, 11, 30, 8, tzinfo=VIETNAM)) == "2026-W49"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
