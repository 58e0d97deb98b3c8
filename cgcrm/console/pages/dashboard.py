"""The administrators' dashboard: the service-standard KPIs as charts and tables, their CSV,
and the background jobs' health, all read from the public API with the user's own token."""

from __future__ import annotations

import re
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
from cgcrm.console.hooks import page
from cgcrm.console.session import User, current_user, signin_required
from cgcrm.core import scopes
from cgcrm.core.clock import utcnow

TEMPLATES = "console/dashboard/"
# The API's answers to a refused filter: shown as the form's errors, not as an error page.
FILTER_REFUSALS = (400, 422)
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


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


def _figures(filters: Filters) -> list[Figure]:
    report = api().get("/api/v1/metrics/kpis", params=filters.kpi_params())
    shift = api().get("/api/v1/metrics/channel-shift", params=filters.shift_params())
    ignored = [name for name in ("channel", "department") if name in filters.codes]
    return [*kpi_figures(report), channel_shift_figure(shift, ignored)]


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


def _read() -> tuple[Filters, dict[str, str], dict[str, dict[str, str]], list[Figure]]:
    filters, errors, typed = read_filters(request.args, today(current_app.config["TIME_ZONE"]))
    figures: list[Figure] = []
    if not errors:
        try:
            figures = _figures(filters)
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
    filters, errors, _typed, figures = _read()
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
