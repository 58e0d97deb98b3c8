"""Reporting periods: inclusive ranges of days in TIME_ZONE, cut into days, weeks or months."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app

from cgcrm.core.errors import ValidationError

INTERVALS = ("day", "week", "month")
# Ten years and a little: long enough for any trend, short enough that a daily series stays
# a few thousand entries.
MAX_RANGE_DAYS = 3660


class Period(NamedTuple):
    start: date
    end: date  # inclusive


def time_zone() -> str:
    """The IANA zone whose days the rollups count in."""
    return str(current_app.config["TIME_ZONE"])


def check_range(first: date, last: date, *, to_field: str = "to") -> None:
    """Refuse a range that ends before it starts or spans more than MAX_RANGE_DAYS days.

    :raises ValidationError: naming ``to_field``.
    """
    if last < first:
        raise ValidationError(
            f"{to_field} is before the start of the range",
            errors={to_field: ["must not be before the start of the range"]},
        )
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ValidationError(
            f"the range spans more than {MAX_RANGE_DAYS} days",
            errors={to_field: [f"at most {MAX_RANGE_DAYS} days after the start"]},
        )


def interval_start(day: date, interval: str) -> date:
    """The first day of the (unclipped) interval holding ``day``: itself, its ISO week's
    Monday, or the first of its month."""
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _next_start(start: date, interval: str) -> date:
    if interval == "week":
        return start + timedelta(days=7)
    if interval == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def periods(first: date, last: date, interval: str) -> list[Period]:
    """Every interval from ``first`` to ``last``, the first and last clipped to the range."""
    out: list[Period] = []
    start = interval_start(first, interval)
    while start <= last:
        following = _next_start(start, interval)
        out.append(Period(max(start, first), min(following - timedelta(days=1), last)))
        start = following
    return out


def utc_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of the local days ``first`` … ``last`` in TIME_ZONE."""
    zone = ZoneInfo(time_zone())
    start = datetime.combine(first, time(0), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end
