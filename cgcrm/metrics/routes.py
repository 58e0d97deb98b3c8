"""Metrics endpoints: parse, authorise, call the service, serialise as JSON or CSV."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from marshmallow import Schema

from cgcrm.core import scopes
from cgcrm.core.openapi import Blueprint
from cgcrm.identity.guard import requires
from cgcrm.metrics.channel_shift import channel_shift
from cgcrm.metrics.compare import compare_periods
from cgcrm.metrics.csv_export import CSV_MEDIA_TYPE, channel_shift_csv, compare_csv, kpis_csv
from cgcrm.metrics.kpis import kpi_report, report_json
from cgcrm.metrics.schemas import (
    ChannelShiftQuerySchema,
    ChannelShiftSchema,
    CompareQuerySchema,
    CompareReportSchema,
    KpiQuerySchema,
    KpiReportSchema,
)

JSON_MEDIA_TYPE = "application/json"
SCOPING = (
    " Figures are aggregates with no personal data: a holder of metrics:read sees every "
    "department's. Send `Accept: text/csv` for the same answer as CSV."
)

blp = Blueprint(
    "metrics",
    __name__,
    url_prefix="/api/v1/metrics",
    description="The service-standard KPIs and the customer measures behind them, per "
    "service, channel, department and period, from the daily rollups." + SCOPING,
)


def _csv_doc(description: str) -> dict[str, Any]:
    """The text/csv content of a 200 whose JSON content ``@blp.response`` documents."""
    return {
        "schema": {"type": "string"},
        "content_type": CSV_MEDIA_TYPE,
        "description": "JSON, or with `Accept: text/csv` CSV: " + description,
        "success": True,
    }


def _answer(
    report: dict[str, Any],
    schema: Schema,
    to_csv: Callable[[dict[str, Any]], str],
    to_json: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Any:
    """The report as the client asked: CSV when it prefers text/csv, JSON otherwise.

    :param to_json: the JSON the schema would dump, built directly (a Response is sent as
        it is); without it the schema dumps the report.
    """
    preferred = request.accept_mimetypes.best_match([JSON_MEDIA_TYPE, CSV_MEDIA_TYPE])
    if preferred != CSV_MEDIA_TYPE:
        return report if to_json is None else current_app.json.response(to_json(report))
    return Response(to_csv(schema.dump(report)), mimetype=CSV_MEDIA_TYPE)


_KPI_REPORT = KpiReportSchema()
_COMPARE_REPORT = CompareReportSchema()
_CHANNEL_SHIFT = ChannelShiftSchema()


@blp.route("/kpis")
class KpisView(MethodView):
    @requires(scopes.METRICS_READ)
    @blp.arguments(KpiQuerySchema, location="query")
    @blp.response(200, KpiReportSchema)
    @blp.alt_response(200, **_csv_doc("a row for the totals, each period and each group."))
    @blp.doc(
        operationId="getKpis",
        description="Totals, a series (every interval, empty ones too) and optional groups, "
        "read from the daily rollups; a rate with nothing to divide by is null." + SCOPING,
    )
    def get(self, query: dict[str, Any]) -> Any:
        """The KPIs of a range of days, by day, week or month, optionally grouped."""
        report = kpi_report(query.pop("from"), query.pop("to"), **query)
        return _answer(report, _KPI_REPORT, kpis_csv, report_json)


@blp.route("/compare")
class CompareView(MethodView):
    @requires(scopes.METRICS_READ)
    @blp.arguments(CompareQuerySchema, location="query")
    @blp.response(200, CompareReportSchema)
    @blp.alt_response(200, **_csv_doc("one row per KPI."))
    @blp.doc(
        operationId="compareKpis",
        description="Each KPI in period A and period B, B - A, and for proportions a "
        "two-proportion z-test (pooled, two-sided) with its p-value." + SCOPING,
    )
    def get(self, query: dict[str, Any]) -> Any:
        """Compare the KPIs of two periods, with the significance of each change of rate."""
        return _answer(compare_periods(**query), _COMPARE_REPORT, compare_csv)


@blp.route("/channel-shift")
class ChannelShiftView(MethodView):
    @requires(scopes.METRICS_READ)
    @blp.arguments(ChannelShiftQuerySchema, location="query")
    @blp.response(200, ChannelShiftSchema)
    @blp.alt_response(200, **_csv_doc("the matrix, one row per (kind in A, kind in B)."))
    @blp.doc(
        operationId="getChannelShift",
        description="Of the citizens with inbound contacts in both periods, how many were "
        "mainly digital or assisted in each (most contacts; a tie goes to the kind of the "
        "latest)." + SCOPING,
    )
    def get(self, query: dict[str, Any]) -> Any:
        """How citizens moved between assisted and digital channels from one period to another."""
        return _answer(channel_shift(**query), _CHANNEL_SHIFT, channel_shift_csv)
