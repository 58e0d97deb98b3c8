"""GET /api/v1/metrics/kpis against a small data set whose every figure is worked on paper.

The data (rollup rows written directly; the engine that fills them is tested elsewhere):

=========  ========  =======  ================  ==========================================
day        dept      channel  service           counts
=========  ========  =======  ================  ==========================================
Mon 2 Mar  CUSTOMER  web      RATES-PAY         10 contacts, 6 started, 4 completed, 8
                                                inbound identified (2 avoidable), 5 FCR
                                                eligible (1 repeated), CSAT 5,5,5,4,2, NPS
                                                3 promoters + 1 detractor of 4, effort 5 over
                                                2, 6 invitations, 3 answered
Mon 2 Mar  CUSTOMER  phone    RATES-PAY         5 contacts, 2 started, 2 completed, 1500 s
                                                over 5 handled, 5 inbound identified (1
                                                avoidable), 4 eligible (2 repeated), CSAT
                                                3,1, NPS 1 detractor, 2 invitations
Tue 10 Mar WASTE     phone    (none)            3 contacts, 600 s over 2, 2 identified
Wed 1 Apr  WASTE     counter  WASTE-MISSED-BIN  2 contacts, 1 started, 1 completed
=========  ========  =======  ================  ==========================================

Cases: 2 Mar RATES/RATES-PAY 4 resolved, 3 within SLA; 1 Apr WASTE/WASTE-MISSED-BIN 1, 0.
Unit costs (test catalog): RATES-PAY web 40, phone 850; WASTE-MISSED-BIN none.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date
from typing import Any

import pytest
from flask import Flask

from cgcrm.metrics.kpis import kpi_report
from cgcrm.metrics.schemas import KpiReportSchema
from tests.metrics.rollup_rows import add_case_rollups, add_rollups

KPIS = "/api/v1/metrics/kpis"
RANGE = {"from": "2026-03-01", "to": "2026-04-05"}
ENTRY_KEYS = {
    "contacts",
    "contacts_by_channel",
    "transactions_started",
    "transactions_completed",
    "completion_rate",
    "digital_take_up",
    "user_satisfaction",
    "total_cost_minor",
    "cost_per_transaction_minor",
    "currency",
    "first_contact_resolution",
    "avoidable_contact_rate",
    "average_handling_seconds",
    "sla_attainment",
    "nps",
    "customer_effort",
    "survey_response_rate",
}
NO_CONTACTS = dict.fromkeys(
    ("web", "mobile_app", "email", "chat", "phone", "counter", "mail", "outreach"), 0
)


@pytest.fixture
def data(app: Flask) -> None:
    add_rollups(
        app,
        (
            date(2026, 3, 2),
            "CUSTOMER",
            "web",
            "RATES-PAY",
            {
                "interactions": 10,
                "transactions_started": 6,
                "transactions_completed": 4,
                "inbound_identified": 8,
                "avoidable": 2,
                "fcr_eligible": 5,
                "fcr_repeated": 1,
                "csat_5": 3,
                "csat_4": 1,
                "csat_2": 1,
                "nps_responses": 4,
                "nps_promoters": 3,
                "nps_detractors": 1,
                "effort_responses": 2,
                "effort_total": 5,
                "invitations_sent": 6,
                "invited_responses": 3,
            },
        ),
        (
            date(2026, 3, 2),
            "CUSTOMER",
            "phone",
            "RATES-PAY",
            {
                "interactions": 5,
                "transactions_started": 2,
                "transactions_completed": 2,
                "handling_seconds": 1500,
                "handled": 5,
                "inbound_identified": 5,
                "avoidable": 1,
                "fcr_eligible": 4,
                "fcr_repeated": 2,
                "csat_3": 1,
                "csat_1": 1,
                "nps_responses": 1,
                "nps_detractors": 1,
                "invitations_sent": 2,
            },
        ),
        (
            date(2026, 3, 10),
            "WASTE",
            "phone",
            None,
            {"interactions": 3, "handling_seconds": 600, "handled": 2, "inbound_identified": 2},
        ),
        (
            date(2026, 4, 1),
            "WASTE",
            "counter",
            "WASTE-MISSED-BIN",
            {"interactions": 2, "transactions_started": 1, "transactions_completed": 1},
        ),
    )
    add_case_rollups(
        app,
        (date(2026, 3, 2), "RATES", "RATES-PAY", 4, 3),
        (date(2026, 4, 1), "WASTE", "WASTE-MISSED-BIN", 1, 0),
    )


@pytest.fixture
def analyst(make_api: Any) -> Any:
    return make_api("metrics:read")


def _kpis(analyst: Any, **params: str) -> dict[str, Any]:
    response = analyst.get(KPIS, query_string={**RANGE, **params})
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def test_totals_equal_the_figures_worked_on_paper(data: None, analyst: Any) -> None:
    body = _kpis(analyst)
    totals = body["totals"]
    assert set(totals) == ENTRY_KEYS
    assert totals["contacts"] == 20
    assert totals["contacts_by_channel"] == {**NO_CONTACTS, "web": 10, "phone": 8, "counter": 2}
    assert totals["transactions_started"] == 9
    assert totals["transactions_completed"] == 7
    assert totals["completion_rate"] == pytest.approx(7 / 9)
    assert totals["digital_take_up"] == pytest.approx(4 / 7)
    # 10 x 40 on the web + 5 x 850 on the phone; no cost for contacts about no service or
    # for a service without unit costs.
    assert totals["total_cost_minor"] == 4650
    assert totals["cost_per_transaction_minor"] == pytest.approx(4650 / 7)
    assert totals["currency"] == "AUD"
    assert totals["first_contact_resolution"] == pytest.approx(1 - 3 / 9)
    assert totals["avoidable_contact_rate"] == pytest.approx(3 / 15)
    assert totals["average_handling_seconds"] == pytest.approx(2100 / 7)
    assert totals["sla_attainment"] == pytest.approx(3 / 5)
    assert totals["nps"] == pytest.approx(100 * (3 - 2) / 5)
    assert totals["customer_effort"] == pytest.approx(2.5)
    assert totals["survey_response_rate"] == pytest.approx(3 / 8)


def test_satisfaction_has_n_counts_mean_and_the_wilson_interval(data: None, analyst: Any) -> None:
    satisfaction = _kpis(analyst)["totals"]["user_satisfaction"]
    assert satisfaction["n"] == 7
    assert satisfaction["counts"] == {"1": 1, "2": 1, "3": 1, "4": 1, "5": 3}
    assert satisfaction["value"] == pytest.approx(4 / 7)
    assert satisfaction["mean"] == pytest.approx((1 + 2 + 3 + 4 + 15) / 7)
    # By hand: p = 4/7, n = 7, z = 1.959964, z² = 3.841459;
    # centre = (p + z²/2n) / (1 + z²/n) = 0.845818 / 1.548780 = 0.546119;
    # half = z·√(p(1-p)/n + z²/4n²) / (1 + z²/n) = 0.457914 / 1.548780 = 0.295661;
    # low = centre - half, high = centre + half.
    assert satisfaction["low"] == pytest.approx(0.250458, abs=1e-6)
    assert satisfaction["high"] == pytest.approx(0.841780, abs=1e-6)


def test_no_responses_give_null_rates_never_zero(data: None, analyst: Any) -> None:
    totals = _kpis(analyst, service="WASTE-MISSED-BIN")["totals"]
    assert totals["contacts"] == 2
    assert totals["user_satisfaction"] == {
        "value": None,
        "n": 0,
        "low": None,
        "high": None,
        "counts": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
        "mean": None,
    }
    for rate in (
        "first_contact_resolution",
        "avoidable_contact_rate",
        "average_handling_seconds",
        "nps",
        "customer_effort",
        "survey_response_rate",
    ):
        assert totals[rate] is None, rate
    assert totals["total_cost_minor"] == 0
    assert totals["cost_per_transaction_minor"] == 0.0
    assert totals["sla_attainment"] == 0.0
    assert totals["digital_take_up"] == 0.0


@pytest.mark.smoke
def test_one_channel_only(data: None, analyst: Any) -> None:
    web = _kpis(analyst, channel="web")["totals"]
    assert web["contacts"] == 10
    assert web["digital_take_up"] == 1.0
    assert web["completion_rate"] == pytest.approx(4 / 6)
    assert web["total_cost_minor"] == 400
    # Cases have no channel.
    assert web["sla_attainment"] is None
    phone = _kpis(analyst, channel="phone")["totals"]
    assert phone["digital_take_up"] == 0.0
    assert phone["average_handling_seconds"] == pytest.approx(2100 / 7)


def test_an_empty_range_has_every_period_and_null_rates(analyst: Any) -> None:
    body = _kpis(analyst, interval="month")
    assert [(p["period_start"], p["period_end"]) for p in body["series"]] == [
        ("2026-03-01", "2026-03-31"),
        ("2026-04-01", "2026-04-05"),
    ]
    totals = body["totals"]
    assert totals["contacts"] == 0
    assert totals["completion_rate"] is None
    assert totals["currency"] is None
    assert totals["cost_per_transaction_minor"] is None
    assert totals["sla_attainment"] is None


def test_weeks_are_iso_weeks_clipped_to_the_range(data: None, analyst: Any) -> None:
    body = _kpis(analyst, interval="week")
    assert body["interval"] == "week"
    # 1 March 2026 is a Sunday: the first week is that one day; 5 April is a Sunday too.
    spans = [(p["period_start"], p["period_end"]) for p in body["series"]]
    assert spans == [
        ("2026-03-01", "2026-03-01"),
        ("2026-03-02", "2026-03-08"),
        ("2026-03-09", "2026-03-15"),
        ("2026-03-16", "2026-03-22"),
        ("2026-03-23", "2026-03-29"),
        ("2026-03-30", "2026-04-05"),
    ]
    contacts = [p["contacts"] for p in body["series"]]
    assert contacts == [0, 15, 3, 0, 0, 2]
    assert [p["sla_attainment"] for p in body["series"]] == [None, 0.75, None, None, None, 0.0]
    assert all(set(p) == ENTRY_KEYS | {"period_start", "period_end"} for p in body["series"])


def test_days_and_months(data: None, analyst: Any) -> None:
    days = _kpis(analyst)["series"]
    assert len(days) == 36
    assert days[1]["period_start"] == days[1]["period_end"] == "2026-03-02"
    assert days[1]["contacts"] == 15
    months = _kpis(analyst, interval="month", to="2026-04-01")["series"]
    assert [(m["period_start"], m["contacts"]) for m in months] == [
        ("2026-03-01", 18),
        ("2026-04-01", 2),
    ]
    assert months[1]["period_end"] == "2026-04-01"
    assert months[0]["transactions_completed"] == 6
    assert months[0]["sla_attainment"] == 0.75


def test_group_by_service(data: None, analyst: Any) -> None:
    body = _kpis(analyst, group_by="service")
    groups = {g["key"]: g for g in body["groups"]}
    assert list(groups) == ["RATES-PAY", "WASTE-MISSED-BIN", None]
    assert groups["RATES-PAY"]["contacts"] == 15
    assert groups["RATES-PAY"]["sla_attainment"] == 0.75
    assert groups["RATES-PAY"]["total_cost_minor"] == 4650
    assert groups["WASTE-MISSED-BIN"]["sla_attainment"] == 0.0
    assert groups[None]["contacts"] == 3
    assert groups[None]["currency"] is None
    assert body["totals"]["contacts"] == 20


def test_group_by_department_counts_cases_in_their_department(data: None, analyst: Any) -> None:
    groups = {g["key"]: g for g in _kpis(analyst, group_by="department")["groups"]}
    assert set(groups) == {"CUSTOMER", "RATES", "WASTE"}
    assert groups["CUSTOMER"]["contacts"] == 15
    assert groups["CUSTOMER"]["sla_attainment"] is None
    # The rates department resolved cases but recorded no contacts.
    assert groups["RATES"]["contacts"] == 0
    assert groups["RATES"]["sla_attainment"] == 0.75
    assert groups["WASTE"]["contacts"] == 5
    assert groups["WASTE"]["average_handling_seconds"] == 300


def test_group_by_channel_has_no_sla(data: None, analyst: Any) -> None:
    body = _kpis(analyst, group_by="channel", department="CUSTOMER")
    groups = {g["key"]: g for g in body["groups"]}
    assert set(groups) == {"web", "phone"}
    assert groups["web"]["contacts_by_channel"] == {**NO_CONTACTS, "web": 10}
    assert groups["phone"]["digital_take_up"] == 0.0
    assert body["totals"]["sla_attainment"] is None
    assert body["department"] == "CUSTOMER"
    assert body["group_by"] == "channel"
    assert body["time_zone"] == "Australia/Sydney"
    assert "groups" not in _kpis(analyst)


def test_csv_has_a_row_for_the_totals_each_period_and_each_group(data: None, analyst: Any) -> None:
    response = analyst.get(
        KPIS,
        query_string={**RANGE, "interval": "month", "group_by": "service"},
        headers={"Accept": "text/csv"},
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["scope"], r["period_start"], r["key"]) for r in rows] == [
        ("total", "", ""),
        ("period", "2026-03-01", ""),
        ("period", "2026-04-01", ""),
        ("group", "", "RATES-PAY"),
        ("group", "", "WASTE-MISSED-BIN"),
        ("group", "", ""),
    ]
    total = rows[0]
    assert total["contacts"] == "20"
    assert total["contacts_by_channel.web"] == "10"
    assert math.isclose(float(total["completion_rate"]), 7 / 9)
    assert total["user_satisfaction.n"] == "7"
    assert total["user_satisfaction.counts.5"] == "3"
    assert rows[3]["currency"] == "AUD"
    assert rows[5]["user_satisfaction.value"] == ""  # null


@pytest.mark.smoke
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"to": "2026-02-28"}, "to"),
        ({"to": "2036-03-10"}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"service": "NO-SUCH"}, "service"),
        ({"department": "NOWHERE"}, "department"),
        ({"channel": "pigeon"}, "channel"),
        ({"interval": "year"}, "interval"),
        ({"group_by": "citizen"}, "group_by"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(
    analyst: Any, params: dict[str, str], field: str
) -> None:
    response = analyst.get(KPIS, query_string={**RANGE, **params})
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_a_missing_date_is_422(analyst: Any) -> None:
    response = analyst.get(KPIS, query_string={"from": "2026-03-01"})
    assert response.status_code == 422
    assert "to" in response.get_json()["errors"]


@pytest.mark.smoke
def test_metrics_read_is_required(client: Any, make_api: Any) -> None:
    assert client.get(KPIS, query_string=RANGE).status_code == 401
    clerk = make_api("citizens:read citizens:write")
    response = clerk.get(KPIS, query_string=RANGE)
    assert response.status_code == 403
    assert response.get_json()["required_scopes"] == ["metrics:read"]


@pytest.mark.smoke
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"interval": "week"},
        {"interval": "month", "service": "RATES-PAY"},
        {"group_by": "service"},
        {"group_by": "department", "department": "WASTE"},
        {"group_by": "channel"},
        {"channel": "web"},
    ],
)
def test_the_json_is_exactly_what_the_response_schema_dumps(
    app: Flask, data: None, analyst: Any, params: dict[str, str]
) -> None:
    body = _kpis(analyst, **params)
    with app.app_context():
        report = kpi_report(date(2026, 3, 1), date(2026, 4, 5), **params)
        expected = json.loads(app.json.dumps(KpiReportSchema().dump(report)))
    # As text: 1 and 1.0 are equal in Python but not the same JSON.
    assert json.dumps(body, sort_keys=True) == json.dumps(expected, sort_keys=True)
