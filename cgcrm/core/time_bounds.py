"""Which dates and moments the system accepts: the rules behind the bounded date fields.

Two kinds of bound:

* **Representable.** A moment must stay a valid Python ``datetime`` and a valid PostgreSQL
  ``timestamptz`` in UTC *and* in any time zone it is later shown or bucketed in.
  ``0001-01-01T00:00:00+14:00`` is 31 December of year 0 in UTC, which Python cannot hold;
  ``9999-12-31T23:59:59-14:00`` overflows the other way. So moments must lie within
  ``EARLIEST_MOMENT`` … ``LATEST_MOMENT`` (UTC), a day inside Python's range on each side, with
  an offset within ±14:00 (the widest in use), and their local date and time within
  ``EARLIEST_LOCAL`` … ``LATEST_LOCAL`` (which implies the UTC bounds and a pattern can say).
  Naive moments are refused.
* **Plausible.** A contact did not happen before ``CONTACT_HORIZON_DAYS`` ago nor later than
  ``CLOCK_SKEW_SECONDS`` from now, and lasted at most ``CONTACT_MAX_SPAN_HOURS``. Plain dates
  lie within ``EARLIEST_DATE`` … today + ``DATE_FUTURE_YEARS`` years; a date of birth
  from ``EARLIEST_BIRTH`` to today.

Values come from the application's settings when there is an application, else the defaults
declared in ``cgcrm.settings``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app, has_app_context

from cgcrm.core.clock import utcnow
from cgcrm.settings import SETTINGS

EARLIEST_MOMENT = datetime(1, 1, 2, tzinfo=UTC)
LATEST_MOMENT = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)
EARLIEST_DATE = date(1800, 1, 1)
EARLIEST_BIRTH = date(1880, 1, 1)
DATE_FUTURE_YEARS = 100
# The same bounds on the local date and time, two days inside Python's range: with an offset
# within ±14:00 they imply the UTC bounds, and unlike those a JSON Schema pattern can state them.
EARLIEST_LOCAL = datetime(1, 1, 3)
LATEST_LOCAL = datetime(9999, 12, 29, 23, 59, 59, 999999)
# The widest offsets in use (Kiribati +14, Baker Island -12); PostgreSQL refuses beyond ±15:59.
MAX_OFFSET = timedelta(hours=14)
_DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


def setting(name: str) -> Any:
    """The application's value of ``name``, or its declared default outside an application."""
    if has_app_context():
        return current_app.config.get(name, _DEFAULTS[name])
    return _DEFAULTS[name]


def representable_problem(moment: datetime) -> str | None:
    """Why ``moment`` cannot be stored and shown everywhere, or None when it can."""
    offset = moment.utcoffset() if moment.tzinfo is not None else None
    if offset is None:
        return "needs a UTC offset (for example 2024-05-01T09:30:00+10:00 or …Z)"
    if abs(offset) > MAX_OFFSET:
        return "has a UTC offset beyond ±14:00"
    if not EARLIEST_LOCAL <= moment.replace(tzinfo=None) <= LATEST_LOCAL:
        return "is outside the supported range (0001-01-03 to 9999-12-29)"
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return "is outside the supported range once converted to UTC"
    if not EARLIEST_MOMENT <= utc <= LATEST_MOMENT:
        return "is outside the supported range once converted to UTC"
    return None


def contact_moment_problem(moment: datetime, now: datetime | None = None) -> str | None:
    """Why ``moment`` (representable, aware) cannot be when a contact happened, or None."""
    now = now or utcnow()
    horizon = now - timedelta(days=int(setting("CONTACT_HORIZON_DAYS")))
    if moment < horizon:
        return f"is more than {setting('CONTACT_HORIZON_DAYS')} days ago"
    if moment > now + timedelta(seconds=int(setting("CLOCK_SKEW_SECONDS"))):
        return "is in the future"
    return None


def span_problem(start: datetime, end: datetime) -> str | None:
    """Why a contact cannot run from ``start`` to ``end``, or None when it can."""
    if end < start:
        return "must not be before the start"
    hours = int(setting("CONTACT_MAX_SPAN_HOURS"))
    if end - start > timedelta(hours=hours):
        return f"must be at most {hours} hours after the start"
    return None


def date_problem(value: date, *, earliest: date, not_in_future: bool) -> str | None:
    """Why ``value`` is not a plausible date, or None."""
    today = utcnow().date()
    if value < earliest:
        return f"must not be before {earliest.isoformat()}"
    if not_in_future and value > today + timedelta(days=1):  # a day for time zones ahead of UTC
        return "must not be in the future"
    latest = latest_date()
    if value > latest:
        return f"must not be after {latest.isoformat()}"
    return None


def parse_moment(text: str) -> datetime:
    """An ISO 8601 moment from a cursor or a job argument, held to the representable bounds.

    :raises ValueError: not ISO 8601, no offset, or out of range.
    """
    moment = datetime.fromisoformat(text)
    problem = representable_problem(moment)
    if problem:
        raise ValueError(problem)
    return moment


# What of the bounds a JSON Schema pattern can say (the fields' ``json_schema()``): the year
# range and, for moments, an offset within ±14:00. The exact first and last day, "not in the
# future" and the contact horizon move with the clock and are in the description instead.
_DAY = "(?:0[1-9]|[12][0-9]|3[01])"
_MONTH_DAY = "(?:0[1-9]|1[0-2])-" + _DAY
_TIME = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?"
_OFFSET = "(?:[Zz]|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))"


def _digits_between(low: str, high: str) -> str:
    """A regex for the digit strings of one length from ``low`` to ``high``, inclusive."""
    if low == high:
        return low
    rest = len(low) - 1
    if rest == 0:
        return f"[{low}-{high}]"
    if low[0] == high[0]:
        return low[0] + _digits_between(low[1:], high[1:])
    if low[1:] == "0" * rest and high[1:] == "9" * rest:
        return f"[{low[0]}-{high[0]}][0-9]{{{rest}}}"
    parts = [low[0] + _digits_between(low[1:], "9" * rest)]
    if int(high[0]) - int(low[0]) > 1:
        parts.append(f"[{int(low[0]) + 1}-{int(high[0]) - 1}][0-9]{{{rest}}}")
    parts.append(high[0] + _digits_between("0" * rest, high[1:]))
    return "(?:" + "|".join(parts) + ")"


def year_pattern(first: int, last: int) -> str:
    """A regex for the four-digit years ``first`` … ``last``."""
    return _digits_between(f"{max(first, 1):04d}", f"{min(last, 9999):04d}")


def date_pattern(first_year: int, last_year: int) -> str:
    """An RFC 3339 full-date in the given years."""
    return f"^{year_pattern(first_year, last_year)}-{_MONTH_DAY}$"


def moment_pattern(first_year: int, last_year: int) -> str:
    """An RFC 3339 date-time in the given (local) years, within EARLIEST_LOCAL … LATEST_LOCAL,
    with an offset within ±14:00."""
    days = [f"{year_pattern(max(first_year, 2), min(last_year, 9998))}-{_MONTH_DAY}"]
    if first_year <= 1:  # from 0001-01-03
        days.append("0001-(?:01-(?:0[3-9]|[12][0-9]|3[01])|(?:0[2-9]|1[0-2])-" + _DAY + ")")
    if last_year >= 9999:  # to 9999-12-29
        days.append("9999-(?:(?:0[1-9]|1[01])-" + _DAY + "|12-(?:0[1-9]|1[0-9]|2[0-9]))")
    return f"^(?:{'|'.join(days)})[Tt]{_TIME}{_OFFSET}$"


def latest_date() -> date:
    """The last plain date accepted: today + DATE_FUTURE_YEARS years."""
    today = utcnow().date()
    try:
        return today.replace(year=today.year + DATE_FUTURE_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year + DATE_FUTURE_YEARS, day=28)
