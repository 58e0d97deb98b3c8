"""External identifiers are disclosed the same way on every route that returns a citizen: in
full to the department owning their system or to identifiers:read, masked (and never decrypted)
for everyone else. The routes are taken from the OpenAPI document, so a new route that returns
a citizen fails here until it is walked."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.conftest import DEPARTMENT_SYSTEM, new_citizen_payload

URL = "/api/v1/citizens"
READER = f"{DEPARTMENT_SYSTEM} citizens:export"
RATES_VALUE = "RA-1234567"  # RATES_ACCOUNT: owned by RATES in the test catalog
LICENCE_VALUE = "123456789"  # DRIVER_LICENCE: owned by nobody


class CountingCipher:
    """The application's cipher, noting every value it decrypts."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.decrypted: list[str] = []

    def decrypt(self, token: str) -> str:
        value: str = self.inner.decrypt(token)
        self.decrypted.append(value)
        return value

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def counting_cipher(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingCipher]:
    counting = CountingCipher(app.extensions["cgcrm.cipher"])
    monkeypatch.setitem(app.extensions, "cgcrm.cipher", counting)
    yield counting


def _reaches_a_citizen(schema: Any, components: dict[str, Any], seen: set[str]) -> bool:
    """Whether a response schema holds a citizen record (an object with identifiers)."""
    if isinstance(schema, list):
        return any(_reaches_a_citizen(item, components, seen) for item in schema)
    if not isinstance(schema, dict):
        return False
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            return False
        seen.add(name)
        return _reaches_a_citizen(components.get(name, {}), components, seen)
    properties = schema.get("properties") or {}
    if "identifiers" in properties and "given_name" in properties:
        return True
    return any(_reaches_a_citizen(value, components, seen) for value in schema.values())


def routes_returning_citizens(app: Flask) -> set[str]:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    components = spec["components"]["schemas"]
    found = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for status, response in (operation.get("responses") or {}).items():
                if str(status).startswith("2") and _reaches_a_citizen(
                    response.get("content"), components, set()
                ):
                    found.add(f"{method.upper()} {path}")
    return found


def citizens_in(label: str, body: Any) -> list[dict[str, Any]]:
    """The citizen records in one response body of route ``label``."""
    if label.endswith("/search"):
        return [hit["citizen"] for hit in body["results"]]
    if label.endswith("/overview"):
        return [body["citizen"]]
    return body if isinstance(body, list) else [body]


def walk(api: Any, tag: str) -> Iterator[tuple[str, Any]]:
    """Every route that returns a citizen, about one citizen ``api`` creates; yields the route
    label and its response."""
    payload = new_citizen_payload(
        given_name="Ottoline",
        identifiers=[
            {"system": "RATES_ACCOUNT", "value": f"{RATES_VALUE}{tag}"},
            {"system": "DRIVER_LICENCE", "value": f"{LICENCE_VALUE}{tag}"},
        ],
    )
    key = {"Idempotency-Key": f"disclosure-{tag}"}
    created = api.post(URL, json=payload, headers=key)
    assert created.status_code == 201, created.get_json()
    yield "POST /api/v1/citizens", created
    replayed = api.post(URL, json=payload, headers=key)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    yield "POST /api/v1/citizens", replayed
    citizen_id = created.get_json()["id"]
    one = f"{URL}/{citizen_id}"
    yield "GET /api/v1/citizens/{citizen_id}", api.get(one)
    yield (
        "PATCH /api/v1/citizens/{citizen_id}",
        api.patch(one, json={"preferred_name": "Otto"}, headers={"If-Match": '"v1"'}),
    )
    yield "GET /api/v1/citizens", api.get(f"{URL}?identifier=RATES_ACCOUNT:{RATES_VALUE}{tag}")
    yield "GET /api/v1/citizens", api.get(f"{URL}?limit=200")
    yield "GET /api/v1/citizens/search", api.get(f"{URL}/search?q=Ottoline")
    yield "GET /api/v1/citizens/search", api.get(f"{URL}/search?q={LICENCE_VALUE}{tag}")
    yield "GET /api/v1/citizens/{citizen_id}/overview", api.get(f"{one}/overview")


VIEWERS = {
    # department, extra scope, is RATES_ACCOUNT in full, is DRIVER_LICENCE in full
    "owner": ("RATES", "", True, False),
    "other": ("WASTE", "", False, False),
    "reader": ("WASTE", " identifiers:read", True, True),
}


@pytest.mark.parametrize("viewer", sorted(VIEWERS))
def test_every_route_discloses_identifiers_alike(
    app: Flask, make_api: Any, counting_cipher: CountingCipher, viewer: str
) -> None:
    department, extra, rates_in_full, licence_in_full = VIEWERS[viewer]
    api = make_api(READER + extra, department)
    tag = uuid.uuid4().hex[:4].upper()
    full = {"RATES_ACCOUNT": f"{RATES_VALUE}{tag}", "DRIVER_LICENCE": f"{LICENCE_VALUE}{tag}"}
    in_full = {"RATES_ACCOUNT": rates_in_full, "DRIVER_LICENCE": licence_in_full}

    walked = set()
    for label, response in walk(api, tag):
        assert response.status_code in (200, 201), (label, response.get_json())
        walked.add(label)
        records = [c for c in citizens_in(label, response.get_json()) if c["given_name"]]
        mine = [c for c in records if any(i["system"] == "RATES_ACCOUNT" for i in c["identifiers"])]
        assert mine, f"{label}: the citizen is not in the answer"
        for citizen in mine:
            for ident in citizen["identifiers"]:
                system = ident["system"]
                if in_full[system]:
                    assert ident == {"system": system, "value": full[system], "masked": False}
                else:
                    assert ident == {
                        "system": system,
                        "value": "****" + full[system][-3:],
                        "masked": True,
                    }, label
        text = response.get_data(as_text=True)
        for system, value in full.items():
            assert (value in text) == in_full[system], f"{label}: {system} {text[:300]}"

    assert walked == routes_returning_citizens(app), "a route returning citizens is not walked"
    for system, value in full.items():
        assert (value in counting_cipher.decrypted) == in_full[system], system


def test_listing_without_a_narrowing_filter_needs_citizens_export(make_api: Any) -> None:
    clerk = make_api(DEPARTMENT_SYSTEM, "RATES")
    created = clerk.post(
        URL,
        json=new_citizen_payload(identifiers=[{"system": "RATES_ACCOUNT", "value": RATES_VALUE}]),
    )
    assert created.status_code == 201
    for query in ("", "?limit=200", "?status=active"):
        refused = clerk.get(f"{URL}{query}")
        assert refused.status_code == 403, query
        assert refused.content_type == "application/problem+json"
        assert "citizens:export" in refused.get_json()["detail"]
    looked_up = clerk.get(f"{URL}?identifier=RATES_ACCOUNT:{RATES_VALUE}")
    assert [c["id"] for c in looked_up.get_json()] == [created.get_json()["id"]]
    assert clerk.get(f"{URL}/search?q=Smith").status_code == 200
    exporter = make_api("citizens:read citizens:export", "RATES")
    assert len(exporter.get(URL).get_json()) == 1


def test_a_list_shown_masked_can_be_sent_back_without_losing_what_it_hides(
    make_api: Any,
) -> None:
    owner = make_api(DEPARTMENT_SYSTEM, "RATES")
    created = owner.post(
        URL,
        json=new_citizen_payload(identifiers=[{"system": "RATES_ACCOUNT", "value": RATES_VALUE}]),
    ).get_json()
    one = f"{URL}/{created['id']}"
    other = make_api(DEPARTMENT_SYSTEM, "WASTE")
    shown = other.get(one)
    identifiers = shown.get_json()["identifiers"]
    assert identifiers == [{"system": "RATES_ACCOUNT", "value": "****567", "masked": True}]

    def patch(items: list[dict[str, Any]]) -> Any:
        current = other.get(one).headers["ETag"]
        return other.patch(one, json={"identifiers": items}, headers={"If-Match": current})

    as_value = patch([{"system": "RATES_ACCOUNT", "value": "****567"}])
    assert as_value.status_code == 422, as_value.get_json()
    wrong = patch([{"system": "RATES_ACCOUNT", "value": "****999", "masked": True}])
    assert wrong.status_code == 422, wrong.get_json()

    library = {"system": "LIBRARY_CARD", "value": "LIB000123456"}
    kept = patch([*identifiers, library])
    assert kept.status_code == 200, kept.get_json()
    assert owner.get(one).get_json()["identifiers"] == [
        {"system": "RATES_ACCOUNT", "value": RATES_VALUE, "masked": False},
        {"system": "LIBRARY_CARD", "value": "****456", "masked": True},
    ]
