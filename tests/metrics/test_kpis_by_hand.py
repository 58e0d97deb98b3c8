"""Every KPI of a small data set, written through the public API, equals the figure worked out
by hand below; ``flask metrics rebuild`` leaves every figure as it was.

TIME_ZONE is Australia/Sydney: in March 2026 local time is UTC+11 (AEDT); daylight saving ends
on Sunday 5 April 2026 at 03:00 local (clocks go back to 02:00, UTC+10).

Unit costs of the test catalog: RATES-PAY web 40, phone 850; WASTE-MISSED-BIN none.

The contacts (the rates system records for RATES, the waste system for WASTE):

    #  citizen  channel  service   dir  outcome    stage      ref  local start       handled
    1  A        web      RATES-PAY in   completed  started    T1   Mon 02 09:00      300 s
    2  A        phone    RATES-PAY in   completed  completed  T1   Wed 04 10:00      600 s
    3  B        web      RATES-PAY in   completed  completed  T2   Tue 03 12:00      -
    4  B        web      RATES-PAY in   completed  completed  T2   Tue 03 12:30      -
    5  C        phone    WASTE     in   resolved   -          -    Thu 05 08:00      240 s
    6  -        web      RATES-PAY in   referred   started    T3   Fri 06 23:30      -
    7  C        phone    WASTE     out  completed  -          -    Fri 06 11:00      -
    8  -        web      (none)    in   resolved   -          -    Sat 07 00:30      -

Staff-recorded answers: about 2: CSAT 5, NPS 9, effort 2; about 3: CSAT 4, NPS 6; about 5:
CSAT 2, effort 5.

By hand, for 2 to 8 March:
- contacts 8: web 5 (1, 3, 4, 6, 8), phone 3 (2, 5, 7).
- transactions started 3 (T1 at 1, T2 at 3 in one contact, T3 at 6); completed 2 (T1 at 2,
  T2 at 3); contact 4 repeats T2's completion and counts nothing. Completion 2/3.
- digital take-up: completions on digital channels 1 (3, web) of 2 = 0.5.
- satisfaction: 2 of 3 answers are 4 or 5: 2/3; Wilson 95 % (z = 1.959964, n = 3):
  centre (p + z²/2n)/(1 + z²/n) = 0.573083, half-width 0.365424: [0.207659, 0.938507].
  Mean CSAT 11/3. NPS: one promoter (9), one detractor (6) of 2: 0. Effort (2 + 5)/2 = 3.5.
- cost: RATES-PAY contacts on the web 1, 3, 4, 6 (4 x 40) and by phone 2 (850): 1010;
  per completed transaction 1010/2 = 505.0.
- inbound contacts by an identified citizen: 1, 2, 3, 4, 5 (6 and 8 are anonymous, 7 is
  outbound). Avoidable: 2 follows 1 within 7 days, 4 follows 3: 2/5 = 0.4.
  Resolved or completed: 1, 2, 3, 4, 5; followed within 7 days by another about the same
  service: 1 (by 2) and 3 (by 4); first-contact resolution 3/5 = 0.6.
- handling: 300 + 600 + 240 over 3 contacts = 380 s.
- no cases resolved: SLA attainment null; no invitations: response rate null.
- contact 6 at 23:30 on the 6th (12:30 UTC) is on the 6th; contact 8 at 00:30 on the 7th
  (13:30 UTC on the 6th) is on the 7th.
Across the end of daylight saving: a contact at 23:30 on 4 April (+11:00, 12:30 UTC) counts on
the 4th, one at 23:30 on 5 April (+10:00, 13:30 UTC) on the 5th, and one at 00:30 on 6 April
(+10:00, 14:30 UTC on the 5th) on the 6th.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.conftest import Api, new_citizen_payload

PERIOD = {"from": "2026-03-02", "to": "2026-03-08"}


def _contact(api: Api, **fields: Any) -> str:
    body = {"direction": "inbound", **fields}
    response = api.post("/api/v1/interactions", json=body)
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def _citizen(api: Api, given: str) -> str:
    payload = new_citizen_payload(given_name=given)
    response = api.post("/api/v1/citizens?on_match=create", json=payload)
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def _answer(api: Api, interaction_id: str, **scores: Any) -> None:
    response = api.post(
        "/api/v1/surveys/responses", json={"interaction_id": interaction_id, **scores}
    )
    assert response.status_code == 201, response.get_json()


@pytest.fixture
def hand_data(rates: Api, waste: Api, burst_worker: Any) -> None:
    a, b, c = (_citizen(rates, name) for name in ("Alice", "Bruno", "Chen"))
    rates_pay = {"service_code": "RATES-PAY"}
    waste_bin = {"service_code": "WASTE-MISSED-BIN"}
    _contact(
        rates, citizen_id=a, channel="web", outcome="completed", transaction_stage="started",
        transaction_ref="T1", started_at="2026-03-02T09:00:00+11:00",
        ended_at="2026-03-02T09:05:00+11:00", **rates_pay,
    )  # fmt: skip
    c2 = _contact(
        rates, citizen_id=a, channel="phone", outcome="completed", transaction_stage="completed",
        transaction_ref="T1", started_at="2026-03-04T10:00:00+11:00",
        ended_at="2026-03-04T10:10:00+11:00", **rates_pay,
    )  # fmt: skip
    c3 = _contact(
        rates, citizen_id=b, channel="web", outcome="completed", transaction_stage="completed",
        transaction_ref="T2", started_at="2026-03-03T12:00:00+11:00", **rates_pay,
    )  # fmt: skip
    _contact(
        rates, citizen_id=b, channel="web", outcome="completed", transaction_stage="completed",
        transaction_ref="T2", started_at="2026-03-03T12:30:00+11:00", **rates_pay,
    )  # fmt: skip
    c5 = _contact(
        waste, citizen_id=c, channel="phone", outcome="resolved",
        started_at="2026-03-05T08:00:00+11:00", ended_at="2026-03-05T08:04:00+11:00",
        **waste_bin,
    )  # fmt: skip
    _contact(
        rates, channel="web", outcome="referred", transaction_stage="started",
        transaction_ref="T3", started_at="2026-03-06T23:30:00+11:00", **rates_pay,
    )  # fmt: skip
    _contact(
        waste, citizen_id=c, channel="phone", outcome="completed", direction="outbound",
        started_at="2026-03-06T11:00:00+11:00", **waste_bin,
    )  # fmt: skip
    _contact(rates, channel="web", outcome="resolved", started_at="2026-03-07T00:30:00+11:00")
    for moment in ("2026-04-04T23:30:00+11:00", "2026-04-05T23:30:00+10:00"):
        _contact(rates, channel="web", outcome="resolved", started_at=moment)
    _contact(rates, channel="web", outcome="resolved", started_at="2026-04-06T00:30:00+10:00")
    _answer(rates, c2, csat=5, nps=9, effort=2)
    _answer(rates, c3, csat=4, nps=6)
    _answer(waste, c5, csat=2, effort=5)
    burst_worker()


@pytest.fixture
def analyst(make_api: Any) -> Api:
    return make_api("metrics:read")


def _kpis(analyst: Api, **query: str) -> dict[str, Any]:
    response = analyst.get("/api/v1/metrics/kpis", query_string=query)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def _assert_hand_totals(totals: dict[str, Any]) -> None:
    assert totals["contacts"] == 8
    by_channel = totals["contacts_by_channel"]
    assert {code: n for code, n in by_channel.items() if n} == {"web": 5, "phone": 3}
    assert totals["transactions_started"] == 3
    assert totals["transactions_completed"] == 2
    assert totals["completion_rate"] == pytest.approx(2 / 3)
    assert totals["digital_take_up"] == pytest.approx(0.5)
    satisfaction = totals["user_satisfaction"]
    assert satisfaction["value"] == pytest.approx(2 / 3)
    assert satisfaction["n"] == 3
    assert satisfaction["low"] == pytest.approx(0.207659, abs=1e-5)
    assert satisfaction["high"] == pytest.approx(0.938507, abs=1e-5)
    assert satisfaction["counts"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert totals["nps"] == pytest.approx(0)
    assert totals["customer_effort"] == pytest.approx(3.5)
    assert totals["total_cost_minor"] == 1010
    assert totals["cost_per_transaction_minor"] == pytest.approx(505.0)
    assert totals["currency"] == "AUD"
    assert totals["first_contact_resolution"] == pytest.approx(0.6)
    assert totals["avoidable_contact_rate"] == pytest.approx(0.4)
    assert totals["average_handling_seconds"] == pytest.approx(380)
    assert totals["sla_attainment"] is None
    assert totals["survey_response_rate"] is None


def test_every_kpi_equals_the_hand_figure(hand_data: None, analyst: Api) -> None:
    _assert_hand_totals(_kpis(analyst, **PERIOD)["totals"])


def test_days_of_the_series_are_local_days(hand_data: None, analyst: Api) -> None:
    series = {e["period_start"]: e for e in _kpis(analyst, **PERIOD, interval="day")["series"]}
    assert sorted(series) == [f"2026-03-0{day}" for day in range(2, 9)]
    assert {day: e["contacts"] for day, e in series.items()} == {
        "2026-03-02": 1,
        "2026-03-03": 2,
        "2026-03-04": 1,
        "2026-03-05": 1,
        "2026-03-06": 2,  # 6 (23:30 local) and 7
        "2026-03-07": 1,  # 8 (00:30 local, still the 6th in UTC)
        "2026-03-08": 0,
    }
    assert series["2026-03-02"]["transactions_started"] == 1
    assert series["2026-03-02"]["completion_rate"] == pytest.approx(0)
    # T1 started on the 2nd and completed on the 4th: the completion counts on the 4th only.
    assert series["2026-03-04"]["transactions_started"] == 0
    assert series["2026-03-04"]["transactions_completed"] == 1
    assert series["2026-03-04"]["completion_rate"] is None
    assert series["2026-03-08"]["user_satisfaction"]["value"] is None
    assert series["2026-03-08"]["user_satisfaction"]["n"] == 0


def test_a_transaction_spanning_two_periods_counts_in_each(hand_data: None, analyst: Api) -> None:
    first = _kpis(analyst, **{"from": "2026-03-02", "to": "2026-03-03"})["totals"]
    second = _kpis(analyst, **{"from": "2026-03-04", "to": "2026-03-08"})["totals"]
    assert (first["transactions_started"], first["transactions_completed"]) == (2, 1)
    assert (second["transactions_started"], second["transactions_completed"]) == (1, 1)
    assert second["completion_rate"] == pytest.approx(1.0)


def test_days_across_the_end_of_daylight_saving(hand_data: None, analyst: Api) -> None:
    body = _kpis(analyst, **{"from": "2026-04-04", "to": "2026-04-06"}, interval="day")
    assert [(e["period_start"], e["contacts"]) for e in body["series"]] == [
        ("2026-04-04", 1),
        ("2026-04-05", 1),
        ("2026-04-06", 1),
    ]


def test_grouped_by_channel(hand_data: None, analyst: Api) -> None:
    groups = {g["key"]: g for g in _kpis(analyst, **PERIOD, group_by="channel")["groups"]}
    web, phone = groups["web"], groups["phone"]
    # web: T1 and T3 started there, T2 started and completed at 3; phone: T1 completed at 2.
    assert (web["transactions_started"], web["transactions_completed"]) == (3, 1)
    assert (phone["transactions_started"], phone["transactions_completed"]) == (0, 1)
    assert web["digital_take_up"] == pytest.approx(1.0)
    assert phone["digital_take_up"] == pytest.approx(0.0)
    assert web["total_cost_minor"] == 160
    assert phone["total_cost_minor"] == 850
    # Answers about web contacts: 3 (CSAT 4); about phone contacts: 2 (CSAT 5) and 5 (CSAT 2).
    assert web["user_satisfaction"]["n"] == 1
    assert phone["user_satisfaction"]["value"] == pytest.approx(0.5)
    assert web["sla_attainment"] is None


def test_a_rebuild_leaves_every_figure_unchanged(hand_data: None, analyst: Api, app: Flask) -> None:
    before = [
        _kpis(analyst, **PERIOD),
        _kpis(analyst, **PERIOD, interval="week", group_by="service"),
        _kpis(analyst, **{"from": "2026-04-04", "to": "2026-04-06"}),
    ]
    result = app.test_cli_runner().invoke(
        args=["metrics", "rebuild", "--from", "2026-02-01", "--to", "2026-04-30"]
    )
    assert result.exit_code == 0, result.output
    after = [
        _kpis(analyst, **PERIOD),
        _kpis(analyst, **PERIOD, interval="week", group_by="service"),
        _kpis(analyst, **{"from": "2026-04-04", "to": "2026-04-06"}),
    ]
    assert after == before
    _assert_hand_totals(after[0]["totals"])
