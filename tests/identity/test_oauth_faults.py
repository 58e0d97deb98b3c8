"""The OAuth endpoints under database connection loss: an OAuth error JSON or a token, never
the HTTP server's HTML 500 (which is what a failing session teardown used to become)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, request_finished

from cgcrm.core.pool import IdlePing
from cgcrm.extensions import db
from cgcrm.identity.service import create_client
from tests.core.test_pool import _terminate_app_connections


@pytest.fixture
def never_ping(app: Flask) -> Iterator[IdlePing]:
    if app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("needs PostgreSQL server processes to terminate")
    ping: IdlePing = app.extensions["cgcrm.idle_ping"]
    configured = ping.idle_seconds
    ping.idle_seconds = float("inf")  # requests meet the broken connections
    yield ping
    ping.idle_seconds = configured
    with app.app_context():
        db.engine.dispose()


def _credentials(app: Flask) -> tuple[str, str]:
    with app.app_context():
        issued = create_client("dept system", "RATES", "citizens:read")
        db.session.remove()
    return issued.client.client_id, issued.client_secret


def _assert_token_or_oauth_error(response: Any) -> None:
    assert response.content_type == "application/json", response.get_data(as_text=True)
    body = response.get_json()
    if response.status_code == 200:
        assert body["access_token"]
        return
    assert response.status_code == 503, body
    assert body["error"] == "temporarily_unavailable"
    assert body["error_description"]
    assert response.headers["Retry-After"] == "1"


def test_token_requests_under_connection_loss_answer_in_the_oauth_shape(
    app: Flask, never_ping: IdlePing
) -> None:
    """Backends are killed both before a request and after its view ran, before the session
    teardown: the teardown's rollback meets a dead connection and must not fail the response."""
    credentials = _credentials(app)
    http = app.test_client()
    seen = {"requests": 0}

    def kill_after_view(sender: Flask, response: Any, **extra: Any) -> None:
        seen["requests"] += 1
        if seen["requests"] % 3 == 0:
            _terminate_app_connections(app)

    statuses: list[int] = []
    request_finished.connect(kill_after_view, app)
    try:
        for attempt in range(45):
            if attempt % 7 == 0:
                _terminate_app_connections(app)
            response = http.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=credentials
            )
            _assert_token_or_oauth_error(response)
            statuses.append(response.status_code)
    finally:
        request_finished.disconnect(kill_after_view, app)
    assert 503 in statuses and 200 in statuses
    # Afterwards the pool recovers: the next request is served.
    recovered = http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=credentials
    )
    assert recovered.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/oauth/token", 405),
        ("POST", "/oauth/nothing-here", 404),
    ],
)
def test_our_own_errors_on_oauth_endpoints_use_the_oauth_shape(
    client: Any, method: str, path: str, status: int
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.content_type == "application/json"
    assert response.get_json()["error"] == "invalid_request"
    assert response.get_json()["error_description"]


def test_an_oversized_token_request_is_an_oauth_error(client: Any) -> None:
    response = client.post("/oauth/token", data={"grant_type": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert response.get_json()["error"] == "invalid_request"


@pytest.mark.parametrize("endpoint", ["/oauth/token", "/oauth/revoke", "/oauth/introspect"])
def test_a_client_id_the_database_cannot_hold_is_an_unknown_client(
    client: Any, endpoint: str
) -> None:
    """Found by the schema fuzzer: a NUL in the client id was a 500."""
    for credentials in ({"client_id": "a\x00b", "client_secret": "x"}, {"client_id": "a" * 5000}):
        form = {"grant_type": "client_credentials", "token": "t", **credentials}
        response = client.post(endpoint, data=form)
        assert response.status_code == 401, response.get_data(as_text=True)
        assert response.get_json()["error"] == "invalid_client"
    basic = client.post(
        endpoint, data={"grant_type": "client_credentials", "token": "t"}, auth=("a\x00b", "x")
    )
    assert basic.status_code == 401
