"""Client authentication: unknown and known ids answered alike; repeated failures lock an id."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from cgcrm.core.security_events import CLIENT_LOCKED, SecurityEvent
from cgcrm.extensions import db
from cgcrm.identity.client_auth import ClientLockout, build_lockout
from cgcrm.identity.service import create_client
from tests.conftest import counting_queries

# Differ between any two requests by design; everything else must be the same.
PER_REQUEST_HEADERS = {"X-Request-ID", "RateLimit", "RateLimit-Policy"}


@pytest.fixture
def lockout(app: Flask, monkeypatch: pytest.MonkeyPatch) -> ClientLockout:
    """Three failures lock an id for a minute; counters of this test's own."""
    config = {**app.config, "AUTH_LOCKOUT_FAILURES": 3, "AUTH_LOCKOUT_SECONDS": 60}
    installed = build_lockout(config, prefix=f"{app.config['QUEUE_NAMESPACE']}{uuid.uuid4()}.")
    monkeypatch.setitem(app.extensions, "cgcrm.lockout", installed)
    return installed


@pytest.fixture
def known(app: Flask) -> tuple[str, str]:
    with app.app_context():
        issued = create_client("dept system", "RATES", "citizens:read")
        db.session.remove()
    return issued.client.client_id, issued.client_secret


def _basic(client: Any, client_id: str, secret: str) -> Any:
    return client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )


def _post(client: Any, client_id: str, secret: str) -> Any:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return client.post("/oauth/token", data=form)


def _answer(response: Any) -> tuple[int, bytes, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k not in PER_REQUEST_HEADERS}
    return response.status_code, response.get_data(), headers


@pytest.mark.parametrize("send", [_basic, _post], ids=["client_secret_basic", "client_secret_post"])
def test_unknown_and_known_ids_get_the_same_answer(
    app: Flask, client: Any, known: tuple[str, str], send: Any
) -> None:
    wrong_secret = send(client, known[0], "not-the-secret")
    unknown_id = send(client, f"cgcrm-{uuid.uuid4().hex[:16]}", "not-the-secret")
    assert wrong_secret.status_code == 401
    assert wrong_secret.get_json()["error"] == "invalid_client"
    assert _answer(unknown_id) == _answer(wrong_secret)


def test_consecutive_failures_lock_the_client_and_are_recorded(
    app: Flask, client: Any, known: tuple[str, str], lockout: ClientLockout, caplog: Any
) -> None:
    client_id, secret = known
    first, second = (_basic(client, client_id, "wrong") for _ in range(2))
    assert "Retry-After" not in first.headers and "Retry-After" not in second.headers
    with caplog.at_level(logging.WARNING, logger="cgcrm.security"):
        locking = _basic(client, client_id, "wrong")
    assert locking.headers["Retry-After"] == "60"
    # Locked: even the right secret is refused, with the wrong secret's answer, unchecked.
    with counting_queries(app) as statements:
        refused = _basic(client, client_id, secret)
    assert statements == []  # no client looked up, no secret hashed
    assert refused.status_code == 401 and refused.get_json()["error"] == "invalid_client"
    assert 55 <= int(refused.headers["Retry-After"]) <= 60
    without_retry = {k: v for k, v in _answer(refused)[2].items() if k != "Retry-After"}
    assert (refused.status_code, refused.get_data(), without_retry) == _answer(second)

    with app.app_context():
        events = db.session.scalars(select(SecurityEvent)).all()
        db.session.remove()
    assert [(e.kind, e.client_id) for e in events] == [(CLIENT_LOCKED, client_id)]
    assert events[0].request_id == locking.headers["X-Request-ID"]
    assert events[0].address == "127.0.0.1"
    assert events[0].detail == {"failures": 3, "locked_seconds": 60, "endpoint": "token"}
    assert any(CLIENT_LOCKED in r.getMessage() for r in caplog.records)


def test_an_unknown_id_locks_just_like_a_known_one(
    client: Any, known: tuple[str, str], lockout: ClientLockout
) -> None:
    answers = {}
    for client_id in (known[0], "no-such-client"):
        for _ in range(3):
            _basic(client, client_id, "wrong")
        answers[client_id] = _answer(_basic(client, client_id, "wrong"))
    assert answers[known[0]] == answers["no-such-client"]
    assert answers["no-such-client"][2]["Retry-After"]


def test_a_success_starts_the_count_again(
    client: Any, known: tuple[str, str], lockout: ClientLockout
) -> None:
    client_id, secret = known
    for attempt in ["wrong", "wrong", secret, "wrong", "wrong", secret]:
        response = _basic(client, client_id, attempt)
        assert "Retry-After" not in response.headers
    assert response.status_code == 200


def test_revocation_and_introspection_share_the_lock(
    client: Any, known: tuple[str, str], lockout: ClientLockout
) -> None:
    client_id, secret = known
    for path in ("/oauth/revoke", "/oauth/introspect", "/oauth/revoke"):
        client.post(path, data={"token": "x"}, auth=(client_id, "wrong"))
    locked = client.post("/oauth/introspect", data={"token": "x"}, auth=(client_id, secret))
    assert locked.status_code == 401 and locked.headers["Retry-After"]
    assert locked.get_json()["error"] == "invalid_client"
