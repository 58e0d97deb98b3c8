"""The citizen record through the HTTP API, as a front-office system uses it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import new_citizen_payload

URL = "/api/v1/citizens"


def create(api: Any, on_match: str = "reject", **overrides: Any) -> Any:
    response = api.post(f"{URL}?on_match={on_match}", json=new_citizen_payload(**overrides))
    assert response.status_code == 201, response.get_json()
    return response


@pytest.mark.smoke
def test_create_then_read_returns_normalised_record(staff: Any) -> None:
    response = create(staff, identifiers=[{"system": "RATES_ACCOUNT", "value": "RA-1234567"}])
    body = response.get_json()
    assert response.headers["ETag"] == '"v1"'
    assert response.headers["Location"].endswith(body["id"])
    assert body["status"] == "active"
    phones = [c for c in body["contact_points"] if c["kind"] == "phone"]
    assert phones[0]["value"] == "+61412345678"
    # A front-office system of CUSTOMER: the rates department's identifier is masked for it.
    assert body["identifiers"] == [{"system": "RATES_ACCOUNT", "value": "****567", "masked": True}]

    read = staff.get(f"{URL}/{body['id']}")
    assert read.status_code == 200
    assert read.get_json() == body
    assert read.headers["ETag"] == '"v1"'


@pytest.mark.smoke
def test_patch_requires_if_match_and_rejects_stale_versions(staff: Any) -> None:
    citizen = create(staff).get_json()
    url = f"{URL}/{citizen['id']}"

    missing = staff.patch(url, json={"preferred_name": "Johnny"})
    assert missing.status_code == 428
    assert missing.content_type == "application/problem+json"

    ok = staff.patch(url, json={"preferred_name": "Johnny"}, headers={"If-Match": '"v1"'})
    assert ok.status_code == 200, ok.get_json()
    assert ok.headers["ETag"] == '"v2"'
    assert ok.get_json()["preferred_name"] == "Johnny"

    stale = staff.patch(url, json={"given_name": "Jon"}, headers={"If-Match": '"v1"'})
    assert stale.status_code == 412
    assert stale.get_json()["current_version"] == 2


@pytest.mark.smoke
def test_fields_a_client_may_not_set_are_rejected(staff: Any) -> None:
    for field, value in [
        ("id", "0190b6d2-0000-7000-8000-000000000000"),
        ("status", "merged"),
        ("version", 7),
        ("merged_into", None),
        ("created_at", "2020-01-01"),
    ]:
        response = staff.post(URL, json=new_citizen_payload(**{field: value}))
        assert response.status_code == 422, field
        assert field in response.get_json()["errors"]


def test_identifier_lookup_and_uniqueness(staff: Any) -> None:
    first = create(staff, identifiers=[{"system": "LIBRARY_CARD", "value": "LIB000123456"}])
    listed = staff.get(f"{URL}?identifier=LIBRARY_CARD:lib-000123456")
    assert [c["id"] for c in listed.get_json()] == [first.get_json()["id"]]

    clash = staff.post(
        URL,
        json=new_citizen_payload(identifiers=[{"system": "LIBRARY_CARD", "value": "LIB000123456"}]),
    )
    assert clash.status_code == 409
    assert clash.get_json()["existing_citizen"] == first.get_json()["id"]


def test_invalid_contact_points_name_the_field(staff: Any) -> None:
    response = staff.post(
        URL,
        json=new_citizen_payload(
            contact_points=[{"kind": "phone", "value": "12"}, {"kind": "email", "value": "nope"}]
        ),
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]["contact_points"]
    assert set(errors) == {"0", "1"}


def test_idempotency_key_replays_and_detects_misuse(staff: Any, make_api: Any) -> None:
    payload = new_citizen_payload()
    headers = {"Idempotency-Key": "abc-123"}
    first = staff.post(URL, json=payload, headers=headers)
    again = staff.post(URL, json=payload, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(make_api("citizens:read citizens:export").get(URL).get_json()) == 1

    other = staff.post(URL, json=new_citizen_payload(given_name="Jane"), headers=headers)
    assert other.status_code == 422


def test_list_is_paginated_with_link_header(staff: Any, make_api: Any) -> None:
    # Three people of one household (same phone and address): recorded apart on purpose.
    ids = [
        create(staff, "create", given_name=name).get_json()["id"] for name in ("Ann", "Bob", "Cy")
    ]
    exporter = make_api("citizens:read citizens:export")
    page1 = exporter.get(f"{URL}?limit=2")
    assert [c["id"] for c in page1.get_json()] == ids[:2]
    link = page1.headers["Link"]
    assert 'rel="next"' in link
    next_url = link[link.index("<") + 1 : link.index(">")]
    page2 = exporter.get(next_url.replace("http://localhost", ""))
    assert [c["id"] for c in page2.get_json()] == ids[2:]
    assert "Link" not in page2.headers


def test_consents_keep_their_history(staff: Any) -> None:
    citizen = create(
        staff,
        consents=[{"purpose": "service_updates", "granted": True, "channel": "web"}],
    ).get_json()
    url = f"{URL}/{citizen['id']}/consents"
    withdrawn = staff.post(
        url, json={"purpose": "service_updates", "granted": False, "channel": "phone"}
    )
    assert withdrawn.status_code == 201
    history = staff.get(url).get_json()
    assert [c["status"] for c in history] == ["granted", "withdrawn"]
    current = staff.get(f"{URL}/{citizen['id']}").get_json()["consents"]
    assert [(c["purpose"], c["status"]) for c in current] == [("service_updates", "withdrawn")]


def test_every_read_and_write_is_audited(staff: Any, make_api: Any) -> None:
    citizen = create(staff).get_json()
    url = f"{URL}/{citizen['id']}"
    staff.get(url, headers={"X-Access-Reason": "counter enquiry", "X-Request-ID": "req-42"})
    staff.patch(url, json={"preferred_name": "Jack"}, headers={"If-Match": '"v1"'})
    trail = staff.get(f"{url}/audit").get_json()
    assert [e["action"] for e in trail] == ["citizen.created", "citizen.read", "citizen.updated"]
    assert trail[1]["reason"] == "counter enquiry"
    assert trail[1]["request_id"] == "req-42"
    assert trail[2]["fields"] == ["preferred_name"]
    assert trail[0]["department_code"] == "CUSTOMER"

    reader = make_api("citizens:read")
    assert reader.get(f"{url}/audit").status_code == 403
