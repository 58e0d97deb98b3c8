"""The harness: send a request, check the response, check that rejected writes changed
nothing."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, settings

from cgcrm.extensions import db
from tests.citizens.hostile.payloads import valid_create_payload
from tests.citizens.hostile.values import encode

URL = "/api/v1/citizens"
PROBLEM_JSON = "application/problem+json"
PROBLEM_MEMBERS = ("type", "title", "status", "detail")
JSON = {"Content-Type": "application/json"}
# Every table a citizen write (or its audit and idempotency bookkeeping) inserts into.
WRITE_TABLES = (
    "citizens",
    "contact_points",
    "addresses",
    "external_identifiers",
    "citizen_names",
    "consents",
    "audit_events",
    "outbox_events",
    "name_tokens",
    "idempotency_keys",
)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


def describe(method: str, url: str, **kwargs: Any) -> str:
    """The request, for failure messages (schemathesis' pytest plugin blanks the values in
    Hypothesis' own "Failing test case" report)."""
    headers = {k: v for k, v in (kwargs.get("headers") or {}).items() if k != "Authorization"}
    if "Authorization" in (kwargs.get("headers") or {}):
        headers["Authorization"] = kwargs["headers"]["Authorization"][:60]
    query = kwargs.get("query_string")
    data = kwargs.get("data")
    return (
        f"{method} {url}{'?' + query if query else ''} headers={headers!r:.300} body={data!r:.600}"
    )


def check_response(response: Any, what: str) -> Any:
    """The JSON body of a well-formed response; fails on a 5xx or a non-problem error."""
    status = response.status_code
    text = response.get_data(as_text=True)
    assert status < 500, f"{what} -> {status}: {text[:500]}"
    if 200 <= status < 300:
        assert response.mimetype == "application/json", f"{what} -> {status} {response.mimetype}"
        return json.loads(text)
    assert response.mimetype == PROBLEM_JSON, (
        f"{what} -> {status} {response.mimetype}: {text[:300]}"
    )
    body = json.loads(text)
    assert isinstance(body, dict), f"{what} -> {status}: {text[:300]}"
    missing = [member for member in PROBLEM_MEMBERS if member not in body]
    assert not missing, f"{what} -> {status}: problem lacks {missing}: {text[:300]}"
    assert body["status"] == status, f"{what} -> {status}: {body}"
    assert all(isinstance(body[m], str) for m in ("type", "title", "detail")), body
    return body


class Harness:
    """One staff client, one target citizen, and the row counts a write must not change."""

    def __init__(self, app: Flask, staff: Any) -> None:
        self.app = app
        self.staff = staff
        created = staff.post(URL, data=encode(valid_create_payload("RA-TARGET-1")), headers=JSON)
        self.citizen: dict[str, Any] = check_response(created, "create target")
        assert created.status_code == 201
        self.etag: str = created.headers["ETag"]
        self.url = f"{URL}/{self.citizen['id']}"

    def counts(self) -> dict[str, int]:
        sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t}) AS {t}" for t in WRITE_TABLES)
        with self.app.app_context():
            row = dict(db.session.execute(sa.text(sql)).mappings().one())
            db.session.remove()
        return row

    def current(self) -> tuple[dict[str, Any], str]:
        response = self.staff.get(self.url)
        body = check_response(response, f"GET {self.url}")
        assert response.status_code == 200
        return body, response.headers["ETag"]

    def send(self, method: str, url: str, **kwargs: Any) -> tuple[Any, Any]:
        response = self.staff.http.open(url, method=method, **kwargs)
        return response, check_response(response, describe(method, url, **kwargs))

    def write(self, method: str, url: str, **kwargs: Any) -> tuple[Any, Any]:
        """Send a write; if it was rejected, prove that it left no trace."""
        what = describe(method, url, **kwargs)
        before = self.counts()
        response, body = self.send(method, url, **kwargs)
        touches_target = url.startswith(self.url)
        if 200 <= response.status_code < 300:
            if touches_target:
                version = self.citizen["version"]
                self.citizen, self.etag = self.current()
                sent = kwargs.get("json", kwargs.get("data"))
                if isinstance(sent, (str, bytes)):
                    sent = json.loads(sent)
                empty_patch = method == "PATCH" and sent == {}
                expected = version if empty_patch else version + 1
                assert self.citizen["version"] == expected, what
                if method == "PATCH":
                    assert body == self.citizen, f"{what}: its answer differs from a GET"
            elif response.headers.get("Idempotent-Replayed") == "true":
                assert self.counts() == before, f"{what}: a replay wrote"
            else:
                assert self.counts()["citizens"] == before["citizens"] + 1, what
                read = self.staff.get(f"{URL}/{body['id']}")
                assert check_response(read, f"reading back after {what}") == body
            return response, body
        assert self.counts() == before, f"{what} -> {response.status_code}, yet it wrote"
        if touches_target:
            now, etag = self.current()
            assert (now, etag) == (self.citizen, self.etag), f"{what} was rejected yet changed it"
        return response, body

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return self.staff.headers({**JSON, **(extra or {})})


def endpoint_url(harness: Harness, name: str) -> str:
    return {
        "list": URL,
        "search": f"{URL}/search?q=mary",
        "create": URL,
        "citizen": harness.url,
        "consents": f"{harness.url}/consents",
        "audit": f"{harness.url}/audit",
    }[name]
