"""The dashboard's figures: the metrics API's answers turned into charts and tables.

One model feeds the page and its CSV: each ``Figure`` holds a chart and a ``Table``, and the
CSV is written from the same tables, so the download is exactly what the page shows (same
rows, same measures; the CSV keeps the API's unrounded value where the page writes it
rounded). Nothing here calls anything: the page fetches, this module shapes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from markupsafe import Markup

from cgcrm.console import charts

CSV_HEADER = ("table", "row", "period_start", "period_end", "measure", "value", "unit")
KINDS = ("assisted", "digital")
KIND_NAMES = {"assisted": "Mainly assisted", "digital": "Mainly digital"}


@dataclass(frozen=True)
class Column:
    """A measure: its heading, how its value is written, its unit in the CSV."""

    heading: str
    fmt: Callable[[Any], str]
    unit: str


@dataclass(frozen=True)
class Row:
    header: str
    values: tuple[Any, ...]
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True)
class Table:
    key: str
    caption: str
    row_heading: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    def cells(self, row: Row) -> list[str]:
        return [column.fmt(value) for column, value in zip(self.columns, row.values, strict=True)]


@dataclass(frozen=True)
class Figure:
    key: str
    heading: str
    chart: Markup
    table: Table
    note: str | None = None


NO_DATA = "No data"


def _rate(value: float | None) -> str:
    return NO_DATA if value is None else charts.percent(value)


def _count(value: int | None) -> str:
    return NO_DATA if value is None else f"{value:,}"


def money(currency: str | None) -> Callable[[float | None], str]:
    """Minor units written as major units with two decimals and the currency code."""
    suffix = f" {currency}" if currency else ""

    def fmt(value: float | None) -> str:
        return NO_DATA if value is None else f"{value / 100:,.2f}{suffix}"

    return fmt


PERCENT = "proportion"
COUNT = "count"


def period_label(start: date, end: date, interval: str, *, short: bool = False) -> str:
    """A period in words: '2 March 2026', '2 to 8 March 2026', 'March 2026'; ``short`` for a
    chart's axis: '2 Mar', 'Mar 2026'."""
    if short:
        return start.strftime("%b %Y") if interval == "month" else f"{start.day} {start:%b}"
    same_month = (start.year, start.month) == (end.year, end.month)
    if same_month and start.day == 1 and _last_of_month(end):
        return f"{start:%B %Y}"
    if start == end:
        return f"{start.day} {start:%B %Y}"
    if same_month:
        return f"{start.day} to {end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} to {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y} to {end.day} {end:%B %Y}"


def _last_of_month(day: date) -> bool:
    return date.fromordinal(day.toordinal() + 1).day == 1


@dataclass(frozen=True)
class _Periods:
    """The report's series, with labels for the tables and for the charts' axes."""

    entries: list[dict[str, Any]]
    labels: list[str]
    short: list[str]
    totals: dict[str, Any]
    whole: str

    def values(self, pick: Callable[[dict[str, Any]], Any]) -> list[Any]:
        return [pick(entry) for entry in self.entries]

    def rows(self, *picks: Callable[[dict[str, Any]], Any]) -> tuple[Row, ...]:
        rows = [
            Row(
                label,
                tuple(pick(entry) for pick in picks),
                date.fromisoformat(entry["period_start"]),
                date.fromisoformat(entry["period_end"]),
            )
            for label, entry in zip(self.labels, self.entries, strict=True)
        ]
        rows.append(Row(self.whole, tuple(pick(self.totals) for pick in picks)))
        return tuple(rows)


def _periods(report: dict[str, Any]) -> _Periods:
    interval = report["interval"]
    entries = report["series"]
    spans = [
        (date.fromisoformat(e["period_start"]), date.fromisoformat(e["period_end"]))
        for e in entries
    ]
    first, last = date.fromisoformat(report["from"]), date.fromisoformat(report["to"])
    return _Periods(
        entries,
        [period_label(s, e, interval) for s, e in spans],
        [period_label(s, e, interval, short=True) for s, e in spans],
        report["totals"],
        f"Whole period ({period_label(first, last, 'day')})",
    )


def _get(*path: str) -> Callable[[dict[str, Any]], Any]:
    def pick(entry: dict[str, Any]) -> Any:
        value: Any = entry
        for name in path:
            value = value.get(name) if isinstance(value, dict) else None
        return value

    return pick


def _rate_line(
    key: str,
    heading: str,
    periods: _Periods,
    measures: Sequence[tuple[str, str]],
    extra: Sequence[tuple[Column, Callable[[dict[str, Any]], Any]]] = (),
    note: str | None = None,
) -> Figure:
    """A line chart of one or two rates over the periods, and its table."""
    series = [charts.Series(name, periods.values(_get(field))) for field, name in measures]
    desc = " ".join(
        charts.describe_trend(one.name, periods.labels, one.values, charts.percent)
        for one in series
    )
    chart = charts.line_chart(key, heading, desc, periods.short, series, charts.percent_scale())
    columns = tuple(Column(name, _rate, PERCENT) for _, name in measures)
    columns += tuple(column for column, _ in extra)
    picks = [_get(field) for field, _ in measures] + [pick for _, pick in extra]
    table = Table(key, heading, "Period", columns, periods.rows(*picks))
    return Figure(key, heading, chart, table, note)


def _satisfaction(periods: _Periods) -> Figure:
    key, heading = "user-satisfaction", "User satisfaction"
    share, low, high = (_get("user_satisfaction", f) for f in ("value", "low", "high"))
    series = charts.Series(
        "Satisfied", periods.values(share), periods.values(low), periods.values(high)
    )
    desc = charts.describe_trend(
        "Share satisfied or very satisfied (4 or 5 of 5), with its 95% interval",
        periods.labels,
        series.values,
        charts.percent,
    )
    chart = charts.line_chart(key, heading, desc, periods.short, [series], charts.percent_scale())
    columns = (
        Column("Satisfied (4 or 5 of 5)", _rate, PERCENT),
        Column("95% interval, lower", _rate, PERCENT),
        Column("95% interval, upper", _rate, PERCENT),
        Column("Responses", _count, COUNT),
    )
    picks = (share, low, high, _get("user_satisfaction", "n"))
    table = Table(key, heading, "Period", columns, periods.rows(*picks))
    note = (
        "The bars around each point show the 95% (Wilson) interval: with few responses it is wide."
    )
    return Figure(key, heading, chart, table, note)


def _cost(periods: _Periods) -> Figure:
    key, heading = "cost-per-transaction", "Cost per transaction"
    currency = periods.totals.get("currency")
    fmt = money(currency)
    values = periods.values(_get("cost_per_transaction_minor"))
    known = [v for v in values if v is not None]
    scale = charts.nice_scale(max(known, default=0) / 100, lambda v: f"{v:,.2f}")
    major = [None if v is None else v / 100 for v in values]
    desc = charts.describe_trend(heading, periods.labels, major, lambda v: fmt(v * 100))
    chart = charts.bar_chart(key, heading, desc, periods.short, major, scale)
    unit = f"minor units {currency}" if currency else "minor units"
    columns = (
        Column(heading, fmt, unit),
        Column("Total cost", fmt, unit),
        Column("Transactions completed", _count, COUNT),
    )
    picks = (
        _get("cost_per_transaction_minor"),
        _get("total_cost_minor"),
        _get("transactions_completed"),
    )
    table = Table(key, heading, "Period", columns, periods.rows(*picks))
    note = (
        None if currency else "No single currency: the figures are in each service's minor units."
    )
    return Figure(key, heading, chart, table, note)


def kpi_figures(report: dict[str, Any]) -> list[Figure]:
    """The charts and tables of ``GET /api/v1/metrics/kpis``, in the order the page shows them."""
    periods = _periods(report)
    sla_note = (
        "Cases have no channel: SLA attainment is not counted for one channel."
        if report.get("channel")
        else None
    )
    return [
        _rate_line(
            "digital-take-up",
            "Digital take-up",
            periods,
            [("digital_take_up", "Digital take-up")],
            [(Column("Transactions completed", _count, COUNT), _get("transactions_completed"))],
        ),
        _rate_line(
            "completion-rate",
            "Completion rate",
            periods,
            [("completion_rate", "Completion rate")],
            [
                (Column("Transactions started", _count, COUNT), _get("transactions_started")),
                (Column("Transactions completed", _count, COUNT), _get("transactions_completed")),
            ],
        ),
        _satisfaction(periods),
        _cost(periods),
        _rate_line(
            "contact-resolution",
            "First-contact resolution and avoidable contact",
            periods,
            [
                ("first_contact_resolution", "First-contact resolution"),
                ("avoidable_contact_rate", "Avoidable contact"),
            ],
            [(Column("Contacts", _count, COUNT), _get("contacts"))],
        ),
        _rate_line(
            "sla-attainment",
            "SLA attainment",
            periods,
            [("sla_attainment", "SLA attainment")],
            note=sla_note,
        ),
    ]


def channel_shift_figure(report: dict[str, Any], ignored: Sequence[str] = ()) -> Figure:
    """The matrix of ``GET /api/v1/metrics/channel-shift`` as a heat grid and its table.

    :param ignored: filters of the page the channel shift cannot take (the API narrows it by
        service only), named in the note so nobody reads it as narrowed by them.
    """
    key, heading = "channel-shift", "Channel shift"
    a = period_label(
        date.fromisoformat(report["from_a"]), date.fromisoformat(report["to_a"]), "day"
    )
    b = period_label(
        date.fromisoformat(report["from_b"]), date.fromisoformat(report["to_b"]), "day"
    )
    matrix = report["matrix"]
    counts = [[int(matrix[ka][kb]) for kb in KINDS] for ka in KINDS]
    moved = report.get("assisted_to_digital_share")
    desc = (
        f"{report['citizens']:,} citizens contacted us in both periods. "
        + " ".join(
            f"{KIND_NAMES[ka]} before, {KIND_NAMES[kb].lower()} after: {counts[i][j]:,}."
            for i, ka in enumerate(KINDS)
            for j, kb in enumerate(KINDS)
        )
        + f" Of those mainly assisted before, {_rate(moved)} were mainly digital after."
    )
    rows_text = [f"{KIND_NAMES[k]} before" for k in KINDS]
    columns_text = [f"{KIND_NAMES[k]} after" for k in KINDS]
    chart = charts.heat_grid(
        key, f"{heading}: {a} against {b}", desc, rows_text, columns_text, counts
    )
    columns = tuple(Column(text, _count, COUNT) for text in columns_text)
    rows = tuple(Row(rows_text[i], tuple(counts[i])) for i in range(len(KINDS)))
    table = Table(
        key,
        f"{heading}: citizens by main channel, {a} (before) against {b} (after)",
        "Before",
        columns,
        rows,
    )
    note = (
        f"Of the citizens mainly assisted before, {_rate(moved)} were mainly digital after "
        f"({report['moved_to_digital']:,} moved to digital, {report['moved_to_assisted']:,} "
        "to assisted). A citizen's main channel is the kind of most of their contacts."
    )
    if ignored:
        note += f" Counted over every {' and every '.join(ignored)}: it is not narrowed by them."
    return Figure(key, heading, chart, table, note)


def _csv_value(value: Any) -> Any:
    return "" if value is None else value


def figures_csv(figures: Sequence[Figure]) -> str:
    """Every table of ``figures`` in long form: one line per (table, row, measure)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for figure in figures:
        table = figure.table
        for row in table.rows:
            for column, value in zip(table.columns, row.values, strict=True):
                writer.writerow(
                    [
                        table.key,
                        row.header,
                        row.period_start.isoformat() if row.period_start else "",
                        row.period_end.isoformat() if row.period_end else "",
                        column.heading,
                        _csv_value(value),
                        column.unit,
                    ]
                )
    return out.getvalue()
