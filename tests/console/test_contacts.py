"""Logging a contact on any channel: CSRF, errors linked to fields, recorded once."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from cgcrm.core.clock import clock_set_to, utcnow
from tests.console.conftest import ConsoleBrowser


def _form(officer: ConsoleBrowser, citizen_id: str) -> dict[str, str]:
    html = officer.get(f"/console/citizens/{citizen_id}/contacts/new").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert key
    return {"csrf_token": officer.csrf, "idempotency_key": key.group(1)}


def test_the_form_offers_every_channel(officer: ConsoleBrowser, citizen_id: str) -> None:
    page = officer.get(f"/console/citizens/{citizen_id}/contacts/new")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<title>Log a contact with John Smith" in html
    for channel in ("web", "mobile_app", "email", "chat", "phone", "counter", "mail", "outreach"):
        assert f'value="{channel}"' in html
    assert 'name="csrf_token"' in html


def test_a_post_without_the_csrf_token_records_nothing(
    officer: ConsoleBrowser, citizen_id: str, rates: Any
) -> None:
    form = _form(officer, citizen_id) | {"channel": "counter", "outcome": "resolved"}
    del form["csrf_token"]
    response = officer.post(f"/console/citizens/{citizen_id}/contacts/new", data=form)
    assert response.status_code == 400
    assert "Your page expired" in response.get_data(as_text=True)
    listed = rates.get(f"/api/v1/interactions?citizen_id={citizen_id}").get_json()
    assert listed == []


def test_missing_answers_are_errors_linked_to_their_fields(
    officer: ConsoleBrowser, citizen_id: str
) -> None:
    form = _form(officer, citizen_id) | {"direction": "inbound", "minutes": "lots"}
    response = officer.post(f"/console/citizens/{citizen_id}/contacts/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: Log a contact" in html
    links = re.findall(r'<li><a href="#([\w-]+)">', html)
    assert links == ["channel", "outcome", "minutes"]
    assert 'id="channel-error"' in html and 'id="minutes-error"' in html


def test_a_logged_contact_is_in_the_api_and_the_360_view(
    officer: ConsoleBrowser, citizen_id: str, make_api: Any
) -> None:
    form = _form(officer, citizen_id) | {
        "channel": "counter",
        "direction": "inbound",
        "service_code": "RATES-PAY",
        "outcome": "resolved",
        "minutes": "7",
        "summary": "Paid the rates at the counter",
    }
    sent_at = utcnow()
    with clock_set_to(sent_at):
        response = officer.post(f"/console/citizens/{citizen_id}/contacts/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == f"/console/citizens/{citizen_id}#contacts"
    # Sent again (a second click, seconds later): the same body under the same
    # Idempotency-Key, so the contact is recorded once.
    with clock_set_to(sent_at + timedelta(seconds=3)):
        again = officer.post(f"/console/citizens/{citizen_id}/contacts/new", data=form)
    assert again.status_code == 302, again.get_data(as_text=True)

    auditor = make_api("citizens:read cross_department")
    listed = auditor.get(f"/api/v1/interactions?citizen_id={citizen_id}").get_json()
    assert len(listed) == 1
    contact = listed[0]
    assert contact["channel"] == "counter" and contact["outcome"] == "resolved"
    assert contact["summary"] == "Paid the rates at the counter"
    assert contact["handling_seconds"] == 420
    assert contact["department_code"] == "CUSTOMER"
    assert contact["recorded_by"].startswith("user:")

    html = officer.follow(response).get_data(as_text=True)
    assert "Contact logged" in html and "Paid the rates at the counter" in html
    # The success banner shows once.
    assert "Contact logged" not in officer.get(f"/console/citizens/{citizen_id}").get_data(
        as_text=True
    )
