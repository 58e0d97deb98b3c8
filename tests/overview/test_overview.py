"""The 360 view: one story across channels, in a fixed number of queries, scoped by department."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import counting_queries
from tests.consent_helpers import grant_sharing


def contact(citizen_id: str, channel: str, hours_ago: float, **extra: Any) -> dict[str, Any]:
    started = datetime.now(UTC) - timedelta(hours=hours_ago)
    return {
        "citizen_id": citizen_id,
        "channel": channel,
        "service_code": "RATES-PAY",
        "started_at": started.isoformat(),
        "outcome": "follow_up",
        **extra,
    }


def record(api: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/api/v1/interactions", json=body)
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def open_case(api: Any, citizen_id: str, service_code: str = "RATES-PAY") -> dict[str, Any]:
    response = api.post(
        "/api/v1/cases",
        json={"citizen_id": citizen_id, "service_code": service_code, "summary": "Rates query"},
    )
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def test_overview_tells_one_story_across_channels(rates: Any, citizen_id: str):
    record(rates, contact(citizen_id, "phone", 50, transaction_stage="started"))
    case = open_case(rates, citizen_id)
    record(rates, contact(citizen_id, "counter", 26, case_id=case["id"]))
    record(
        rates,
        contact(citizen_id, "web", 1, outcome="completed", transaction_stage="completed"),
    )

    response = rates.get(f"/api/v1/citizens/{citizen_id}/overview")
    assert response.status_code == 200, response.get_json()
    view = response.get_json()
    assert view["citizen"]["id"] == citizen_id
    assert view["citizen"]["contact_points"]
    assert [i["channel"] for i in view["latest_interactions"]] == ["web", "counter", "phone"]
    assert view["latest_interactions"][1]["case_id"] == case["id"]
    assert {c["channel"]: c["interactions"] for c in view["channels"]} == {
        "phone": 1,
        "counter": 1,
        "web": 1,
    }
    assert view["last_channel"] == "web"
    assert view["interaction_count"] == 3
    assert [c["reference"] for c in view["open_cases"]] == [case["reference"]]
    assert view["open_cases"][0]["sla"]["state"] in {"on_track", "due_soon"}
    assert view["withheld"] == {
        "interactions": 0,
        "open_cases": 0,
        "payments": 0,
        "satisfaction": 0,
    }


def test_query_count_does_not_grow_with_history(app: Any, rates: Any, citizen_id: str):
    record(rates, contact(citizen_id, "phone", 5))
    open_case(rates, citizen_id)
    with counting_queries(app) as small:
        assert rates.get(f"/api/v1/citizens/{citizen_id}/overview").status_code == 200

    for n, channel in enumerate(["web", "email", "chat", "counter", "mail", "mobile_app"] * 5):
        record(rates, contact(citizen_id, channel, n + 6))
    for _ in range(4):
        open_case(rates, citizen_id)
    with counting_queries(app) as large:
        view = rates.get(f"/api/v1/citizens/{citizen_id}/overview").get_json()
    assert view["interaction_count"] == 31 and len(view["open_cases"]) == 5
    assert len(large) == len(small), "\n".join(large)


def test_other_departments_records_are_withheld_and_counted(
    rates: Any, waste: Any, citizen_id: str
):
    record(rates, contact(citizen_id, "phone", 3))
    record(waste, contact(citizen_id, "web", 2, service_code="WASTE-MISSED-BIN"))
    open_case(waste, citizen_id, "WASTE-MISSED-BIN")

    view = rates.get(f"/api/v1/citizens/{citizen_id}/overview").get_json()
    assert [i["channel"] for i in view["latest_interactions"]] == ["phone"]
    assert view["open_cases"] == []
    assert view["withheld"] == {
        "interactions": 1,
        "open_cases": 1,
        "payments": 0,
        "satisfaction": 0,
    }
    assert view["last_channel"] == "phone"


def test_consent_to_share_across_government_opens_the_view(
    rates: Any, waste: Any, citizen_id: str, make_api: Any
):
    record(waste, contact(citizen_id, "web", 2, service_code="WASTE-MISSED-BIN"))
    grant_sharing(make_api, "RATES", citizen_id, channel="counter")
    view = rates.get(f"/api/v1/citizens/{citizen_id}/overview").get_json()
    # The counter contact the consent was given in, then the waste department's.
    assert [i["channel"] for i in view["latest_interactions"]] == ["counter", "web"]
    assert view["withheld"]["interactions"] == 0

    withdrawn = {"purpose": "whole_of_government_sharing", "granted": False, "channel": "phone"}
    assert rates.post(f"/api/v1/citizens/{citizen_id}/consents", json=withdrawn).status_code == 201
    view = rates.get(f"/api/v1/citizens/{citizen_id}/overview").get_json()
    assert [i["channel"] for i in view["latest_interactions"]] == ["counter"]


def test_cross_department_role_sees_everything(make_api: Any, waste: Any, citizen_id: str):
    record(waste, contact(citizen_id, "web", 2, service_code="WASTE-MISSED-BIN"))
    ombudsman = make_api("citizens:read cross_department", "CUSTOMER")
    view = ombudsman.get(f"/api/v1/citizens/{citizen_id}/overview").get_json()
    assert len(view["latest_interactions"]) == 1


def test_overview_read_is_audited(make_api: Any, rates: Any, citizen_id: str):
    rates.get(
        f"/api/v1/citizens/{citizen_id}/overview", headers={"X-Access-Reason": "phone enquiry"}
    )
    auditor = make_api("audit", "CUSTOMER")
    trail = auditor.get(f"/api/v1/citizens/{citizen_id}/audit").get_json()
    assert [e["reason"] for e in trail if e["action"] == "citizen.overview_read"] == [
        "phone enquiry"
    ]


def test_unknown_citizen_is_404(rates: Any):
    response = rates.get("/api/v1/citizens/0190a0a0-0000-7000-8000-000000000000/overview")
    assert response.status_code == 404


def test_satisfaction_answers_are_in_the_view_scoped_by_department(
    rates: Any, waste: Any, citizen_id: str
):
    answered = record(rates, contact(citizen_id, "phone", 3))
    theirs = record(waste, contact(citizen_id, "web", 2, service_code="WASTE-MISSED-BIN"))
    for api, about, csat in ((rates, answered, 4), (waste, theirs, 1)):
        body = {"interaction_id": about["id"], "csat": csat, "comment": "thanks"}
        assert api.post("/api/v1/surveys/responses", json=body).status_code == 201

    view = rates.get(f"/api/v1/citizens/{citizen_id}/overview").get_json()
    assert view["satisfaction"]["answers"] == 1
    assert view["satisfaction"]["mean_csat"] == 4.0
    [latest] = view["satisfaction"]["latest"]
    assert latest["interaction_id"] == answered["id"] and latest["channel"] == "phone"
    assert latest["csat"] == 4 and latest["service_code"] == "RATES-PAY"
    assert latest["source"] == "staff"
    assert view["withheld"]["satisfaction"] == 1
