"""Department A never sees department B's cases (nor their notes, history or contacts) unless
the citizen shares across government or A holds a cross-department role."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cases.conftest import URL, move, open_case
from tests.conftest import DEPARTMENT_SYSTEM
from tests.consent_helpers import grant_sharing


@pytest.fixture
def waste_case(waste: Any, citizen_id: str) -> dict[str, Any]:
    case = open_case(waste, "WASTE-MISSED-BIN", citizen_id=citizen_id, summary="Bin missed")
    note = waste.post(f"{URL}/{case['id']}/notes", json={"text": "Truck broke down"})
    assert note.status_code == 201
    return case


def hidden_from(api: Any, case: dict[str, Any]) -> None:
    base = f"{URL}/{case['id']}"
    for response in (
        api.get(base),
        api.get(f"{base}/notes"),
        api.get(f"{base}/transitions"),
        api.get(f"{base}/interactions"),
        api.post(f"{base}/notes", json={"text": "peek"}),
        move(api, case, "in_progress"),
        api.patch(base, json={"priority": "low"}, headers={"If-Match": '"v1"'}),
    ):
        assert response.status_code == 404, response.get_json()
        assert response.content_type == "application/problem+json"
    assert api.get(URL).get_json() == []
    assert api.get(URL, query_string={"reference": case["reference"]}).get_json() == []
    assert api.get(URL, query_string={"citizen_id": case["citizen_id"]}).get_json() == []


def visible_to(api: Any, case: dict[str, Any]) -> None:
    assert api.get(f"{URL}/{case['id']}").status_code == 200
    assert [c["id"] for c in api.get(URL).get_json()] == [case["id"]]
    notes = api.get(f"{URL}/{case['id']}/notes").get_json()
    assert [n["text"] for n in notes] == ["Truck broke down"]
    assert notes[0]["author_department_code"] == "WASTE"


@pytest.mark.smoke
def test_another_departments_case_is_not_found(rates: Any, waste_case: dict[str, Any]) -> None:
    hidden_from(rates, waste_case)


def test_anonymous_cases_stay_with_their_department(rates: Any, waste: Any) -> None:
    case = open_case(waste, "WASTE-MISSED-BIN")
    hidden_from(rates, case)
    assert waste.get(f"{URL}/{case['id']}").status_code == 200


def test_visible_when_the_citizen_shares_across_government(
    rates: Any, waste: Any, citizen_id: str, waste_case: dict[str, Any], make_api: Any
) -> None:
    grant_sharing(make_api, "RATES", citizen_id)
    visible_to(rates, waste_case)
    # Seeing is not owning: the workflow stays with the case's department; notes are shared.
    assert move(rates, waste_case, "in_progress").status_code == 403
    patched = rates.patch(
        f"{URL}/{waste_case['id']}", json={"priority": "low"}, headers={"If-Match": '"v1"'}
    )
    assert patched.status_code == 403
    assert rates.post(f"{URL}/{waste_case['id']}/notes", json={"text": "Called"}).status_code == 201

    withdrawn = rates.post(
        f"/api/v1/citizens/{citizen_id}/consents",
        json={"purpose": "whole_of_government_sharing", "granted": False, "channel": "phone"},
    )
    assert withdrawn.status_code == 201
    hidden_from(rates, waste_case)


def test_visible_with_the_cross_department_scope(make_api: Any, waste_case: dict[str, Any]) -> None:
    supervisor = make_api(f"{DEPARTMENT_SYSTEM} cross_department", "CUSTOMER")
    visible_to(supervisor, waste_case)
    assert move(supervisor, waste_case, "in_progress").status_code == 200
