"""Reading GOV.UK form fields into API values, and API field errors into page errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from cgcrm.console.api import ApiProblem


def date_from_parts(
    form: Mapping[str, str], name: str
) -> tuple[dict[str, str], str | None, str | None]:
    """The date typed into GOV.UK date input ``name`` (``name-day``, ``-month``, ``-year``).

    :returns: the parts as typed (to show again), the ISO date or None when all are empty,
        and an error message (GOV.UK wording) when the parts do not make a real date.
    """
    parts = {p: form.get(f"{name}-{p}", "").strip() for p in ("day", "month", "year")}
    if not any(parts.values()):
        return parts, None, None
    missing = [p for p, v in parts.items() if not v]
    if missing:
        return parts, None, f"must include a {' and '.join(missing)}"
    try:
        year, month, day = int(parts["year"]), int(parts["month"]), int(parts["day"])
        if year < 1000:
            return parts, None, "year must include 4 numbers"
        return parts, dt.date(year, month, day).isoformat(), None
    except ValueError:
        return parts, None, "must be a real date"


def date_parts(iso: str | None) -> dict[str, str]:
    if not iso:
        return {}
    try:
        date = dt.date.fromisoformat(iso[:10])
    except ValueError:
        return {}
    return {"day": str(date.day), "month": str(date.month), "year": str(date.year)}


def field_errors(
    problem: ApiProblem, fields: Mapping[str, str], messages: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The API's field errors as page errors: ``fields`` maps an API field name to the id of
    the page's field; ``messages`` gives the page's own wording for a field. A problem with no
    field the page shows becomes one message linked to nothing."""
    errors: dict[str, str] = {}
    for api_field, messages_of in problem.errors.items():
        field_id = fields.get(api_field) or fields.get(api_field.split(".", 1)[0])
        if field_id and field_id not in errors:
            errors[field_id] = (messages or {}).get(field_id) or "; ".join(messages_of)
    if not errors:
        errors[""] = problem.detail or problem.title
    return errors
