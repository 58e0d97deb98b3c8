"""How the journey pages write times and sums of money (template filters on the console)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from cgcrm.console.blueprint import bp
from cgcrm.console.form_state import money


@bp.app_template_filter("journey_time")
def journey_time(value: Any) -> str:
    """An API timestamp in the council's time zone, as GOV.UK writes it: 2 March 2026, 3:05pm."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(str(current_app.config["TIME_ZONE"])))
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{moment.day} {moment:%B %Y}, {hour}:{moment.minute:02d}{suffix}"


@bp.app_template_filter("journey_money")
def journey_money(minor: Any, currency: str = "") -> str:
    """Minor units as money: 6500 AUD is $65.00."""
    return money(minor, currency)
