"""The arithmetic of the KPIs and the cutting of ranges into periods, checked by hand."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest
from flask import Flask

from cgcrm.metrics.periods import Period, periods, utc_bounds
from cgcrm.metrics.rates import (
    net_promoter_score,
    ratio,
    two_proportion_z_test,
    wilson_interval,
)


@pytest.mark.smoke
def test_rates_with_nothing_to_divide_by_are_none() -> None:
    assert ratio(0, 0) is None
    assert ratio(0, 5) == 0.0
    assert wilson_interval(0, 0) is None
    assert net_promoter_score(0, 0, 0) is None
    assert net_promoter_score(5, 5, 10) == 0.0
    assert net_promoter_score(10, 0, 10) == 100.0


def test_the_wilson_interval_at_the_edges() -> None:
    # 0 of 10: low 0, high = z²/n / (1 + z²/n) = 0.384146 / 1.384146 = 0.277533.
    low, high = wilson_interval(0, 10) or (None, None)
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high == pytest.approx(0.277533, abs=1e-6)
    low, high = wilson_interval(10, 10) or (None, None)
    assert (low, high) == (pytest.approx(1 - 0.277533, abs=1e-6), pytest.approx(1.0))
    # Half of 100: centre 0.5, half-width z·√(0.0025 + z²/40000) / (1 + z²/100) = 0.096168.
    low, high = wilson_interval(50, 100) or (None, None)
    assert (low, high) == (pytest.approx(0.403832, abs=1e-6), pytest.approx(0.596168, abs=1e-6))


def test_the_z_test_is_signed_from_a_to_b_and_undefined_without_variance() -> None:
    up = two_proportion_z_test(40, 100, 60, 100)
    down = two_proportion_z_test(60, 100, 40, 100)
    assert up.z == pytest.approx(2 * math.sqrt(2))
    assert down.z == pytest.approx(-2 * math.sqrt(2))
    assert up.p_value == down.p_value == pytest.approx(math.erfc(2))
    assert two_proportion_z_test(0, 10, 0, 20) == (None, None, False)
    assert two_proportion_z_test(10, 10, 20, 20) == (None, None, False)
    assert two_proportion_z_test(1, 10, 0, 0) == (None, None, False)
    # Equal proportions: z 0, p 1.
    same = two_proportion_z_test(5, 10, 10, 20)
    assert (same.z, same.p_value, same.significant) == (0.0, 1.0, False)


def test_months_and_weeks_across_a_year_end_and_a_leap_day() -> None:
    assert periods(date(2027, 12, 30), date(2028, 3, 1), "month") == [
        Period(date(2027, 12, 30), date(2027, 12, 31)),
        Period(date(2028, 1, 1), date(2028, 1, 31)),
        Period(date(2028, 2, 1), date(2028, 2, 29)),
        Period(date(2028, 3, 1), date(2028, 3, 1)),
    ]
    # 1 January 2027 is a Friday: its ISO week began on Monday 28 December 2026.
    assert periods(date(2027, 1, 1), date(2027, 1, 11), "week") == [
        Period(date(2027, 1, 1), date(2027, 1, 3)),
        Period(date(2027, 1, 4), date(2027, 1, 10)),
        Period(date(2027, 1, 11), date(2027, 1, 11)),
    ]
    assert len(periods(date(2028, 1, 1), date(2028, 12, 31), "day")) == 366


def test_a_local_day_across_the_end_of_daylight_saving_lasts_25_hours(app: Flask) -> None:
    with app.app_context():
        start, end = utc_bounds(date(2026, 4, 5), date(2026, 4, 5))
    assert start == datetime(2026, 4, 4, 13, tzinfo=UTC)  # midnight AEDT, UTC+11
    assert end == datetime(2026, 4, 5, 14, tzinfo=UTC)  # midnight AEST, UTC+10
