"""GET /api/v1/metrics/compare: each KPI in two periods, B - A, and the z-test of proportions."""

from __future__ import annotations

import csv
import io
import math
from datetime import date
from typing import Any

import pytest
from flask import Flask

from tests.metrics.rollup_rows import add_case_rollups, add_rollups

COMPARE = "/api/v1/metrics/compare"
PERIODS = {
    "from_a": "2026-03-01",
    "to_a": "2026-03-31",
    "from_b": "2026-04-01",
    "to_b": "2026-04-30",
}


@pytest.fixture
def data(app: Flask) -> None:
    # A: 40 of 100 started transactions completed; B: 60 of 100. All on the web.
    add_rollups(
        app,
        (
            date(2026, 3, 2),
            "CUSTOMER",
            "web",
            "RATES-PAY",
            {"interactions": 100, "transactions_started": 100, "transactions_completed": 40},
        ),
        (
            date(2026, 4, 2),
            "CUSTOMER",
            "web",
            "RATES-PAY",
            {"interactions": 120, "transactions_started": 100, "transactions_completed": 60},
        ),
    )
    # SLA: 9 of 10 in A, 8 of 10 in B.
    add_case_rollups(
        app,
        (date(2026, 3, 5), "RATES", "RATES-PAY", 10, 9),
        (date(2026, 4, 5), "RATES", "RATES-PAY", 10, 8),
    )


@pytest.fixture
def analyst(make_api: Any) -> Any:
    return make_api("metrics:read")


def _compare(analyst: Any, **params: str) -> dict[str, Any]:
    response = analyst.get(COMPARE, query_string={**PERIODS, **params})
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


@pytest.mark.smoke
def test_a_change_of_completion_rate_is_tested_against_a_hand_computation(
    data: None, analyst: Any
) -> None:
    completion = _compare(analyst)["kpis"]["completion_rate"]
    # By hand: pooled p = 100/200 = 0.5; SE = √(0.5·0.5·(1/100 + 1/100)) = √0.005 = 0.0707107;
    # z = (0.6 - 0.4)/0.0707107 = 2.828427; p = erfc(2.828427/√2) = erfc(2) = 0.0046777.
    assert completion["a"] == pytest.approx(0.4)
    assert completion["b"] == pytest.approx(0.6)
    assert completion["difference"] == pytest.approx(0.2)
    assert (completion["n_a"], completion["n_b"]) == (100, 100)
    assert completion["z"] == pytest.approx(2.828427, abs=1e-6)
    assert completion["p_value"] == pytest.approx(0.0046777, abs=1e-7)
    assert completion["significant"] is True


def test_a_small_change_is_not_significant(data: None, analyst: Any) -> None:
    sla = _compare(analyst)["kpis"]["sla_attainment"]
    # Pooled p = 17/20 = 0.85; SE = √(0.85·0.15·0.2) = 0.1596872; z = -0.1/SE = -0.6262243.
    assert (sla["a"], sla["b"]) == (pytest.approx(0.9), pytest.approx(0.8))
    assert sla["difference"] == pytest.approx(-0.1)
    assert sla["z"] == pytest.approx(-0.6262243, abs=1e-6)
    assert sla["p_value"] == pytest.approx(math.erfc(0.6262243 / math.sqrt(2)), abs=1e-6)
    assert sla["significant"] is False


def test_undefined_tests_and_untested_kpis(data: None, analyst: Any) -> None:
    kpis = _compare(analyst)["kpis"]
    # Every completion was on the web in both: the pooled proportion is 1, z is undefined.
    take_up = kpis["digital_take_up"]
    assert (take_up["a"], take_up["b"], take_up["difference"]) == (1.0, 1.0, 0.0)
    assert (take_up["n_a"], take_up["n_b"]) == (40, 60)
    assert (take_up["z"], take_up["p_value"], take_up["significant"]) == (None, None, False)
    # No responses at all: no value, no test.
    satisfaction = kpis["user_satisfaction"]
    assert satisfaction == {
        "a": None,
        "b": None,
        "difference": None,
        "n_a": 0,
        "n_b": 0,
        "z": None,
        "p_value": None,
        "significant": False,
    }
    # Counts and means carry no test.
    assert kpis["contacts"] == {
        "a": 100,
        "b": 120,
        "difference": 20,
        "n_a": None,
        "n_b": None,
        "z": None,
        "p_value": None,
        "significant": None,
    }
    assert kpis["cost_per_transaction_minor"]["a"] == pytest.approx(100 * 40 / 40)
    assert kpis["nps"]["difference"] is None


def test_a_channel_filter_leaves_sla_untested(data: None, analyst: Any) -> None:
    sla = _compare(analyst, channel="web")["kpis"]["sla_attainment"]
    assert sla["a"] is None and sla["b"] is None
    assert (sla["n_a"], sla["z"], sla["significant"]) == (None, None, False)


def test_compare_as_csv(data: None, analyst: Any) -> None:
    response = analyst.get(COMPARE, query_string=PERIODS, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = {r["kpi"]: r for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}
    assert len(rows) == 15
    assert rows["completion_rate"]["significant"] == "true"
    assert rows["completion_rate"]["n_b"] == "100"
    assert rows["contacts"]["z"] == ""
    assert rows["contacts"]["from_b"] == "2026-04-01"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"to_a": "2026-02-01"}, "to_a"),
        ({"to_b": "2026-03-01"}, "to_b"),
        ({"from_b": "not a date"}, "from_b"),
        ({"service": "NO-SUCH"}, "service"),
    ],
)
def test_bad_parameters_are_422(analyst: Any, params: dict[str, str], field: str) -> None:
    response = analyst.get(COMPARE, query_string={**PERIODS, **params})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_compare_needs_metrics_read(client: Any, make_api: Any) -> None:
    assert client.get(COMPARE, query_string=PERIODS).status_code == 401
    assert make_api("citizens:read").get(COMPARE, query_string=PERIODS).status_code == 403
