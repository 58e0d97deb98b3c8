"""Notes on a case, and the contacts (interactions) linked to it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from tests.cases.conftest import URL, events, move, open_case
from tests.conftest import new_citizen_payload


def record_contact(api: Any, citizen_id: str | None, service_code: str = "RATES-PAY") -> str:
    response = api.post(
        "/api/v1/interactions",
        json={
            "citizen_id": citizen_id,
            "channel": "phone",
            "service_code": service_code,
            "started_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
            "outcome": "follow_up",
        },
    )
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


@pytest.mark.smoke
def test_notes_are_signed_and_listed_oldest_first(app: Flask, rates: Any) -> None:
    case = open_case(rates)
    url = f"{URL}/{case['id']}/notes"
    first = rates.post(url, json={"text": "Called the citizen.\nNo answer."})
    assert first.status_code == 201, first.get_json()
    note = first.get_json()
    assert note["author"] == f"client:{rates.client_id}"
    assert note["author_department_code"] == "RATES"
    assert note["text"] == "Called the citizen.\nNo answer."
    rates.post(url, json={"text": "Second"})
    assert [n["text"] for n in rates.get(url).get_json()] == [note["text"], "Second"]
    added = events(app, case["id"], "case.note_added")
    assert added[0].payload["note_id"] == note["id"]
    assert "text" not in added[0].payload
    # A note does not change the case, so nobody's If-Match goes stale.
    assert rates.get(f"{URL}/{case['id']}").headers["ETag"] == '"v1"'


def test_bad_notes_are_422(rates: Any) -> None:
    case = open_case(rates)
    for text in ("", "   ", "x" * 4001, "nul\x00byte", 7, None):
        response = rates.post(f"{URL}/{case['id']}/notes", json={"text": text})
        assert response.status_code == 422, text
        assert "text" in response.get_json()["errors"]
    assert rates.get(f"{URL}/{case['id']}/notes").get_json() == []


def test_link_a_contact_to_a_case(app: Flask, rates: Any, citizen_id: str) -> None:
    case = open_case(rates, citizen_id=citizen_id)
    contact = record_contact(rates, citizen_id)
    url = f"{URL}/{case['id']}/interactions"
    linked = rates.post(url, json={"interaction_id": contact})
    assert linked.status_code == 201, linked.get_json()
    assert linked.get_json()["case_id"] == case["id"]
    again = rates.post(url, json={"interaction_id": contact})
    assert again.status_code == 200
    assert [i["id"] for i in rates.get(url).get_json()] == [contact]
    assert len(events(app, case["id"], "case.interaction_linked")) == 1

    other_case = open_case(rates, citizen_id=citizen_id)
    moved = rates.post(f"{URL}/{other_case['id']}/interactions", json={"interaction_id": contact})
    assert moved.status_code == 409


def test_a_contact_that_cannot_be_linked_is_422(rates: Any, waste: Any, citizen_id: str) -> None:
    case = open_case(rates, citizen_id=citizen_id)
    url = f"{URL}/{case['id']}/interactions"
    jane = new_citizen_payload(given_name="Jane")
    other = rates.post("/api/v1/citizens?on_match=create", json=jane)
    someone_else = record_contact(rates, other.get_json()["id"])
    invisible = record_contact(waste, citizen_id, "WASTE-MISSED-BIN")
    for interaction_id in (someone_else, invisible, str(uuid.uuid4())):
        response = rates.post(url, json={"interaction_id": interaction_id})
        assert response.status_code == 422, response.get_json()
        assert "interaction_id" in response.get_json()["errors"]
    anonymous = record_contact(rates, None)
    assert rates.post(url, json={"interaction_id": anonymous}).status_code == 201


def test_a_contact_recorded_with_a_case_id_is_listed_on_it(rates: Any, citizen_id: str) -> None:
    case = open_case(rates, citizen_id=citizen_id)
    response = rates.post(
        "/api/v1/interactions",
        json={
            "citizen_id": citizen_id,
            "case_id": case["id"],
            "channel": "web",
            "started_at": datetime.now(UTC).isoformat(),
            "outcome": "completed",
        },
    )
    assert response.status_code == 201, response.get_json()
    listed = rates.get(f"{URL}/{case['id']}/interactions").get_json()
    assert [i["id"] for i in listed] == [response.get_json()["id"]]


def test_a_closed_case_takes_no_notes_but_a_resolved_one_does(rates: Any) -> None:
    case = open_case(rates)
    url = f"{URL}/{case['id']}/notes"
    resolved = move(rates, case, "resolved")
    assert resolved.status_code == 200, resolved.get_json()
    assert rates.post(url, json={"text": "Citizen confirmed"}).status_code == 201
    closed = move(rates, resolved.get_json(), "closed")
    assert closed.status_code == 200, closed.get_json()

    refused = rates.post(url, json={"text": "Too late"})
    assert refused.status_code == 409
    assert refused.content_type == "application/problem+json"
    problem = refused.get_json()
    assert problem["type"].endswith("/case-closed")
    assert "closed" in problem["detail"] and "new case" in problem["detail"]
    assert [n["text"] for n in rates.get(url).get_json()] == ["Citizen confirmed"]
