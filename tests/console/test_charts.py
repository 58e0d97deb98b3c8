"""The dashboard's SVG charts: well-formed, labelled for assistive technology, figures drawn
where they belong, no colour-only encoding, nothing a strict CSP would block."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from cgcrm.console import charts
from cgcrm.console.dashboard_figures import money, period_label

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def _labelled(svg: ET.Element, chart_id: str, title: str) -> None:
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
    assert svg.find(f"{SVG}title").get("id") == f"{chart_id}-title"  # type: ignore[union-attr]
    assert svg.findtext(f"{SVG}title") == title
    assert svg.find(f"{SVG}desc").get("id") == f"{chart_id}-desc"  # type: ignore[union-attr]
    assert svg.findtext(f"{SVG}desc")
    # A strict content security policy refuses inline style: presentation attributes only.
    assert all(element.get("style") is None for element in svg.iter())
    assert not svg.findall(f".//{SVG}style") and not svg.findall(f".//{SVG}script")


def _texts(svg: ET.Element) -> list[str]:
    return [element.text or "" for element in svg.iter(f"{SVG}text")]


def test_a_line_chart_is_labelled_and_draws_each_series_its_own_way() -> None:
    labels = ["2 Mar", "9 Mar", "16 Mar"]
    series = [
        charts.Series("First-contact resolution", [0.5, 0.75, None]),
        charts.Series("Avoidable contact", [0.25, 0.0, 0.5]),
    ]
    svg = _parse(
        charts.line_chart("fcr", "FCR", "about FCR", labels, series, charts.percent_scale())
    )

    _labelled(svg, "fcr", "FCR")
    lines = svg.findall(f"{SVG}polyline")
    # The first series stops at its gap (one run of two points), the second has three points.
    assert [line.get("points", "").count(",") for line in lines] == [2, 3]
    # Told apart by pattern and marker shape, not by colour alone, and named at their ends.
    assert lines[0].get("stroke-dasharray") is None and lines[1].get("stroke-dasharray")
    assert len(svg.findall(f"{SVG}circle")) == 2 and len(svg.findall(f"{SVG}rect")) == 3
    assert {"First-contact resolution", "Avoidable contact"} <= set(_texts(svg))
    assert {"0%", "50%", "100%", "2 Mar", "16 Mar"} <= set(_texts(svg))


def test_points_sit_at_their_value_and_an_interval_draws_error_bars() -> None:
    scale = charts.percent_scale()
    series = charts.Series("Satisfied", [0.5], [0.25], [0.75])
    svg = _parse(charts.line_chart("csat", "CSAT", "d", ["Mar 2026"], [series], scale))

    circle = svg.find(f"{SVG}circle")
    assert circle is not None
    assert float(circle.get("cy", "")) == pytest.approx(charts.TOP + charts.PLOT_H / 2)
    bar = svg.find(f"{SVG}path")
    assert bar is not None
    top, bottom = charts.TOP + charts.PLOT_H / 4, charts.TOP + charts.PLOT_H * 3 / 4
    assert bar.get("d", "").startswith(
        f"M{charts._num(float(circle.get('cx', '')))} {top:g}V{bottom:g}"
    )


def test_bars_carry_their_value_and_a_missing_one_is_a_dash() -> None:
    scale = charts.nice_scale(4.37, lambda v: f"{v:.2f}")
    svg = _parse(charts.bar_chart("cost", "Cost", "d", ["Jan", "Feb"], [4.37, None], scale))

    _labelled(svg, "cost", "Cost")
    assert len(svg.findall(f"{SVG}rect")) == 1
    assert "4.37" in _texts(svg) and "\N{EN DASH}" in _texts(svg)


def test_an_empty_chart_says_so() -> None:
    svg = _parse(
        charts.line_chart(
            "x", "X", "d", ["a", "b"], [charts.Series("X", [None, None])], charts.percent_scale()
        )
    )
    assert "No data in this period" in _texts(svg)
    assert not svg.findall(f"{SVG}polyline")


def test_the_heat_grid_writes_every_count_with_enough_contrast() -> None:
    svg = _parse(
        charts.heat_grid(
            "shift",
            "Shift",
            "d",
            ["A before", "D before"],
            ["A after", "D after"],
            [[40, 3], [0, 12]],
        )
    )
    _labelled(svg, "shift", "Shift")
    assert {"40", "3", "0", "12", "A before", "D after"} <= set(_texts(svg))
    # The darkest cell (the largest count) is written in white, the lightest in black.
    counts = {e.text: e.get("fill") for e in svg.iter(f"{SVG}text")}
    assert counts["40"] == "#ffffff" and counts["0"] == charts.INK


def test_text_is_escaped() -> None:
    svg = charts.line_chart(
        "x", "<b>&", "<script>", ["<a>"], [charts.Series("<s>", [0.1])], charts.percent_scale()
    )
    assert "<script>" not in svg and "<b>" not in svg
    assert _parse(svg).findtext(f"{SVG}title") == "<b>&"


@pytest.mark.parametrize(
    ("largest", "maximum"),
    [(0, 1.0), (4.37, 5.0), (9, 10.0), (437, 500), (1234.5, 1600), (0.3, 0.3), (0.31, 0.4)],
)
def test_the_axis_ends_at_a_round_number_above_the_largest_value(
    largest: float, maximum: float
) -> None:
    scale = charts.nice_scale(largest, str)
    assert scale.maximum == pytest.approx(maximum)
    assert len(scale.ticks) == 5 and scale.ticks[0] == 0


def test_a_trend_is_described_in_words() -> None:
    text = charts.describe_trend(
        "Take-up", ["a", "b", "c", "d"], [0.4, None, 0.2, 0.6], charts.percent
    )
    assert text == (
        "Take-up: 40.0% in a, 60.0% in d; lowest 20.0% in c, highest 60.0% in d; "
        "no data in 1 of 4 periods."
    )
    assert (
        charts.describe_trend("X", ["a"], [None], charts.percent)
        == "X: no data in any of the 1 periods."
    )


def test_periods_and_money_read_as_people_write_them() -> None:
    assert period_label(date(2026, 3, 1), date(2026, 3, 31), "month") == "March 2026"
    assert period_label(date(2026, 3, 2), date(2026, 3, 8), "week") == "2 to 8 March 2026"
    assert period_label(date(2026, 3, 30), date(2026, 4, 5), "week") == "30 March to 5 April 2026"
    assert period_label(date(2026, 3, 2), date(2026, 3, 2), "day") == "2 March 2026"
    assert period_label(date(2026, 3, 2), date(2026, 3, 8), "week", short=True) == "2 Mar"
    assert period_label(date(2026, 3, 1), date(2026, 3, 31), "month", short=True) == "Mar 2026"
    assert money("AUD")(123456) == "1,234.56 AUD"
    assert money(None)(None) == "No data"
