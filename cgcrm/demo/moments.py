"""Local days and opening hours of the simulated quarter, drawn from a seeded generator."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cgcrm.demo import profiles


@dataclass(frozen=True)
class Quarter:
    """The simulated days: ``days`` local dates ending with ``until``'s, in ``zone``."""

    until: datetime  # aware; nothing is simulated after it
    days: int
    zone: ZoneInfo

    @property
    def first_day(self) -> date:
        return self.until.astimezone(self.zone).date() - timedelta(days=self.days - 1)

    def day(self, index: int) -> date:
        return self.first_day + timedelta(days=index)

    def progress(self, day: date) -> float:
        """0 on the first day, 1 on the last."""
        return (day - self.first_day).days / max(self.days - 1, 1)

    def week(self, day: date) -> int:
        """The number of the Monday-to-Sunday week ``day`` falls in (0 for the first)."""
        first_monday = self.first_day - timedelta(days=self.first_day.weekday())
        return (day - first_monday).days // 7

    def at(self, day: date, hours: float) -> datetime:
        """``hours`` after local midnight of ``day``, in UTC (a DST change shifts it an hour)."""
        local = datetime.combine(day, time(), tzinfo=self.zone) + timedelta(hours=hours)
        return local.astimezone(UTC)

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


def moment_on(rng: random.Random, quarter: Quarter, channel: str, day: date) -> datetime:
    """A moment on ``day`` within the channel's hours. Every channel is open every day (fewer
    needs arise at weekends), so a need's day does not depend on the channel that meets it:
    each week's quota of digital completions then holds exactly."""
    low, high = (
        profiles.DIGITAL_HOURS if channel in ("web", "mobile_app") else profiles.ASSISTED_HOURS
    )
    return quarter.at(day, rng.uniform(low, high))


def days_later(
    rng: random.Random,
    quarter: Quarter,
    channel: str,
    after: datetime,
    low: float,
    high: float,
) -> datetime:
    """A moment ``low``…``high`` days after ``after`` within the channel's hours, never before
    ``after`` plus a quarter of an hour."""
    day = quarter.local_day(after + timedelta(days=rng.uniform(low, high)))
    moment = moment_on(rng, quarter, channel, day)
    earliest = after + timedelta(minutes=15)
    return moment if moment >= earliest else earliest + timedelta(minutes=rng.uniform(0, 90))


def working_days_later(quarter: Quarter, after: datetime, working_days: float) -> datetime:
    """About ``working_days`` working days (weekdays, 8:30 to 17:00) after ``after``."""
    day = quarter.local_day(after)
    whole = int(working_days)
    while whole > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            whole -= 1
    hours = 8.5 + (working_days - int(working_days)) * 8.5
    while day.weekday() >= 5:
        day += timedelta(days=1)
    moment = quarter.at(day, hours)
    return moment if moment > after else after + timedelta(hours=1)


def handling(rng: random.Random, channel: str, started: datetime) -> datetime | None:
    """When a contact on ``channel`` that started at ``started`` ended (None: not recorded)."""
    minutes = profiles.HANDLING_MINUTES.get(channel)
    if minutes is None:
        return None
    low, high = minutes
    # Skewed towards the short end, as handling times are.
    return started + timedelta(seconds=int(60 * (low + (high - low) * rng.random() ** 1.6)))
