"""The administrators' dashboard: the service-standard KPIs as charts and tables, their CSV,
and the background jobs' health, all read from the public API with the user's own token."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, request, url_for

from cgcrm.console import catalog
from cgcrm.console.api import ApiProblem, api
from cgcrm.console.blueprint import bp
from cgcrm.console.dashboard_figures import Figure, channel_shift_figure, figures_csv, kpi_figures
from cgcrm.console.dashboard_filters import (
    FIELD_IDS,
    INTERVALS,
    PERIODS,
    Filters,
    read_filters,
    today,
)
from cgcrm.console.dashboard_health import jobs_health
from cgcrm.console.hooks import is_htmx, page
from cgcrm.console.session import User, current_user, signin_required
from cgcrm.core import scopes
from cgcrm.core.clock import utcnow

TEMPLATES = "console/dashboard/"
# The API's answers to a refused filter: shown as the form's errors, not as an error page.
FILTER_REFUSALS = (400, 422)
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")
SHIFT_KEEP_SECONDS = 300
SHIFT_CACHE_SIZE = 256


def _options(items: list[dict[str, Any]], everything: str) -> list[tuple[str, str]]:
    return [("", everything)] + [
        (item["code"], f"{item['name']} ({item['code']})") for item in items
    ]


def _field_errors(problem: ApiProblem) -> dict[str, str]:
    """The API's refusal of a filter as the form's errors (field id -> message)."""
    errors = {
        FIELD_IDS.get(name, name): messages[0] if messages else problem.title
        for name, messages in problem.errors.items()
    }
    return errors or {"": problem.detail or problem.title}


def _kpi_figures(filters: Filters) -> list[Figure]:
    return kpi_figures(api().get("/api/v1/metrics/kpis", params=filters.kpi_params()))


def _shift_figure(filters: Filters) -> Figure:
    """The channel shift of the period against the one before. The API reads every contact
    of both periods (seconds on a large population), so the answer is kept a few minutes in
    this process: the figures are aggregates, the same for every holder of metrics:read."""
    params = filters.shift_params()
    key = tuple(sorted(params.items()))
    store = current_app.extensions.setdefault("cgcrm.console.channel_shift", {})
    found = store.get(key)
    if found is None or found[0] < time.monotonic():
        report = api().get("/api/v1/metrics/channel-shift", params=params)
        if len(store) >= SHIFT_CACHE_SIZE:
            store.clear()
        found = store[key] = (time.monotonic() + SHIFT_KEEP_SECONDS, report)
    ignored = [name for name in ("channel", "department") if name in filters.codes]
    return channel_shift_figure(found[1], ignored)


def _health(user: User) -> dict[str, Any] | None:
    if not user.can(scopes.ADMIN):
        return None
    try:
        overview = api().get("/api/v1/admin/jobs", params={"state": "failed"})
    except ApiProblem as problem:
        if problem.status < 500:
            raise
        return {"unavailable": problem.detail or problem.title}
    return jobs_health(overview, utcnow())


def _read(
    shift: bool = False, kpis: bool = True
) -> tuple[Filters, dict[str, str], dict[str, dict[str, str]], list[Figure]]:
    """The filters of the query string and, when they are sound, the figures asked for."""
    filters, errors, typed = read_filters(request.args, today(current_app.config["TIME_ZONE"]))
    figures: list[Figure] = []
    if not errors:
        try:
            figures = (_kpi_figures(filters) if kpis else []) + (
                [_shift_figure(filters)] if shift else []
            )
        except ApiProblem as problem:
            if problem.status not in FILTER_REFUSALS:
                raise
            errors = _field_errors(problem)
    return filters, errors, typed, figures


def _not_allowed() -> Response:
    return page(TEMPLATES + "not_allowed.html", 403)


def _page(user: User) -> Response:
    filters, errors, typed, figures = _read()
    return page(
        TEMPLATES + "index.html",
        400 if errors else 200,
        filters=filters,
        errors=errors,
        dates=typed or filters.date_fields(),
        figures=figures,
        health=_health(user),
        periods=PERIODS,
        intervals=INTERVALS,
        services=_options(catalog.services(), "All services"),
        channels=_options(catalog.channels(), "All channels"),
        departments=_options(catalog.departments(), "All departments"),
        csv_href=url_for("console.dashboard_csv") + "?" + urlencode(filters.query()),
        shift_href=url_for("console.dashboard_channel_shift") + "?" + urlencode(filters.query()),
    )


@bp.get("/dashboard")
@signin_required
def dashboard() -> Response:
    user = current_user()
    if user is None or not user.can(scopes.METRICS_READ):
        return _not_allowed()
    return _page(user)


@bp.get("/dashboard.csv")
@signin_required
def dashboard_csv() -> Response:
    """The figures the dashboard shows with the same filters; with filters it refuses, the
    dashboard itself, with the errors to correct."""
    user = current_user()
    if user is None or not user.can(scopes.METRICS_READ):
        return _not_allowed()
    filters, errors, _typed, figures = _read(shift=True)
    if errors:
        return _page(user)
    name = "-".join(
        ["cgcrm-dashboard", filters.first.isoformat(), "to", filters.last.isoformat()]
        + [filters.codes[code] for code in sorted(filters.codes)]
    )
    name = SAFE_NAME.sub("_", name)
    response = Response(figures_csv(figures), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@bp.get("/dashboard/channel-shift")
@signin_required
def dashboard_channel_shift() -> Response:
    """The channel shift on its own: the section the dashboard loads after itself (htmx), or,
    without JavaScript, a page its link opens."""
    user = current_user()
    if user is None or not user.can(scopes.METRICS_READ):
        return _not_allowed()
    filters, errors, _typed, figures = _read(shift=True, kpis=False)
    if errors:
        return _page(user)
    template = "channel_shift_section.html" if is_htmx() else "channel_shift.html"
    return page(
        TEMPLATES + template,
        filters=filters,
        figure=figures[0],
        back_href=url_for("console.dashboard") + "?" + urlencode(filters.query()),
    )
