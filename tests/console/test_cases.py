"""Opening and progressing a case in the console, through the real sign-in and the real API."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.console.conftest import ConsoleBrowser
from tests.console.journey_helpers import (
    error_links,
    hidden,
    location,
    one_h1,
    submit,
    text,
    titled_error,
)


@pytest.fixture
def rates_officer(sign_in: Any) -> ConsoleBrowser:
    """A front-office officer of the rates department (who works RATES-PAY cases)."""
    return sign_in(["front_office"], "RATES")


def _open(browser: ConsoleBrowser, citizen_id: str, **data: Any) -> Any:
    url = f"/console/citizens/{citizen_id}/cases/new"
    body = {"service_code": "RATES-PAY", "summary": "Rates notice not received", "priority": "high"}
    return submit(browser, url, {**body, **data})


def _radio_values(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" type="radio" value="([^"]+)"', html)


def test_an_officer_opens_a_case_and_moves_it_through_the_allowed_transitions_only(
    rates_officer: ConsoleBrowser, citizen_id: str, rates: Any
) -> None:
    form = rates_officer.get(f"/console/citizens/{citizen_id}/cases/new")
    assert form.status_code == 200 and one_h1(text(form))
    assert "John Smith" in text(form)  # the caption names the citizen
    opened = _open(rates_officer, citizen_id)
    assert opened.status_code == 303
    page = rates_officer.get(location(opened))
    html = text(page)
    assert page.status_code == 200 and one_h1(html)
    reference = re.search(r"Case (C-[0-9A-Z]{4}-[0-9A-Z]{4})", html).group(1)  # type: ignore[union-attr]
    assert "opened" in html
    # A new case may start, wait for the citizen or be resolved at once; never close.
    assert _radio_values(html, "to") == ["in_progress", "awaiting_citizen", "resolved"]
    case_url = location(opened).split("?")[0]
    moved = rates_officer.post(
        f"{case_url}/transitions",
        data={
            "csrf_token": hidden(html, "csrf_token"),
            "version": hidden(html, "version"),
            "to": "in_progress",
            "reason": "Called the citizen back",
        },
    )
    assert moved.status_code == 303
    after = text(rates_officer.get(location(moved)))
    assert "In progress" in after and "Called the citizen back" in after
    assert _radio_values(after, "to") == ["awaiting_citizen", "resolved"]
    (case,) = rates.get("/api/v1/cases", query_string={"citizen_id": citizen_id}).get_json()
    assert case["reference"] == reference and case["status"] == "in_progress"
    assert case["priority"] == "high"


def test_a_move_on_a_case_changed_meanwhile_is_refused_and_shown(
    rates_officer: ConsoleBrowser, citizen_id: str
) -> None:
    opened = _open(rates_officer, citizen_id)
    case_url = location(opened).split("?")[0]
    html = text(rates_officer.get(case_url))
    stale = {"csrf_token": hidden(html, "csrf_token"), "version": hidden(html, "version")}
    assert (
        rates_officer.post(f"{case_url}/transitions", data={**stale, "to": "resolved"}).status_code
        == 303
    )
    again = rates_officer.post(f"{case_url}/transitions", data={**stale, "to": "in_progress"})
    assert again.status_code == 409
    body = text(again)
    assert titled_error(body) and error_links(body) == ["to"]
    assert "Someone else changed this case" in body
    # The page shows the case as it is now: resolved, so it may be reopened or closed.
    assert _radio_values(body, "to") == ["in_progress", "closed"]


def test_a_move_the_workflow_does_not_allow_is_an_error_on_the_field(
    rates_officer: ConsoleBrowser, citizen_id: str
) -> None:
    opened = _open(rates_officer, citizen_id)
    case_url = location(opened).split("?")[0]
    html = text(rates_officer.get(case_url))
    refused = rates_officer.post(
        f"{case_url}/transitions",
        data={
            "csrf_token": hidden(html, "csrf_token"),
            "version": hidden(html, "version"),
            "to": "closed",
        },
    )
    assert refused.status_code == 409
    assert error_links(text(refused)) == ["to"]


def test_a_case_form_with_mistakes_shows_them_linked_to_their_fields(
    rates_officer: ConsoleBrowser, citizen_id: str, rates: Any
) -> None:
    refused = _open(rates_officer, citizen_id, service_code="", summary="  ")
    html = text(refused)
    assert refused.status_code == 400 and titled_error(html) and one_h1(html)
    assert error_links(html) == ["service_code", "summary"]
    assert 'id="summary-error"' in html
    # The API's own refusal (an unknown service) lands on the field too.
    unknown = _open(rates_officer, citizen_id, service_code="NO-SUCH-SERVICE")
    assert unknown.status_code == 400 and error_links(text(unknown)) == ["service_code"]
    assert rates.get("/api/v1/cases", query_string={"citizen_id": citizen_id}).get_json() == []


def test_submitting_the_same_case_form_twice_opens_one_case(
    rates_officer: ConsoleBrowser, citizen_id: str, rates: Any
) -> None:
    url = f"/console/citizens/{citizen_id}/cases/new"
    html = text(rates_officer.get(url))
    data = {
        "csrf_token": hidden(html, "csrf_token"),
        "idempotency_key": hidden(html, "idempotency_key"),
        "service_code": "RATES-PAY",
        "summary": "Rates notice not received",
        "priority": "normal",
    }
    first = rates_officer.post(url, data=data)
    second = rates_officer.post(url, data=data)
    assert first.status_code == second.status_code == 303
    assert location(first) == location(second)
    cases = rates.get("/api/v1/cases", query_string={"citizen_id": citizen_id}).get_json()
    assert len(cases) == 1
    # The same page sent again with other values is not a second case: the page says so and
    # gives the form a new key, so sending it once more (deliberately) opens one.
    changed = rates_officer.post(url, data={**data, "summary": "Another matter"})
    assert changed.status_code == 400 and error_links(text(changed)) == ["service_code"]
    fresh = hidden(text(changed), "idempotency_key")
    assert fresh != data["idempotency_key"]
    again = rates_officer.post(
        url, data={**data, "summary": "Another matter", "idempotency_key": fresh}
    )
    assert again.status_code == 303
    assert len(rates.get("/api/v1/cases", query_string={"citizen_id": citizen_id}).get_json()) == 2


def test_a_case_form_without_the_csrf_token_is_refused(
    rates_officer: ConsoleBrowser, citizen_id: str, rates: Any
) -> None:
    url = f"/console/citizens/{citizen_id}/cases/new"
    html = text(rates_officer.get(url))
    refused = rates_officer.post(
        url,
        data={
            "idempotency_key": hidden(html, "idempotency_key"),
            "service_code": "RATES-PAY",
            "summary": "Rates notice not received",
            "priority": "normal",
        },
    )
    assert refused.status_code == 400
    assert rates.get("/api/v1/cases", query_string={"citizen_id": citizen_id}).get_json() == []


def test_another_departments_case_offers_no_move(sign_in: Any, citizen_id: str) -> None:
    waste_officer = sign_in(["front_office"], "WASTE")
    opened = _open(waste_officer, citizen_id)  # a RATES-PAY case belongs to rates
    assert opened.status_code == 303
    html = text(waste_officer.get(location(opened)))
    assert _radio_values(html, "to") == []
    assert "Only RATES staff can move this case" in html
