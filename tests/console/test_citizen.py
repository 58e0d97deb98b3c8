"""The 360 view: the citizen's record, cases with SLA clocks, contacts, payments and
satisfaction, as the user's department may see them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.console.conftest import ConsoleBrowser


def _contact(api: Any, citizen_id: str, channel: str, **extra: Any) -> str:
    body = {
        "citizen_id": citizen_id,
        "channel": channel,
        "service_code": "RATES-PAY",
        "started_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "outcome": "resolved",
        **extra,
    }
    response = api.post("/api/v1/interactions", json=body)
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def _case(api: Any, citizen_id: str) -> dict[str, Any]:
    response = api.post(
        "/api/v1/cases",
        json={"citizen_id": citizen_id, "service_code": "RATES-PAY", "summary": "Rates query"},
    )
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def test_the_360_view_needs_a_signed_in_user(anonymous: ConsoleBrowser, citizen_id: str) -> None:
    response = anonymous.get(f"/console/citizens/{citizen_id}")
    assert response.status_code == 302
    assert f"next=%2Fconsole%2Fcitizens%2F{citizen_id}" in response.headers["Location"]


def test_the_360_view_tells_the_whole_story(sign_in: Any, rates: Any, citizen_id: str) -> None:
    contact = _contact(rates, citizen_id, "phone", summary="Asked about the rates notice")
    _contact(rates, citizen_id, "counter")
    case = _case(rates, citizen_id)
    answer = rates.post("/api/v1/surveys/responses", json={"interaction_id": contact, "csat": 4})
    assert answer.status_code == 201, answer.get_json()

    officer = sign_in(["front_office"], "RATES")
    page = officer.get(f"/console/citizens/{citizen_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<title>John Smith \u2013 cgcrm staff console</title>" in html
    assert "2 March 1984" in html and "+61412345678" in html
    assert "12 George Street" in html
    assert "Identity assurance" in html
    # The open case with its SLA clock.
    assert case["reference"] in html
    assert "On track" in html or "Due soon" in html
    # Contacts on every channel, the latest first.
    assert "Asked about the rates notice" in html
    assert "2 contacts:" in html
    assert "1 answer, average 4.0 out of 5." in html and "Satisfied" in html
    assert "No payment." in html
    assert "withheld" not in html
    # The actions the officer's roles allow.
    assert f'href="/console/citizens/{citizen_id}/contacts/new"' in html
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_another_departments_items_are_withheld_not_refused(
    officer: ConsoleBrowser, rates: Any, citizen_id: str
) -> None:
    _contact(rates, citizen_id, "phone", summary="Rates business")
    _case(rates, citizen_id)
    page = officer.get(f"/console/citizens/{citizen_id}")  # customer service, not rates
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Rates business" not in html
    assert "2 items withheld" in html
    assert "1 contact withheld" in html and "1 open case withheld" in html


def test_an_unknown_citizen_is_page_not_found(officer: ConsoleBrowser) -> None:
    page = officer.get("/console/citizens/0190a0a0-0000-7000-8000-000000000000")
    assert page.status_code == 404
    assert "Page not found" in page.get_data(as_text=True)
