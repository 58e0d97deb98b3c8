"""The KPI report: totals, a series by day, week or month, and groups, from the rollups only.

Two statements, each grouped in the database: the interaction rollups by (period, group),
with contacts per channel pivoted into columns, joined to the small catalog tables for channel
kinds, unit costs and currencies; and the case rollups by (period, group). What is left for
Python is summing columns of a few hundred rows into entries (totals, periods, groups).
Metrics are aggregates with no personal data, so every department's figures are open to a
``metrics:read`` principal.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Date, DateTime, Select, bindparam, case, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from cgcrm.catalog.codes import catalog_codes
from cgcrm.catalog.models import Channel, Service, ServiceChannelCost
from cgcrm.core.channels import CHANNEL_CODES
from cgcrm.core.errors import ValidationError
from cgcrm.extensions import db
from cgcrm.metrics.models import CaseDailyRollup, InteractionDailyRollup
from cgcrm.metrics.periods import (
    INTERVALS,
    Period,
    check_range,
    interval_start,
    periods,
    time_zone,
)
from cgcrm.metrics.tally import ROLLUP_COUNTERS, SQL_COUNTERS, Tally

GROUP_BY = ("channel", "service", "department")


@dataclass(frozen=True)
class Filters:
    """Codes a report is narrowed to (None: all), resolved to ids once."""

    service: str | None = None
    channel: str | None = None
    department: str | None = None

    def service_id(self) -> uuid.UUID | None:
        if self.service is None:
            return None
        found = catalog_codes.service_by_code(self.service)
        if found is None:
            raise ValidationError("unknown service", errors={"service": ["unknown service"]})
        return found.id

    def department_id(self) -> uuid.UUID | None:
        if self.department is None:
            return None
        found = catalog_codes.department_by_code(self.department)
        if found is None:
            raise ValidationError(
                "unknown department", errors={"department": ["unknown department"]}
            )
        return found.id

    def check(self) -> None:
        """:raises ValidationError: a code names nothing in the catalog."""
        self.service_id()
        self.department_id()
        if self.channel is not None and self.channel not in CHANNEL_CODES:
            raise ValidationError("unknown channel", errors={"channel": ["unknown channel"]})


def _period_of(day: Any, interval: str, dialect: str) -> Any:
    """SQL for the first day of the interval holding ``day`` (ISO week: Monday)."""
    if interval == "day":
        return day
    if dialect == "postgresql":
        # On a plain timestamp: a date would become a timestamptz in the session's zone.
        return cast(func.date_trunc(interval, cast(day, DateTime)), Date)
    # SQLite: 'weekday 0' moves to the coming Sunday (or stays on one); six days back is Monday.
    modifiers = ("weekday 0", "-6 days") if interval == "week" else ("start of month",)
    return func.date(day, *modifiers)


def _as_date(value: Any) -> date:
    # PostgreSQL answers dates; SQLite's date() answers ISO text.
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _group_column(table: Any, group_by: str | None) -> Any:
    column = {"channel": "channel_code", "service": "service_id", "department": "department_id"}
    return table.c[column[group_by]] if group_by else None


def _group_key(group_by: str | None, value: Any) -> str | None:
    if value is None or group_by == "channel":
        return value
    if group_by == "service":
        service = catalog_codes.service_by_id(value)
        return service.code if service else str(value)
    department = catalog_codes.department_by_id(value)
    return department.code if department else str(value)


class _Shape(NamedTuple):
    """What a statement's text depends on; the days and codes are bound parameters."""

    dialect: str
    interval: str
    group_by: str | None
    by_service: bool
    by_department: bool
    by_channel: bool


def _narrowed(statement: Select[Any], table: Any, shape: _Shape) -> Select[Any]:
    statement = statement.where(table.c.day >= bindparam("first"), table.c.day <= bindparam("last"))
    if shape.by_service:
        statement = statement.where(table.c.service_id == bindparam("service_id"))
    if shape.by_department:
        statement = statement.where(table.c.department_id == bindparam("department_id"))
    if shape.by_channel:
        statement = statement.where(table.c.channel_code == bindparam("channel"))
    return statement


# Building the statement (some forty SQL functions and CASEs) cost more Python than reading
# its answer; there are a few dozen shapes, so each is built once per process.
@lru_cache(maxsize=128)
def _interaction_statement(shape: _Shape) -> Select[Any]:
    rollups = InteractionDailyRollup.__table__
    period = _period_of(rollups.c.day, shape.interval, shape.dialect).label("period")
    group = _group_column(rollups, shape.group_by)
    kind = Channel.__table__.c.kind
    costs = ServiceChannelCost.__table__
    services = Service.__table__
    sums: list[ColumnElement[Any]] = [
        # SUM of a bigint is a numeric in PostgreSQL (a Decimal in Python): keep integers.
        cast(func.sum(rollups.c[name]), BigInteger)
        for name in ROLLUP_COUNTERS
    ]
    sums.append(func.sum(case((kind == "digital", rollups.c.transactions_completed), else_=0)))
    sums.append(func.sum(rollups.c.interactions * func.coalesce(costs.c.unit_cost_minor, 0)))
    sums += [
        func.sum(case((rollups.c.channel_code == code, rollups.c.interactions), else_=0))
        for code in CHANNEL_CODES
    ]
    keys = [period] + ([group] if group is not None else [])
    statement = select(
        *keys, *sums, func.min(services.c.currency), func.max(services.c.currency)
    ).select_from(
        rollups.join(Channel.__table__, Channel.__table__.c.code == rollups.c.channel_code)
        .outerjoin(
            costs,
            (costs.c.service_id == rollups.c.service_id)
            & (costs.c.channel_code == rollups.c.channel_code),
        )
        .outerjoin(services, services.c.id == rollups.c.service_id)
    )
    return _narrowed(statement, rollups, shape).group_by(*keys)


@lru_cache(maxsize=128)
def _case_statement(shape: _Shape) -> Select[Any]:
    rollups = CaseDailyRollup.__table__
    period = _period_of(rollups.c.day, shape.interval, shape.dialect).label("period")
    group = _group_column(rollups, shape.group_by)
    keys = [period] + ([group] if group is not None else [])
    statement = select(*keys, func.sum(rollups.c.resolved), func.sum(rollups.c.resolved_within_sla))
    return _narrowed(statement, rollups, shape).group_by(*keys)


def _execute(
    build: Callable[[_Shape], Select[Any]],
    first: date,
    last: date,
    filters: Filters,
    interval: str,
    group_by: str | None,
    *,
    with_channel: bool = True,
) -> Any:
    service_id, department_id = filters.service_id(), filters.department_id()
    channel = filters.channel if with_channel else None
    shape = _Shape(
        db.session.get_bind().dialect.name,
        interval,
        group_by,
        service_id is not None,
        department_id is not None,
        channel is not None,
    )
    values: dict[str, Any] = {"first": first, "last": last, "service_id": service_id}
    values |= {"department_id": department_id, "channel": channel}
    return db.session.execute(build(shape), {k: v for k, v in values.items() if v is not None})


def _interaction_rows(
    first: date, last: date, filters: Filters, interval: str, group_by: str | None
) -> Any:
    return _execute(_interaction_statement, first, last, filters, interval, group_by)


def _case_rows(
    first: date, last: date, filters: Filters, interval: str, group_by: str | None
) -> Any:
    # Cases have no channel (the caller leaves them out when narrowed to one).
    return _execute(_case_statement, first, last, filters, interval, group_by, with_channel=False)


@dataclass
class Tallies:
    """The totals, one tally per period (by its start) and one per group key."""

    totals: Tally
    series: dict[date, Tally]
    groups: dict[str | None, Tally]
    with_sla: bool


def collect(
    first: date,
    last: date,
    filters: Filters,
    *,
    interval: str = "day",
    group_by: str | None = None,
) -> Tallies:
    """Sum the rollups of ``first`` … ``last`` into totals, periods and groups.

    :raises ValidationError: a filter names an unknown code.
    """
    filters.check()
    spans = periods(first, last, interval)
    by_start = {interval_start(p.start, interval): p.start for p in spans}
    tallies = Tallies(Tally(), {p.start: Tally() for p in spans}, {}, True)
    offset = 2 if group_by else 1
    width = len(SQL_COUNTERS)
    by_period: dict[date, list[tuple[int, ...]]] = defaultdict(list)
    by_group: dict[Any, list[tuple[int, ...]]] = defaultdict(list)
    everything: list[tuple[int, ...]] = []
    for row in _interaction_rows(first, last, filters, interval, group_by):
        values = tuple(row[offset : offset + width])
        start = by_start[_as_date(row[0])]
        by_period[start].append(values)
        everything.append(values)
        currencies = {c for c in row[-2:] if c is not None}
        tallies.series[start].currencies |= currencies
        tallies.totals.currencies |= currencies
        if group_by:
            by_group[row[1]].append(values)
            group = tallies.groups.setdefault(_group_key(group_by, row[1]), Tally())
            group.currencies |= currencies
    tallies.totals.add_rows(everything)
    for start, rows in by_period.items():
        tallies.series[start].add_rows(rows)
    for value, rows in by_group.items():
        tallies.groups[_group_key(group_by, value)].add_rows(rows)
    # Cases have no channel: their figures cannot be split or narrowed by one.
    tallies.with_sla = filters.channel is None and group_by != "channel"
    if tallies.with_sla:
        for row in _case_rows(first, last, filters, interval, group_by):
            resolved, within = int(row[-2] or 0), int(row[-1] or 0)
            targets = [tallies.totals, tallies.series[by_start[_as_date(row[0])]]]
            if group_by:
                targets.append(tallies.groups.setdefault(_group_key(group_by, row[1]), Tally()))
            for tally in targets:
                tally.add_cases(resolved, within)
    return tallies


def _period_entry(period: Period, tally: Tally, with_sla: bool) -> dict[str, Any]:
    return {
        "period_start": period.start,
        "period_end": period.end,
        **tally.entry(with_sla=with_sla),
    }


def report_json(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` as JSON-ready values, exactly what ``KpiReportSchema`` dumps (dates as ISO
    text; every other value is already an int, a float, text or None, in the schema's shape).

    Dumping a daily series field by field through the schema's nested entries cost more than
    building the report; test_kpis_api checks that both give the same JSON.
    """
    return {
        **report,
        "from": report["from"].isoformat(),
        "to": report["to"].isoformat(),
        "series": [
            {
                **entry,
                "period_start": entry["period_start"].isoformat(),
                "period_end": entry["period_end"].isoformat(),
            }
            for entry in report["series"]
        ],
    }


def kpi_report(
    first: date,
    last: date,
    *,
    service: str | None = None,
    channel: str | None = None,
    department: str | None = None,
    interval: str = "day",
    group_by: str | None = None,
) -> dict[str, Any]:
    """The KPIs of the days ``first`` … ``last`` (inclusive, in TIME_ZONE), read from the
    rollups: totals, a series with every interval (empty ones too), and groups by channel,
    service or department when asked.

    :param service, channel, department: codes to narrow to.
    :param interval: ``day``, ``week`` (ISO, from Monday) or ``month``; the first and last
        intervals are clipped to the range.
    :param group_by: ``channel``, ``service`` or ``department``; every value with data is a
        group (contacts about no service are the group with key None).
    :raises ValidationError: the range is reversed or too long, or a code or option is unknown.
    """
    check_range(first, last)
    if interval not in INTERVALS:
        raise ValidationError("unknown interval", errors={"interval": ["unknown interval"]})
    if group_by is not None and group_by not in GROUP_BY:
        raise ValidationError("unknown group_by", errors={"group_by": ["unknown grouping"]})
    filters = Filters(service=service, channel=channel, department=department)
    tallies = collect(first, last, filters, interval=interval, group_by=group_by)
    with_sla = tallies.with_sla
    report: dict[str, Any] = {
        "from": first,
        "to": last,
        "service": service,
        "channel": channel,
        "department": department,
        "interval": interval,
        "group_by": group_by,
        "time_zone": time_zone(),
        "totals": tallies.totals.entry(with_sla=with_sla),
        "series": [
            _period_entry(period, tallies.series[period.start], with_sla)
            for period in periods(first, last, interval)
        ],
    }
    if group_by:
        ordered = sorted(tallies.groups.items(), key=lambda item: (item[0] is None, item[0] or ""))
        report["groups"] = [
            {"key": key, **tally.entry(with_sla=with_sla)} for key, tally in ordered
        ]
    return report
