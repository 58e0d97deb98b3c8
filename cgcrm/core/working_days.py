"""Working days: weekdays that are neither public holidays nor extra closures, in one time zone.

Working time is the wall-clock time that falls on working days in the business time zone: each
working day counts all of its hours, weekends and holidays count nothing. It is the unit of SLA
targets (whole working days) and of SLA pauses (working seconds, partial days pro rata).

The calendar is built once per application from its config (``calendar_for``) and cached in
``app.extensions``; the holiday tables of a year are computed the first time that year is asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from flask.sansio.app import App

from cgcrm.settings import ConfigError

EXTENSION_KEY = "cgcrm.working_days"
# Holidays cannot fill years; a search running this far means the calendar is broken.
_MAX_DAYS_SEARCHED = 3660
_END_OF_DAY = time(23, 59, 59)


class WorkingCalendar:
    """Which days are working days, and arithmetic in working days and working time."""

    def __init__(
        self,
        time_zone: str,
        country: str = "",
        subdivision: str = "",
        extra_holidays: Iterable[date] = (),
    ) -> None:
        """
        :param time_zone: IANA name, e.g. ``Australia/Sydney``.
        :param country: ISO 3166 code for python-holidays; empty for no public holidays.
        :param subdivision: state or province of ``country``; empty for national holidays only.
        :param extra_holidays: further closed days (office closures).
        :raises ConfigError: unknown time zone, country or subdivision.
        """
        try:
            self.tz = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"TIME_ZONE: unknown time zone {time_zone!r}") from exc
        self.country = country
        self.subdivision = subdivision
        self.extra_holidays = frozenset(extra_holidays)
        self._years: dict[int, frozenset[date]] = {}
        if country:
            self._public_holidays(date.today().year)  # fail at start-up, not on first use

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WorkingCalendar:
        """Build from ``TIME_ZONE``, ``HOLIDAY_COUNTRY``, ``HOLIDAY_SUBDIVISION`` and
        ``EXTRA_HOLIDAYS`` (comma-separated ISO dates).

        :raises ConfigError: a setting that does not describe a calendar.
        """
        extra = []
        for item in str(config.get("EXTRA_HOLIDAYS") or "").split(","):
            if item.strip():
                try:
                    extra.append(date.fromisoformat(item.strip()))
                except ValueError as exc:
                    raise ConfigError(f"EXTRA_HOLIDAYS: {item.strip()!r} is not a date") from exc
        return cls(
            str(config["TIME_ZONE"]),
            str(config.get("HOLIDAY_COUNTRY") or ""),
            str(config.get("HOLIDAY_SUBDIVISION") or ""),
            extra,
        )

    def _public_holidays(self, year: int) -> frozenset[date]:
        cached = self._years.get(year)
        if cached is None:
            try:
                table = holidays.country_holidays(
                    self.country, subdiv=self.subdivision or None, years=year
                )
            except NotImplementedError as exc:
                raise ConfigError(
                    f"HOLIDAY_COUNTRY/HOLIDAY_SUBDIVISION: no holidays known for "
                    f"{self.country!r}/{self.subdivision!r}"
                ) from exc
            cached = frozenset(table.keys())
            self._years[year] = cached
        return cached

    def is_working_day(self, day: date) -> bool:
        if day.weekday() >= 5 or day in self.extra_holidays:
            return False
        return not (self.country and day in self._public_holidays(day.year))

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def start_of_day(self, day: date) -> datetime:
        """Local midnight starting ``day``, in UTC."""
        return datetime.combine(day, time(), tzinfo=self.tz).astimezone(UTC)

    def end_of_day(self, day: date) -> datetime:
        """The last second of ``day`` in local time (23:59:59), in UTC."""
        return datetime.combine(day, _END_OF_DAY, tzinfo=self.tz).astimezone(UTC)

    def next_working_day(self, day: date) -> date:
        """The first working day after ``day``."""
        for _ in range(_MAX_DAYS_SEARCHED):
            day += timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise ConfigError("the holiday calendar leaves no working day")

    def add_working_days(self, day: date, days: int) -> date:
        """The ``days``-th working day after ``day``; for 0, ``day`` itself if it is a working
        day, else the next one."""
        if days <= 0:
            return day if self.is_working_day(day) else self.next_working_day(day)
        for _ in range(days):
            day = self.next_working_day(day)
        return day

    def due_at(self, opened_at: datetime, working_days: int) -> datetime:
        """When a target of ``working_days`` whole working days runs out.

        The day of opening is day 0 whatever the hour; the target ends at the end (23:59:59
        local) of the ``working_days``-th working day after it. A case opened on Friday or on
        Saturday with a 2-day target is due at the end of Tuesday.
        """
        return self.end_of_day(self.add_working_days(self.local_date(opened_at), working_days))

    def working_seconds_between(self, start: datetime, end: datetime) -> int:
        """Working time from ``start`` to ``end`` in whole seconds (0 if ``end`` is earlier);
        the parts of ``[start, end)`` that fall on working days."""
        if end <= start:
            return 0
        total = timedelta()
        day = self.local_date(start)
        last = self.local_date(end)
        while day <= last:
            if self.is_working_day(day):
                begin = max(start, self.start_of_day(day))
                finish = min(end, self.start_of_day(day + timedelta(days=1)))
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return int(total.total_seconds())

    def add_working_seconds(self, start: datetime, seconds: int) -> datetime:
        """The moment ``seconds`` of working time after ``start`` (non-working days skipped)."""
        remaining = timedelta(seconds=max(seconds, 0))
        cursor = start.astimezone(UTC)
        for _ in range(_MAX_DAYS_SEARCHED + remaining.days * 2):
            if not remaining:
                return cursor
            day = self.local_date(cursor)
            day_end = self.start_of_day(day + timedelta(days=1))
            if self.is_working_day(day):
                available = day_end - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
            cursor = day_end
        raise ConfigError("the holiday calendar leaves no working day")


def calendar_for(app: App) -> WorkingCalendar:
    """The application's calendar, built from its config on first use and then reused."""
    calendar = app.extensions.get(EXTENSION_KEY)
    if calendar is None:
        calendar = WorkingCalendar.from_config(app.config)
        app.extensions[EXTENSION_KEY] = calendar
    return calendar  # type: ignore[no-any-return]
