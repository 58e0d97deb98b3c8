"""Template filters of the console: dates, times and money as GOV.UK writes them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app

from cgcrm.console.blueprint import bp

CURRENCY_SYMBOLS = {"AUD": "$", "GBP": "£", "EUR": "€", "USD": "US$", "NZD": "NZ$"}


def _parse(value: str | dt.date | None) -> dt.date | dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        if len(value) <= 10:
            return dt.date.fromisoformat(value)
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@bp.app_template_filter("long_date")
def long_date(value: str | dt.date | None) -> str:
    """``2026-03-02`` -> ``2 March 2026`` (GOV.UK style)."""
    parsed = _parse(value)
    if parsed is None:
        return ""
    if isinstance(parsed, dt.datetime):
        parsed = parsed.astimezone(ZoneInfo(current_app.config["TIME_ZONE"])).date()
    return f"{parsed.day} {parsed:%B %Y}"


@bp.app_template_filter("date_time")
def date_time(value: str | dt.datetime | None) -> str:
    """An instant in the service's time zone: ``2 March 2026, 3:05pm``."""
    parsed = _parse(value)
    if not isinstance(parsed, dt.datetime):
        return long_date(value)
    local = parsed.astimezone(ZoneInfo(current_app.config["TIME_ZONE"]))
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%B %Y}, {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


@bp.app_template_filter("money")
def money(minor: int | None, currency: str = "AUD") -> str:
    """Minor units as money: ``1250`` -> ``$12.50``."""
    if minor is None:
        return ""
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    sign = "-" if minor < 0 else ""
    return f"{sign}{symbol}{abs(minor) // 100:,}.{abs(minor) % 100:02d}"


@bp.app_template_filter("humanise")
def humanise(code: str | None) -> str:
    """``in_progress`` -> ``In progress``."""
    if not code:
        return ""
    text = str(code).replace("_", " ")
    return text[:1].upper() + text[1:]


@bp.app_template_filter("due_in")
def due_in(value: str | dt.datetime | None) -> str:
    """How far off a deadline is, in whole days of the service's calendar: ``due in 2 days``,
    ``due today``, ``3 days overdue``."""
    parsed = _parse(value)
    if not isinstance(parsed, dt.datetime):
        return ""
    zone = ZoneInfo(current_app.config["TIME_ZONE"])
    days = (parsed.astimezone(zone).date() - dt.datetime.now(zone).date()).days
    if days == 0:
        return "due today"
    if days > 0:
        return f"in {days} day{'s' if days != 1 else ''}"
    return f"{-days} day{'s' if days != -1 else ''} overdue"
