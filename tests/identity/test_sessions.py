"""A staff user's sessions through the HTTP layer: each sign-in is one, listed with where it came
from; ending one (or all others) refuses its refresh token at once and its access token within
the revocation window (at once in the process that ended it)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cgcrm.core.security_events import SecurityEvent
from cgcrm.extensions import db
from cgcrm.identity.account_models import StaffSession
from cgcrm.identity.models import RefreshToken, RevokedToken, StaffUser
from cgcrm.identity.revocations import RevocationList
from cgcrm.identity.sessions import SESSION_ENDED
from tests.identity.flow_helpers import bearer, own_throttle, sign_in, token
from tests.identity.signin_helpers import Console, register


@pytest.fixture(autouse=True)
def _own_throttle(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    own_throttle(app, monkeypatch)


def _refresh(client: FlaskClient, console: Console, tokens: dict[str, Any]) -> Any:
    return token(client, console, grant_type="refresh_token", refresh_token=tokens["refresh_token"])


def _sessions(client: FlaskClient, tokens: dict[str, Any]) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/me/sessions", headers=bearer(tokens))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    listed: list[dict[str, Any]] = answer.get_json()
    return listed


def test_list_and_end_one_session(app: Flask, client: FlaskClient) -> None:
    console = register(app)
    laptop = sign_in(client, console, **{"User-Agent": "Firefox on the counter laptop"})
    phone = sign_in(client, console, **{"User-Agent": "Safari on a phone"})
    rotated = _refresh(client, console, phone)
    assert rotated.status_code == 200
    phone = rotated.get_json()

    listed = _sessions(client, laptop)
    assert len(listed) == 2
    by_agent = {s["user_agent"]: s for s in listed}
    mine = by_agent["Firefox on the counter laptop"]
    other = by_agent["Safari on a phone"]
    assert mine["current"] is True and other["current"] is False
    assert mine["client_id"] == console.client_id and mine["client_name"] == "Staff console"
    assert mine["address"] == "127.0.0.1" and mine["methods"] == ["pwd"]
    assert other["last_used_at"] >= other["created_at"]
    # The most recently used first: the phone refreshed last.
    assert listed[0]["id"] == other["id"]

    ended = client.delete(f"/api/v1/me/sessions/{other['id']}", headers=bearer(laptop))
    assert ended.status_code == 204
    # Its refresh token is refused at once, and so is its access token in this process.
    refused = _refresh(client, console, phone)
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_grant"
    assert client.get("/api/v1/me", headers=bearer(phone)).status_code == 401
    # Other processes load the revocation from the database within their window.
    with app.app_context():
        fresh = RevocationList(refresh_seconds=1)
        jti = db.session.scalar(
            db.select(RefreshToken.access_jti).where(
                RefreshToken.family_id == uuid.UUID(other["id"]),
                RefreshToken.access_jti.is_not(None),
                RefreshToken.used_at.is_(None),
            )
        )
        assert jti and db.session.get(RevokedToken, jti) is not None and fresh.contains(jti)
        session = db.session.get(StaffSession, uuid.UUID(other["id"]))
        assert session is not None and session.ended_at is not None
        event = db.session.scalar(
            db.select(SecurityEvent).where(SecurityEvent.kind == SESSION_ENDED)
        )
        assert event is not None and event.detail["sessions"] == [other["id"]]
        db.session.remove()

    assert [s["id"] for s in _sessions(client, laptop)] == [mine["id"]]
    again = client.delete(f"/api/v1/me/sessions/{other['id']}", headers=bearer(laptop))
    assert again.status_code == 404 and again.mimetype == "application/problem+json"
    # The laptop's session goes on.
    assert _refresh(client, console, laptop).status_code == 200


def test_end_every_other_session(app: Flask, client: FlaskClient) -> None:
    console = register(app)
    here, there, elsewhere = (sign_in(client, console) for _ in range(3))
    assert len(_sessions(client, here)) == 3
    assert client.delete("/api/v1/me/sessions", headers=bearer(here)).status_code == 204
    for gone in (there, elsewhere):
        assert _refresh(client, console, gone).status_code == 400
        assert client.get("/api/v1/me", headers=bearer(gone)).status_code == 401
    listed = _sessions(client, here)
    assert len(listed) == 1 and listed[0]["current"] is True
    renewed = _refresh(client, console, here)
    assert renewed.status_code == 200
    # Ending one's own session is signing out.
    renewed_tokens = renewed.get_json()
    own = client.delete(f"/api/v1/me/sessions/{listed[0]['id']}", headers=bearer(renewed_tokens))
    assert own.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(renewed_tokens)).status_code == 401
    assert _refresh(client, console, renewed_tokens).status_code == 400


def test_only_ones_own_sessions(app: Flask, client: FlaskClient, make_api: Any) -> None:
    console = register(app)
    other = register(app, email="other@council.example")
    mine = sign_in(client, console)
    theirs = sign_in(client, other)
    their_id = _sessions(client, theirs)[0]["id"]
    refused = client.delete(f"/api/v1/me/sessions/{their_id}", headers=bearer(mine))
    assert refused.status_code == 404
    assert _refresh(client, other, theirs).status_code == 200
    missing = client.delete(f"/api/v1/me/sessions/{uuid.uuid4()}", headers=bearer(mine))
    assert missing.status_code == 404
    machine = make_api("admin")
    assert machine.get("/api/v1/me/sessions").status_code == 403
    assert client.get("/api/v1/me/sessions").status_code == 401


def test_disabling_a_user_ends_their_sessions(
    app: Flask, client: FlaskClient, make_api: Any
) -> None:
    console = register(app)
    tokens = sign_in(client, console)
    listed = _sessions(client, tokens)
    with app.app_context():
        user_id = db.session.scalar(db.select(StaffUser.id).where(StaffUser.email == console.email))
        db.session.remove()
    assert (
        make_api("admin").post(f"/api/v1/staff-users/{user_id}/disable", json={}).status_code == 200
    )
    assert client.get("/api/v1/me/sessions", headers=bearer(tokens)).status_code == 401
    with app.app_context():
        session = db.session.get(StaffSession, uuid.UUID(listed[0]["id"]))
        assert session is not None and session.ended_at is not None
        db.session.remove()
