"""Opening, reading, listing and changing cases through the HTTP API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.core.audit import AuditEvent
from cgcrm.core.working_days import calendar_for
from cgcrm.extensions import db
from cgcrm.identity.service import create_user
from tests.cases.conftest import URL, events, move, open_case


@pytest.mark.smoke
def test_open_a_case_against_a_service(app: Flask, rates: Any, citizen_id: str) -> None:
    response = rates.post(
        URL,
        json={
            "service_code": "RATES-PAY",
            "citizen_id": citizen_id,
            "summary": "  Rates notice not received ",
            "priority": "high",
            "assigned_team": "rates-team-2",
        },
    )
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert response.headers["ETag"] == '"v1"'
    assert response.headers["Location"].endswith(f"{URL}/{case['id']}")
    assert case["status"] == "new"
    assert case["summary"] == "Rates notice not received"
    assert (case["service_code"], case["department_code"]) == ("RATES-PAY", "RATES")
    assert case["citizen_id"] == citizen_id
    assert case["assigned_team"] == "rates-team-2"
    assert case["allowed_transitions"] == ["in_progress", "awaiting_citizen", "resolved"]
    assert case["opened_by"].startswith("client:")
    opened_at = datetime.fromisoformat(case["opened_at"])
    assert datetime.fromisoformat(case["due_at"]) == calendar_for(app).due_at(opened_at, 2)
    assert case["sla"]["due_at"] == case["due_at"]
    assert case["sla"]["state"] in {"on_track", "due_soon"}
    assert case["sla"]["paused"] is False

    read = rates.get(f"{URL}/{case['id']}", headers={"X-Access-Reason": "citizen called"})
    assert read.status_code == 200
    assert read.headers["ETag"] == '"v1"'
    assert read.get_json() == case

    types = [event.type for event in events(app, case["id"])]
    assert types == ["case.opened", "case.assigned"]
    opened = events(app, case["id"], "case.opened")[0].payload
    assert opened["reference"] == case["reference"]
    assert opened["service_code"] == "RATES-PAY"
    assert "summary" not in opened  # no personal data in events

    with app.app_context():
        trail = db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.reason)
            .where(AuditEvent.citizen_id == uuid.UUID(citizen_id))
            .order_by(AuditEvent.seq)
        ).all()
        db.session.remove()
    assert [tuple(row) for row in trail[-2:]] == [
        ("case.opened", None),
        ("case.read", "citizen called"),
    ]


BAD_OPENINGS = [
    ({"service_code": "NO-SUCH"}, "service_code"),
    ({"citizen_id": str(uuid.uuid4())}, "citizen_id"),
    ({"assigned_user_id": str(uuid.uuid4())}, "assigned_user_id"),
    ({"priority": "whenever"}, "priority"),
    ({"summary": ""}, "summary"),
    ({"summary": "tab\x00nul"}, "summary"),
    ({"assigned_team": "rates team"}, "assigned_team"),
    ({"status": "resolved"}, "status"),
    ({"reference": "C-0000-0150"}, "reference"),
    ({"due_at": "2030-01-01T00:00:00Z"}, "due_at"),
    ({"id": str(uuid.uuid4())}, "id"),
]


def test_bad_opening_is_422_and_writes_nothing(app: Flask, rates: Any) -> None:
    for payload, field in BAD_OPENINGS:
        body = {"service_code": "RATES-PAY", "summary": "Help", **payload}
        response = rates.post(URL, json=body)
        assert response.status_code == 422, (payload, response.get_json())
        assert response.content_type == "application/problem+json"
        assert field in response.get_json()["errors"]
    assert rates.get(URL).get_json() == []


def test_idempotency_key_replays_the_first_response(app: Flask, rates: Any) -> None:
    payload = {"service_code": "RATES-PAY", "summary": "Pay by phone failed"}
    headers = {"Idempotency-Key": "case-key-1"}
    first = rates.post(URL, json=payload, headers=headers)
    again = rates.post(URL, json=payload, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert len(rates.get(URL).get_json()) == 1
    assert len(events(app, first.get_json()["id"], "case.opened")) == 1
    other = rates.post(URL, json={**payload, "summary": "Other"}, headers=headers)
    assert other.status_code == 422


def test_list_filters(rates: Any, waste: Any, citizen_id: str) -> None:
    a = open_case(rates, citizen_id=citizen_id, priority="urgent", assigned_team="rates-a")
    b = open_case(rates, summary="Another")
    c = open_case(waste, "WASTE-MISSED-BIN")
    resolved = move(rates, b, "resolved").get_json()

    def ids(api: Any, **query: Any) -> list[str]:
        response = api.get(URL, query_string=query)
        assert response.status_code == 200, response.get_json()
        return [case["id"] for case in response.get_json()]

    assert ids(rates) == [a["id"], b["id"]]
    assert ids(rates, citizen_id=citizen_id) == [a["id"]]
    assert ids(rates, status="resolved") == [resolved["id"]]
    assert ids(rates, open="true") == [a["id"]]
    assert ids(rates, open="false") == [b["id"]]
    assert ids(rates, priority="urgent") == [a["id"]]
    assert ids(rates, assigned_team="rates-a") == [a["id"]]
    assert ids(rates, service_code="RATES-PAY") == [a["id"], b["id"]]
    assert ids(rates, department_code="WASTE") == []
    assert ids(waste, department_code="WASTE") == [c["id"]]
    assert ids(rates, breached="false") == [a["id"], b["id"]]
    assert ids(rates, breached="true") == []


def test_list_is_paginated(rates: Any) -> None:
    opened = [open_case(rates, summary=f"Case {n}")["id"] for n in range(3)]
    first = rates.get(f"{URL}?limit=2")
    assert [c["id"] for c in first.get_json()] == opened[:2]
    link = first.headers["Link"]
    next_url = link[link.index("<") + 1 : link.index(">")]
    following = rates.get(next_url.replace("http://localhost", ""))
    assert [c["id"] for c in following.get_json()] == opened[2:]
    assert rates.get(f"{URL}?cursor=nonsense").status_code == 422


def test_patch_needs_if_match_and_changes_only_what_it_may(app: Flask, rates: Any) -> None:
    case = open_case(rates)
    url = f"{URL}/{case['id']}"
    assert rates.patch(url, json={"priority": "high"}).status_code == 428

    changed = rates.patch(url, json={"priority": "high"}, headers={"If-Match": '"v1"'})
    assert changed.status_code == 200, changed.get_json()
    assert changed.headers["ETag"] == '"v2"'
    assert changed.get_json()["priority"] == "high"

    stale = rates.patch(url, json={"summary": "x"}, headers={"If-Match": '"v1"'})
    assert stale.status_code == 412
    assert stale.get_json()["current_version"] == 2

    for field, value in [
        ("status", "closed"),
        ("reference", "C-0000-0150"),
        ("due_at", "2030-01-01T00:00:00Z"),
        ("version", 9),
        ("service_code", "WASTE-MISSED-BIN"),
        ("citizen_id", str(uuid.uuid4())),
    ]:
        refused = rates.patch(url, json={field: value}, headers={"If-Match": '"v2"'})
        assert refused.status_code == 422, field
        assert field in refused.get_json()["errors"]
    refused = rates.patch(url, json={"status": "closed"}, headers={"If-Match": '"v2"'})
    assert "transitions" in refused.get_json()["errors"]["status"][0]
    assert rates.patch(url, json={"summary": None}, headers={"If-Match": '"v2"'}).status_code == 422

    same = rates.patch(url, json={"priority": "high"}, headers={"If-Match": '"v2"'})
    assert same.headers["ETag"] == '"v2"'  # no change, no new version
    updated = events(app, case["id"], "case.updated")
    assert [event.payload["fields"] for event in updated] == [["priority"]]


def test_assignment_to_a_team_or_a_staff_user(app: Flask, rates: Any) -> None:
    with app.app_context():
        user = create_user("officer@example.gov", ["case_worker"], "RATES")
        user_id = str(user.id)
        db.session.remove()
    case = open_case(rates)
    url = f"{URL}/{case['id']}"
    assigned = rates.patch(
        url,
        json={"assigned_user_id": user_id, "assigned_team": "rates-team-2"},
        headers={"If-Match": '"v1"'},
    )
    assert assigned.status_code == 200, assigned.get_json()
    assert assigned.get_json()["assigned_user_id"] == user_id
    unknown = rates.patch(
        url, json={"assigned_user_id": str(uuid.uuid4())}, headers={"If-Match": '"v2"'}
    )
    assert unknown.status_code == 422
    assert "assigned_user_id" in unknown.get_json()["errors"]
    cleared = rates.patch(url, json={"assigned_user_id": None}, headers={"If-Match": '"v2"'})
    assert cleared.get_json()["assigned_user_id"] is None
    assert rates.get(URL, query_string={"assigned_user_id": user_id}).get_json() == []

    payloads = [event.payload for event in events(app, case["id"], "case.assigned")]
    assert [(p["assigned_team"], p["assigned_user_id"]) for p in payloads] == [
        ("rates-team-2", user_id),
        ("rates-team-2", None),
    ]
    assert events(app, case["id"], "case.updated") == []


def test_unknown_case_is_404_problem(rates: Any) -> None:
    missing = f"{URL}/{uuid.uuid4()}"
    for response in (
        rates.get(missing),
        rates.get(f"{missing}/notes"),
        rates.get(f"{missing}/transitions"),
        rates.patch(missing, json={"priority": "low"}, headers={"If-Match": '"v1"'}),
    ):
        assert response.status_code == 404
        assert response.content_type == "application/problem+json"


def test_reading_needs_citizens_read_and_writing_cases_write(make_api: Any, rates: Any) -> None:
    case = open_case(rates)
    reader = make_api("citizens:read", "RATES")
    assert reader.get(f"{URL}/{case['id']}").status_code == 200
    assert reader.post(URL, json={"service_code": "RATES-PAY", "summary": "x"}).status_code == 403
    assert move(reader, case, "in_progress").status_code == 403
    writer = make_api("cases:write", "RATES")
    assert writer.get(URL).status_code == 403
