"""The periodic SLA check: open, running cases past due are flagged once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask

from cgcrm.cases import jobs
from cgcrm.cases.service import flag_breached_cases
from cgcrm.core.clock import utcnow
from tests.cases.conftest import URL, events, move, open_case, set_case_times


def test_flags_each_overdue_case_once(app: Flask, rates: Any, citizen_id: str) -> None:
    overdue = open_case(rates, citizen_id=citizen_id)
    paused = open_case(rates)
    paused = move(rates, paused, "awaiting_citizen").get_json()
    resolved = open_case(rates)
    move(rates, resolved, "resolved")
    on_time = open_case(rates)
    past = utcnow() - timedelta(minutes=1)
    for case in (overdue, paused, resolved):
        set_case_times(app, case["id"], due_at=past)

    with app.app_context():
        assert flag_breached_cases() == 1
        assert jobs.flag_breached_cases() == 0  # the second run finds nothing new

    breached = events(app, overdue["id"], "case.sla_breached")
    assert len(breached) == 1
    assert breached[0].payload["case_id"] == overdue["id"]
    assert breached[0].payload["department_code"] == "RATES"
    for case in (paused, resolved, on_time):
        assert events(app, case["id"], "case.sla_breached") == []

    read = rates.get(f"{URL}/{overdue['id']}")
    assert read.get_json()["sla"]["state"] == "breached"
    assert read.get_json()["sla"]["breached_at"] is not None
    assert read.headers["ETag"] == '"v1"'  # clock state, not an edit
    # The list's "breached" also holds cases resolved after their due time.
    listed = rates.get(URL, query_string={"breached": "true"}).get_json()
    assert [c["id"] for c in listed] == [overdue["id"], resolved["id"]]
    assert listed[1]["sla"]["state"] == "missed"


def test_judges_against_the_given_time(app: Flask, rates: Any) -> None:
    case = open_case(rates)
    with app.app_context():
        assert flag_breached_cases() == 0
        assert flag_breached_cases(now=utcnow() + timedelta(days=30)) == 1
    assert len(events(app, case["id"], "case.sla_breached")) == 1
