"""The business calendar: weekends, public and extra holidays, working time across them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from cgcrm.core.working_days import WorkingCalendar, calendar_for
from cgcrm.settings import ConfigError

SYDNEY = ZoneInfo("Australia/Sydney")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SYDNEY)  # type: ignore[misc]


@pytest.fixture
def nsw() -> WorkingCalendar:
    return WorkingCalendar("Australia/Sydney", "AU", "NSW", [date(2026, 12, 24)])


def test_weekends_public_and_extra_holidays_are_not_working_days(nsw: WorkingCalendar) -> None:
    assert nsw.is_working_day(date(2026, 11, 20))  # Friday
    assert not nsw.is_working_day(date(2026, 11, 21))  # Saturday
    assert not nsw.is_working_day(date(2026, 10, 5))  # Labour Day, NSW only
    assert not nsw.is_working_day(date(2026, 12, 24))  # extra closure
    assert WorkingCalendar("Australia/Sydney", "AU", "VIC").is_working_day(date(2026, 10, 5))


def test_due_at_counts_working_days_after_the_opening_day(nsw: WorkingCalendar) -> None:
    # Opened Friday afternoon, 2 working days: Monday, Tuesday; due at the end of Tuesday.
    due = nsw.due_at(local(2026, 11, 20, 15, 30), 2)
    assert due == local(2026, 11, 24, 23, 59, 59)
    assert due.tzinfo == UTC
    # Opened on a Saturday: the same.
    assert nsw.due_at(local(2026, 11, 21, 9), 2) == local(2026, 11, 24, 23, 59, 59)
    # 0 days: end of the opening day, or of the next working day when opened on a weekend.
    assert nsw.due_at(local(2026, 11, 20, 9), 0) == local(2026, 11, 20, 23, 59, 59)
    assert nsw.due_at(local(2026, 11, 21, 9), 0) == local(2026, 11, 23, 23, 59, 59)


def test_due_at_skips_public_and_configured_holidays(nsw: WorkingCalendar) -> None:
    # Friday 2 October 2026, 3 working days: Labour Day Monday is skipped: Tue, Wed, Thu.
    assert nsw.due_at(local(2026, 10, 2, 10), 3) == local(2026, 10, 8, 23, 59, 59)
    # Wed 23 December, 2 days: 24 (extra), 25 and 26 (holidays), weekend, 28 (Boxing Day
    # observed) are skipped: Tuesday 29, Wednesday 30.
    assert nsw.due_at(local(2026, 12, 23, 10), 2) == local(2026, 12, 30, 23, 59, 59)


def test_due_at_is_read_in_the_business_time_zone(nsw: WorkingCalendar) -> None:
    # 22:00 UTC on Thursday is already Friday 09:00 in Sydney.
    opened = datetime(2026, 11, 19, 22, 0, tzinfo=UTC)
    assert nsw.due_at(opened, 1) == local(2026, 11, 23, 23, 59, 59)


def test_working_time_counts_partial_days_pro_rata(nsw: WorkingCalendar) -> None:
    # Friday 15:00 to Monday 10:00: 9 hours of Friday and 10 of Monday.
    friday, monday = local(2026, 11, 20, 15), local(2026, 11, 23, 10)
    assert nsw.working_seconds_between(friday, monday) == 19 * 3600
    assert nsw.working_seconds_between(monday, friday) == 0
    # Across the long Labour Day weekend only Friday and Tuesday count.
    assert nsw.working_seconds_between(local(2026, 10, 2, 12), local(2026, 10, 6, 12)) == (
        24 * 3600
    )


def test_adding_working_time_skips_non_working_days(nsw: WorkingCalendar) -> None:
    due = local(2026, 11, 20, 23, 59, 59)  # end of a Friday
    assert nsw.add_working_seconds(due, 0) == due
    # One working day later is the end of Monday.
    assert nsw.add_working_seconds(due, 24 * 3600) == local(2026, 11, 23, 23, 59, 59)
    assert nsw.add_working_seconds(local(2026, 11, 20, 12), 19 * 3600) == local(2026, 11, 23, 7)


def test_working_time_across_a_daylight_saving_change() -> None:
    calendar = WorkingCalendar("Australia/Sydney")
    # Clocks go forward on Sunday 5 October 2025: 71 real hours from Friday noon to Monday noon,
    # of which Friday afternoon and Monday morning are working time.
    start, end = local(2025, 10, 3, 12), local(2025, 10, 6, 12)
    assert (end - start).total_seconds() != 71 * 3600  # same-zone arithmetic is wall-clock
    assert calendar.working_seconds_between(start, end) == 24 * 3600
    assert calendar.add_working_seconds(start, 24 * 3600) == end


def test_built_from_config_once_per_application() -> None:
    app = Flask(__name__)
    app.config.update(
        TIME_ZONE="Europe/Berlin",
        HOLIDAY_COUNTRY="DE",
        HOLIDAY_SUBDIVISION="",
        EXTRA_HOLIDAYS="2026-11-23, 2026-11-24",
    )
    calendar = calendar_for(app)
    assert calendar_for(app) is calendar
    assert not calendar.is_working_day(date(2026, 5, 1))  # Labour Day, a Friday
    assert not calendar.is_working_day(date(2026, 11, 24))
    # Friday 20 November, 1 working day: Monday 23 and Tuesday 24 are closures.
    due = calendar.due_at(datetime(2026, 11, 20, 10, tzinfo=UTC), 1)
    assert due == datetime(2026, 11, 25, 23, 59, 59, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.mark.parametrize(
    "config",
    [
        {"TIME_ZONE": "Mars/Olympus"},
        {"TIME_ZONE": "UTC", "HOLIDAY_COUNTRY": "XX"},
        {"TIME_ZONE": "UTC", "HOLIDAY_COUNTRY": "AU", "HOLIDAY_SUBDIVISION": "ZZ"},
        {"TIME_ZONE": "UTC", "EXTRA_HOLIDAYS": "2026-13-01"},
    ],
)
def test_a_config_that_names_no_calendar_is_refused(config: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        WorkingCalendar.from_config(config)
