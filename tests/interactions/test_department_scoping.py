"""Department A never sees department B's contacts unless the citizen shares or A spans all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.consent_helpers import grant_sharing


def contact(citizen_id: str | None, service_code: str) -> dict[str, Any]:
    return {
        "citizen_id": citizen_id,
        "channel": "phone",
        "service_code": service_code,
        "started_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "outcome": "resolved",
    }


@pytest.fixture
def waste_contact(waste: Any, citizen_id: str) -> dict[str, Any]:
    response = waste.post("/api/v1/interactions", json=contact(citizen_id, "WASTE-MISSED-BIN"))
    assert response.status_code == 201
    return dict(response.get_json())


def test_other_department_cannot_read_by_id_or_list(
    rates: Any, citizen_id: str, waste_contact: dict[str, Any]
):
    response = rates.get(f"/api/v1/interactions/{waste_contact['id']}")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert rates.get(f"/api/v1/interactions?citizen_id={citizen_id}").get_json() == []
    assert rates.get("/api/v1/interactions?department_code=WASTE").get_json() == []


def test_anonymous_contacts_stay_with_their_department(rates: Any, waste: Any):
    created = waste.post("/api/v1/interactions", json=contact(None, "WASTE-MISSED-BIN"))
    assert rates.get(f"/api/v1/interactions/{created.get_json()['id']}").status_code == 404
    assert len(waste.get("/api/v1/interactions").get_json()) == 1


def test_whole_of_government_consent_shares(
    rates: Any, citizen_id: str, waste_contact: dict[str, Any], make_api: Any
):
    given_in = grant_sharing(make_api, "RATES", citizen_id)
    assert rates.get(f"/api/v1/interactions/{waste_contact['id']}").status_code == 200
    listed = rates.get(f"/api/v1/interactions?citizen_id={citizen_id}").get_json()
    assert [i["id"] for i in listed] == [given_in["id"], waste_contact["id"]]


def test_cross_department_scope_sees_all(make_api: Any, waste_contact: dict[str, Any]):
    reviewer = make_api("citizens:read cross_department", "CUSTOMER")
    assert reviewer.get(f"/api/v1/interactions/{waste_contact['id']}").status_code == 200


def test_recording_for_another_department_needs_cross_department(make_api: Any):
    hub = make_api("interactions:write citizens:read cross_department", "CUSTOMER")
    body = {**contact(None, "WASTE-MISSED-BIN"), "department_code": "WASTE"}
    response = hub.post("/api/v1/interactions", json=body)
    assert response.status_code == 201
    assert response.get_json()["department_code"] == "WASTE"
