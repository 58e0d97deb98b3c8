"""The dashboard's filters, read from the query string so that a view is a link.

Service, channel and department are codes passed to the API as they are (it validates them);
the period is a choice of the last 4 weeks, 13 weeks or 12 months, or dates of one's own, cut
into days, weeks or months (automatic: days up to a month, weeks up to half a year, months
beyond). The channel shift compares the period with the one of the same length just before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from cgcrm.core.clock import utcnow

PERIODS = (
    ("4w", "Last 4 weeks"),
    ("13w", "Last 13 weeks"),
    ("12m", "Last 12 months"),
    ("custom", "Dates of my choice (below)"),
)
DEFAULT_PERIOD = "13w"
INTERVALS = (("", "Automatic"), ("day", "Days"), ("week", "Weeks"), ("month", "Months"))
CODES = ("service", "channel", "department")
# What the API calls a field, and the id of the form control that shows its error.
FIELD_IDS = {"from": "from-day", "to": "to-day", "from_b": "from-day", "to_b": "to-day"}
DATE_PARTS = ("day", "month", "year")
# The API refuses longer ranges (metrics.periods.MAX_RANGE_DAYS); the channel shift doubles it.
MAX_DAYS = 1830


def today(time_zone: str) -> date:
    """Today in the zone whose days the metrics count."""
    return utcnow().astimezone(ZoneInfo(time_zone)).date()


def _months_back(day: date, months: int) -> date:
    """The first of the month ``months`` before ``day``'s."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def preset_range(period: str, on: date) -> tuple[date, date]:
    """The days of a preset period ending ``on`` (inclusive)."""
    if period == "4w":
        return on - timedelta(days=27), on
    if period == "12m":
        return _months_back(on, 11), on
    return on - timedelta(days=90), on


def automatic_interval(first: date, last: date) -> str:
    days = (last - first).days + 1
    if days <= 31:
        return "day"
    return "week" if days <= 190 else "month"


@dataclass(frozen=True)
class Filters:
    """What the dashboard shows; ``query`` is the query string that shows it again."""

    first: date
    last: date
    interval: str
    period: str = DEFAULT_PERIOD
    codes: Mapping[str, str] = field(default_factory=dict)
    chosen_interval: str = ""

    def query(self) -> dict[str, str]:
        query = {"period": self.period, **self.codes}
        if self.chosen_interval:
            query["interval"] = self.chosen_interval
        if self.period == "custom":
            for name, day in (("from", self.first), ("to", self.last)):
                query |= {f"{name}-{part}": str(getattr(day, part)) for part in DATE_PARTS}
        return query

    def kpi_params(self) -> dict[str, str]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "interval": self.interval,
            **self.codes,
        }

    def before(self) -> tuple[date, date]:
        """The period of the same length just before this one."""
        length = self.last - self.first
        last = self.first - timedelta(days=1)
        return last - length, last

    def shift_params(self) -> dict[str, str]:
        first_a, last_a = self.before()
        params = {
            "from_a": first_a.isoformat(),
            "to_a": last_a.isoformat(),
            "from_b": self.first.isoformat(),
            "to_b": self.last.isoformat(),
        }
        if "service" in self.codes:
            params["service"] = self.codes["service"]
        return params

    def date_fields(self) -> dict[str, dict[str, str]]:
        """The dates shown in the form's date inputs."""
        return {
            name: {part: str(getattr(day, part)) for part in DATE_PARTS}
            for name, day in (("from", self.first), ("to", self.last))
        }


def _typed_date(args: Mapping[str, str], name: str) -> dict[str, str]:
    return {part: (args.get(f"{name}-{part}") or "").strip() for part in DATE_PARTS}


def _parse_date(parts: dict[str, str], label: str) -> tuple[date | None, str | None]:
    if not any(parts.values()):
        return None, f"Enter the {label} date"
    missing = [part for part in DATE_PARTS if not parts[part]]
    if missing:
        return None, f"The {label} date must include a {missing[0]}"
    try:
        day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        return None, f"The {label} date must be a real date"
    if day.year < 2000:
        return None, f"The {label} date must be in 2000 or later"
    return day, None


def read_filters(
    args: Mapping[str, str], on: date
) -> tuple[Filters, dict[str, str], dict[str, dict[str, str]]]:
    """The filters in ``args`` (a query string), the errors to show (field id -> message) and
    the date inputs as typed. With errors, the filters fall back to the default period."""
    errors: dict[str, str] = {}
    codes = {name: args[name].strip() for name in CODES if (args.get(name) or "").strip()}
    period = args.get("period") or DEFAULT_PERIOD
    if period not in dict(PERIODS):
        errors["period"] = "Select a period from the list"
        period = DEFAULT_PERIOD
    chosen = args.get("interval") or ""
    if chosen not in dict(INTERVALS):
        errors["interval"] = "Select days, weeks or months"
        chosen = ""
    typed = {name: _typed_date(args, name) for name in ("from", "to")}
    first, last = preset_range(period, on)
    if period == "custom":
        start, start_error = _parse_date(typed["from"], "start")
        end, end_error = _parse_date(typed["to"], "end")
        if start_error:
            errors["from-day"] = start_error
        if end_error:
            errors["to-day"] = end_error
        if start and end and end < start:
            errors["to-day"] = "The end date must be the same as or after the start date"
        elif start and end and (end - start).days + 1 > MAX_DAYS:
            errors["to-day"] = f"The period must be {MAX_DAYS} days or fewer"
        if start and end and not errors:
            first, last = start, end
    else:
        typed = {}
    interval = chosen or automatic_interval(first, last)
    filters = Filters(first, last, interval, period, codes, chosen)
    return filters, errors, typed
