"""The workflow through the API: transitions, their history, the SLA clock and its pauses."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from cgcrm.core.clock import utcnow
from cgcrm.core.working_days import calendar_for
from tests.cases.conftest import URL, events, move, open_case, set_case_times

PATHS = [
    ["in_progress", "awaiting_citizen", "in_progress", "resolved", "closed"],
    ["resolved", "closed"],
    ["awaiting_citizen", "resolved", "in_progress", "resolved"],
]


def walk(api: Any, case: dict[str, Any], path: list[str]) -> dict[str, Any]:
    for target in path:
        response = move(api, case, target, reason=f"to {target}")
        assert response.status_code == 200, (target, response.get_json())
        assert response.headers["ETag"] == f'"v{case["version"] + 1}"'
        case = response.get_json()
        assert case["status"] == target
    return case


@pytest.mark.parametrize("path", PATHS)
def test_every_allowed_transition(app: Flask, rates: Any, path: list[str]) -> None:
    case = open_case(rates)
    final = walk(rates, case, path)
    changes = [event.payload for event in events(app, case["id"], "case.status_changed")]
    assert [(c["from"], c["to"]) for c in changes] == list(zip(["new", *path], path, strict=False))
    if final["status"] == "closed":
        assert final["allowed_transitions"] == []
        assert final["closed_at"] is not None
        assert final["sla"]["state"] == "met"


@pytest.mark.smoke
def test_a_transition_the_workflow_forbids_is_409_listing_what_it_allows(rates: Any) -> None:
    case = open_case(rates)
    refused = move(rates, case, "closed")
    assert refused.status_code == 409
    assert refused.content_type == "application/problem+json"
    body = refused.get_json()
    assert body["allowed_transitions"] == ["in_progress", "awaiting_citizen", "resolved"]
    assert "new" in body["detail"] and "closed" in body["detail"]
    assert move(rates, case, "new").status_code == 409

    closed = walk(rates, case, ["resolved", "closed"])
    final = move(rates, closed, "in_progress")
    assert final.status_code == 409
    assert final.get_json()["allowed_transitions"] == []


def test_transitions_need_if_match_and_a_valid_body(rates: Any) -> None:
    case = open_case(rates)
    url = f"{URL}/{case['id']}/transitions"
    assert rates.post(url, json={"to": "in_progress"}).status_code == 428
    stale = rates.post(url, json={"to": "in_progress"}, headers={"If-Match": '"v7"'})
    assert stale.status_code == 412
    bodies = [{"to": "done"}, {}, {"to": "resolved", "reason": "x" * 501}, {"to": "new", "x": 1}]
    for body in bodies:
        assert rates.post(url, json=body, headers={"If-Match": '"v1"'}).status_code == 422


def test_transitions_are_recorded_with_who_when_why(rates: Any) -> None:
    case = open_case(rates)
    before = utcnow()
    walk(rates, case, ["in_progress"])
    history = rates.get(f"{URL}/{case['id']}/transitions")
    assert history.status_code == 200
    first, second = history.get_json()
    assert (first["from"], first["to"], first["reason"]) == (None, "new", None)
    assert (second["from"], second["to"]) == ("new", "in_progress")
    assert second["reason"] == "to in_progress"
    assert second["by"] == f"client:{rates.client_id}"
    assert second["department_code"] == "RATES"
    assert datetime.fromisoformat(second["at"]) >= before
    page = rates.get(f"{URL}/{case['id']}/transitions?limit=1")
    assert [t["to"] for t in page.get_json()] == ["new"]
    assert 'rel="next"' in page.headers["Link"]


def test_reopen_within_the_window_only(app: Flask, rates: Any) -> None:
    case = walk(rates, open_case(rates), ["in_progress", "resolved"])
    assert case["allowed_transitions"] == ["in_progress", "closed"]
    reopened = walk(rates, case, ["in_progress"])
    assert reopened["resolved_at"] is None

    resolved = walk(rates, reopened, ["resolved"])
    window = app.config["CASE_REOPEN_WINDOW_DAYS"]
    set_case_times(app, case["id"], resolved_at=utcnow() - timedelta(days=window, minutes=1))
    late = move(rates, resolved, "in_progress")
    assert late.status_code == 409
    assert late.get_json()["allowed_transitions"] == ["closed"]
    assert "reopen window" in late.get_json()["detail"]
    assert rates.get(f"{URL}/{case['id']}").get_json()["allowed_transitions"] == ["closed"]


def test_waiting_for_the_citizen_pauses_the_clock_and_moves_the_due_date(
    app: Flask, rates: Any
) -> None:
    case = walk(rates, open_case(rates), ["in_progress", "awaiting_citizen"])
    assert case["sla"]["state"] == "paused"
    assert case["sla"]["paused"] is True
    assert rates.get(URL, query_string={"breached": "true"}).get_json() == []

    # As if the citizen took three days to answer.
    paused_at = utcnow() - timedelta(days=3)
    set_case_times(app, case["id"], sla_paused_at=paused_at)
    resumed = walk(rates, case, ["in_progress"])
    resumed_at = datetime.fromisoformat(
        rates.get(f"{URL}/{case['id']}/transitions").get_json()[-1]["at"]
    )
    calendar = calendar_for(app)
    paused_for = calendar.working_seconds_between(paused_at, resumed_at)
    assert paused_for > 0
    expected_due = calendar.add_working_seconds(datetime.fromisoformat(case["due_at"]), paused_for)
    assert datetime.fromisoformat(resumed["due_at"]) == expected_due
    assert resumed["sla"]["paused"] is False
    assert resumed["sla"]["paused_seconds"] == paused_for


def test_resolving_late_flags_the_breach_once(app: Flask, rates: Any) -> None:
    case = open_case(rates)
    set_case_times(app, case["id"], due_at=utcnow() - timedelta(hours=1))
    assert rates.get(URL, query_string={"breached": "true"}).get_json()[0]["id"] == case["id"]
    resolved = walk(rates, case, ["resolved"])
    assert resolved["sla"]["state"] == "missed"
    assert resolved["sla"]["breached_at"] is not None
    assert len(events(app, case["id"], "case.sla_breached")) == 1
    assert rates.get(URL, query_string={"breached": "false"}).get_json() == []
