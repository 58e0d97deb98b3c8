"""Races on the citizen record, run for real: two threads, each with its own test client (so
its own app context, database session and connection), released together by a barrier against
real PostgreSQL, so the row locks (SELECT … FOR UPDATE, the idempotency-key insert) contend."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.extensions import db
from tests.conftest import new_citizen_payload

URL = "/api/v1/citizens"
ROUNDS = 10
PROBLEM_JSON = "application/problem+json"


@pytest.fixture(autouse=True)
def _postgresql_only(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row-lock races need PostgreSQL")


OVERLAPPED: list[bool] = []  # per race: were all requests in flight at one moment?


def race(app: Flask, *requests: Callable[[Any], Any]) -> list[Any]:
    """Run each request in its own thread with its own client, all released at once."""
    barrier = threading.Barrier(len(requests))
    results: list[Any] = [None] * len(requests)
    spans: list[tuple[float, float]] = [(0.0, 0.0)] * len(requests)
    errors: list[BaseException] = []

    def run(index: int, request: Callable[[Any], Any]) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=10)
            started = time.perf_counter()
            results[index] = request(client)
            spans[index] = (started, time.perf_counter())
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=item) for item in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a request hung (deadlock?)"
    assert not errors, errors
    OVERLAPPED.append(max(start for start, _ in spans) < min(end for _, end in spans))
    return results


def count(app: Flask, sql: str, **params: Any) -> int:
    with app.app_context():
        value = db.session.execute(sa.text(sql), params).scalar_one()
        db.session.remove()
    return int(value)


def replayed(response: Any) -> bool:
    return bool(response.headers.get("Idempotent-Replayed") == "true")


def describe(response: Any) -> str:
    return f"{response.status_code} {response.get_data(as_text=True)[:300]}"


def test_concurrent_patches_with_the_same_if_match_let_exactly_one_win(
    app: Flask, staff: Any
) -> None:
    created = staff.post(URL, json=new_citizen_payload())
    assert created.status_code == 201, created.get_json()
    citizen_id = created.get_json()["id"]
    url = f"{URL}/{citizen_id}"
    OVERLAPPED.clear()

    for round_ in range(ROUNDS):
        version = round_ + 1
        etag = f'"v{version}"'

        def patch(name: str, etag: str = etag) -> Callable[[Any], Any]:
            headers = staff.headers({"If-Match": etag})
            return lambda client: client.patch(url, json={"preferred_name": name}, headers=headers)

        first, second = race(app, patch(f"A{round_}"), patch(f"B{round_}"))
        statuses = sorted([first.status_code, second.status_code])
        assert statuses == [200, 412], f"round {round_}: {describe(first)} | {describe(second)}"
        winner, loser = (first, second) if first.status_code == 200 else (second, first)
        assert winner.headers["ETag"] == f'"v{version + 1}"'
        assert loser.content_type == PROBLEM_JSON
        assert loser.get_json()["current_version"] == version + 1

        current = staff.get(url)
        assert current.headers["ETag"] == f'"v{version + 1}"'
        assert current.get_json()["preferred_name"] == winner.get_json()["preferred_name"]
    # Not a race unless the two PATCHes were in flight together at least once.
    assert any(OVERLAPPED), "the two requests never overlapped"

    # One update event per round, in the outbox and in the audit trail: the loser left nothing.
    updated = "SELECT count(*) FROM {table} WHERE {column} = :id AND {kind} = 'citizen.updated'"
    outbox = updated.format(table="outbox_events", column="aggregate_id", kind="type")
    audit = updated.format(table="audit_events", column="citizen_id", kind="action")
    assert count(app, outbox, id=citizen_id) == ROUNDS
    assert count(app, audit, id=citizen_id) == ROUNDS
    trail = staff.get(f"{url}/audit?limit=200")
    assert trail.status_code == 200
    assert [e["action"] for e in trail.get_json()].count("citizen.updated") == ROUNDS


def test_concurrent_creates_with_one_idempotency_key_create_one_citizen(
    app: Flask, staff: Any
) -> None:
    for round_ in range(ROUNDS):
        payload = new_citizen_payload(
            given_name=f"Race{chr(ord('a') + round_)}",
            identifiers=[{"system": "RATES_ACCOUNT", "value": f"RA-RACE-{round_}"}],
        )
        headers = staff.headers({"Idempotency-Key": f"race-{round_}"})

        # Racea, Raceb...: one household, near-identical on purpose, recorded apart.
        def create(client: Any, payload: Any = payload, headers: Any = headers) -> Any:
            return client.post(f"{URL}?on_match=create", json=payload, headers=headers)

        first, second = race(app, create, create)
        both = f"round {round_}: {describe(first)} | {describe(second)}"
        assert count(app, "SELECT count(*) FROM citizens") == round_ + 1, both
        statuses = sorted([first.status_code, second.status_code])
        assert statuses in ([201, 201], [201, 409]), both
        fresh = [r for r in (first, second) if r.status_code == 201 and not replayed(r)]
        assert len(fresh) == 1, both  # exactly one request ran the create
        original = fresh[0]
        other = second if original is first else first
        if other.status_code == 201:
            assert replayed(other), both
            assert other.get_json() == original.get_json(), both
        else:
            assert other.content_type == PROBLEM_JSON, both
            # Once the first request is done, a retry replays its answer.
            retry = staff.post(
                f"{URL}?on_match=create",
                json=payload,
                headers={"Idempotency-Key": f"race-{round_}"},
            )
            assert retry.status_code == 201, describe(retry)
            assert retry.get_json()["id"] == original.get_json()["id"]

    citizen_events = "SELECT count(*) FROM outbox_events WHERE type = 'citizen.created'"
    assert count(app, citizen_events) == ROUNDS


def test_concurrent_creates_claiming_one_identifier_give_one_citizen_and_one_409(
    app: Flask, staff: Any
) -> None:
    """Without an Idempotency-Key, two creates may race for one external identifier: the
    service checks that nobody holds it, then inserts, so both can pass the check; the loser
    must still get the documented 409, not a unique-constraint 500."""
    for round_ in range(ROUNDS):
        identifier = [{"system": "LIBRARY_CARD", "value": f"LIB-RACE-{round_}"}]

        def create(name: str, identifier: Any = identifier) -> Callable[[Any], Any]:
            payload = new_citizen_payload(given_name=name, identifiers=identifier)
            # Ann0, Ann1...: namesakes of one household, recorded apart on purpose.
            return lambda client: client.post(
                f"{URL}?on_match=create", json=payload, headers=staff.headers()
            )

        first, second = race(app, create(f"Ann{round_}"), create(f"Bea{round_}"))
        both = f"round {round_}: {describe(first)} | {describe(second)}"
        assert sorted([first.status_code, second.status_code]) == [201, 409], both
        loser = first if first.status_code == 409 else second
        assert loser.content_type == PROBLEM_JSON, both
        assert count(app, "SELECT count(*) FROM citizens") == round_ + 1, both


def test_concurrent_consents_are_both_recorded(app: Flask, staff: Any) -> None:
    """Consent writes take no If-Match: both land, and the version counts both (no lost
    update of the version the FOR UPDATE lock protects)."""
    created = staff.post(URL, json=new_citizen_payload())
    citizen_id = created.get_json()["id"]
    url = f"{URL}/{citizen_id}/consents"

    def record(purpose: str) -> Callable[[Any], Any]:
        body = {"purpose": purpose, "granted": True, "channel": "web"}
        return lambda client: client.post(url, json=body, headers=staff.headers())

    for round_ in range(ROUNDS):
        first, second = race(app, record(f"purpose_a{round_}"), record(f"purpose_b{round_}"))
        assert (first.status_code, second.status_code) == (201, 201), (
            f"{describe(first)} | {describe(second)}"
        )
    current = staff.get(f"{URL}/{citizen_id}")
    assert current.headers["ETag"] == f'"v{1 + 2 * ROUNDS}"'
    assert len(staff.get(url).get_json()) == 2 * ROUNDS
