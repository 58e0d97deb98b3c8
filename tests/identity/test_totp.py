"""The TOTP second factor through the HTTP layer: enrolment on ``/api/v1/me/totp``, the code
step of the sign-in page in a full authorization-code + PKCE sign-in, replay and drift, recovery
codes, the throttle, and disabling. The clock stands at MOMENT (``clock_set_to``) so that the
codes of the steps around it are known."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cgcrm.core.clock import clock_set_to
from cgcrm.core.security_events import SecurityEvent
from cgcrm.extensions import db
from cgcrm.identity.account_models import RecoveryCode, StaffTotp
from cgcrm.identity.signin import RECOVERY_CODE_USED, USER_LOCKED, USER_SIGNED_IN
from tests.identity.flow_helpers import (
    MOMENT,
    bearer,
    code_for,
    code_step,
    exchange,
    own_throttle,
    password_step,
    pending_of,
    sign_in,
)
from tests.identity.signin_helpers import PASSWORD, csrf_of, pkce, register


@pytest.fixture(autouse=True)
def _at_moment(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    own_throttle(app, monkeypatch)
    with clock_set_to(MOMENT):
        yield


def _enrol(client: FlaskClient, tokens: dict[str, Any]) -> tuple[str, list[str]]:
    """Enrol and confirm with the code of the step before MOMENT: the secret and the codes."""
    started = client.post("/api/v1/me/totp", json={"password": PASSWORD}, headers=bearer(tokens))
    assert started.status_code == 201, started.get_data(as_text=True)
    secret = started.get_json()["secret"]
    confirmed = client.post(
        "/api/v1/me/totp/confirm", json={"code": code_for(secret, -1)}, headers=bearer(tokens)
    )
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    return secret, confirmed.get_json()["recovery_codes"]


def _events(app: Flask, kind: str) -> list[dict[str, Any]]:
    with app.app_context():
        rows = db.session.scalars(db.select(SecurityEvent).where(SecurityEvent.kind == kind))
        details = [dict(row.detail) for row in rows]
        db.session.remove()
    return details


def test_enrol_then_sign_in_with_pkce_and_a_code(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    console = register(app)
    tokens = sign_in(client, console)
    status = client.get("/api/v1/me/totp", headers=bearer(tokens)).get_json()
    assert status == {
        "enabled": False,
        "pending": False,
        "enabled_at": None,
        "recovery_codes_left": 0,
    }

    started = client.post("/api/v1/me/totp", json={"password": PASSWORD}, headers=bearer(tokens))
    assert started.status_code == 201
    body = started.get_json()
    secret = body["secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert body["otpauth_uri"].startswith("otpauth://totp/cgcrm:")
    assert f"secret={secret}" in body["otpauth_uri"] and "issuer=cgcrm" in body["otpauth_uri"]
    assert started.headers["Cache-Control"] == "no-store"
    # Pending: sign-in does not ask for a code yet.
    assert client.get("/api/v1/me/totp", headers=bearer(tokens)).get_json()["pending"] is True
    sign_in(client, console)
    # Stored encrypted, and never logged.
    with app.app_context():
        row = db.session.get(StaffTotp, db.session.scalar(db.select(StaffTotp.user_id)))
        assert row is not None and secret not in row.secret_encrypted
        db.session.remove()
    assert secret not in caplog.text

    wrong = client.post("/api/v1/me/totp/confirm", json={"code": "000000"}, headers=bearer(tokens))
    assert wrong.status_code == 422 and wrong.mimetype == "application/problem+json"
    assert "code" in wrong.get_json()["errors"]
    confirmed = client.post(
        "/api/v1/me/totp/confirm", json={"code": code_for(secret, -1)}, headers=bearer(tokens)
    )
    assert confirmed.status_code == 200
    codes = confirmed.get_json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", c) for c in codes)
    status = client.get("/api/v1/me/totp", headers=bearer(tokens)).get_json()
    assert status["enabled"] is True and status["recovery_codes_left"] == 10
    again = client.post("/api/v1/me/totp", json={"password": PASSWORD}, headers=bearer(tokens))
    assert again.status_code == 409

    # The password alone no longer signs in: a second, accessible page asks for the code.
    verifier, challenge = pkce()
    url, page = password_step(client, console, challenge)
    assert page.status_code == 200 and "Location" not in page.headers
    html = page.get_data(as_text=True)
    assert '<label for="code">Enter your security code</label>' in html
    assert 'autocomplete="one-time-code"' in html and "<script" not in html
    assert secret not in html
    empty = code_step(client, url, page, "")
    assert empty.status_code == 400 and 'href="#code"' in empty.get_data(as_text=True)
    wrong = code_step(client, url, empty, "123456" if code_for(secret) != "123456" else "654321")
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and 'role="alert"' in html
    assert "Enter a correct security code" in html and 'aria-invalid="true"' in html
    signed_in = exchange(client, console, code_step(client, url, wrong, code_for(secret)), verifier)
    me = client.get("/api/v1/me", headers=bearer(signed_in))
    assert me.status_code == 200 and me.get_json()["email"] == console.email
    assert _events(app, USER_SIGNED_IN)[-1]["methods"] == ["pwd", "otp"]

    # The same code again (its step was used) is a replay; the next step's code is drift.
    verifier, challenge = pkce()
    url, page = password_step(client, console, challenge)
    replayed = code_step(client, url, page, code_for(secret))
    assert replayed.status_code == 400
    assert "Enter a correct security code" in replayed.get_data(as_text=True)
    # An older step than the newest used is refused as well.
    assert code_step(client, url, replayed, code_for(secret, -1)).status_code == 400
    exchange(client, console, code_step(client, url, replayed, code_for(secret, 1)), verifier)


def test_codes_outside_the_drift_window_are_refused(app: Flask, client: FlaskClient) -> None:
    console = register(app)
    secret, _ = _enrol(client, sign_in(client, console))
    _, challenge = pkce()
    statuses = []
    for steps in (-2, 2, 3):
        url, page = password_step(client, console, challenge)
        statuses.append(code_step(client, url, page, code_for(secret, steps)).status_code)
    # The third failure in a row starts the slow-down, as a third wrong password does.
    assert statuses == [400, 400, 429]


def test_a_recovery_code_works_once_and_is_audited(app: Flask, client: FlaskClient) -> None:
    console = register(app)
    _, codes = _enrol(client, sign_in(client, console))
    # Typed in capitals, without hyphens: the same code.
    tokens = sign_in(client, console, code=codes[3].replace("-", " ").upper())
    assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 200
    events = _events(app, RECOVERY_CODE_USED)
    assert len(events) == 1 and events[0]["recovery_codes_left"] == 9
    assert (
        client.get("/api/v1/me/totp", headers=bearer(tokens)).get_json()["recovery_codes_left"] == 9
    )
    _, challenge = pkce()
    url, page = password_step(client, console, challenge)
    assert code_step(client, url, page, codes[3]).status_code == 400
    with app.app_context():
        stored = db.session.scalars(db.select(RecoveryCode.code_hash)).all()
        db.session.remove()
    assert len(stored) == 10 and not {c.replace("-", "") for c in codes} & set(stored)


def test_wrong_codes_lock_the_account_like_wrong_passwords(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_throttle(app, monkeypatch, AUTH_LOCKOUT_FAILURES=4)
    console = register(app)
    secret, _ = _enrol(client, sign_in(client, console))
    wrong = "000000" if code_for(secret) != "000000" else "111111"
    _, challenge = pkce()
    url, page = password_step(client, console, challenge)
    page = code_step(client, url, page, wrong)
    page = code_step(client, url, page, wrong)
    assert page.status_code == 400
    # A right password again does not wipe the failures counted against the code.
    url, page = password_step(client, console, challenge)
    assert page.status_code == 200
    page = code_step(client, url, page, wrong)  # third: the slow-down starts
    page = code_step(client, url, page, code_for(secret))
    assert page.status_code == 429 and "Retry-After" in page.headers
    assert "You have tried to sign in too many times" in page.get_data(as_text=True)


def test_the_api_counts_wrong_codes_and_the_lock_is_audited(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    console = register(app)
    tokens = sign_in(client, console)
    secret, _ = _enrol(client, tokens)
    own_throttle(app, monkeypatch, AUTH_LOCKOUT_FAILURES=3)
    wrong = "000000" if code_for(secret) != "000000" else "111111"
    answers = [
        client.delete("/api/v1/me/totp", json={"code": wrong}, headers=bearer(tokens))
        for _ in range(4)
    ]
    assert [a.status_code for a in answers] == [422, 422, 422, 429]
    assert answers[-1].mimetype == "application/problem+json"
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert len(_events(app, USER_LOCKED)) == 1
    # Locked: the password step refuses the right password too.
    _, challenge = pkce()
    _, page = password_step(client, console, challenge)
    assert page.status_code == 429


def test_the_code_page_is_tied_to_its_browser_and_request(app: Flask, client: FlaskClient) -> None:
    console = register(app)
    secret, _ = _enrol(client, sign_in(client, console))
    _, challenge = pkce()
    url, page = password_step(client, console, challenge)
    html = page.get_data(as_text=True)
    form = {"csrf": csrf_of(html), "pending": pending_of(html), "code": code_for(secret)}
    # Altered, or used with another authorization request: back to the password.
    for changes, target in (
        ({"pending": pending_of(html)[:-2] + "xx"}, url),
        ({}, url.replace("st-123", "st-999")),
    ):
        answer = client.post(target, data={**form, **changes})
        assert answer.status_code == 400
        assert "Enter your email address and password again" in answer.get_data(as_text=True)
    # Another browser (no cookie, so no CSRF) cannot finish it.
    other = app.test_client()
    assert other.post(url, data=form).status_code == 400
    assert client.post(url, data=form).status_code == 302


def test_disable_needs_a_current_code_and_only_a_user_has_one(
    app: Flask, client: FlaskClient, make_api: Any
) -> None:
    console = register(app)
    tokens = sign_in(client, console)
    secret, codes = _enrol(client, tokens)
    missing = client.delete("/api/v1/me/totp", json={}, headers=bearer(tokens))
    assert missing.status_code == 422
    used = client.delete(
        "/api/v1/me/totp", json={"code": code_for(secret, -1)}, headers=bearer(tokens)
    )
    assert used.status_code == 422  # the confirming code's step is spent
    done = client.delete("/api/v1/me/totp", json={"code": codes[0]}, headers=bearer(tokens))
    assert done.status_code == 204
    assert (
        client.delete(
            "/api/v1/me/totp", json={"code": code_for(secret)}, headers=bearer(tokens)
        ).status_code
        == 409
    )
    # The password alone signs in again.
    sign_in(client, console)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(RecoveryCode)) == 0
        db.session.remove()
    machine = make_api("admin")
    refused = machine.get("/api/v1/me/totp")
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert machine.post("/api/v1/me/totp", json={"password": PASSWORD}).status_code == 403


def test_hostile_codes_are_refused_plainly(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_throttle(app, monkeypatch, AUTH_LOCKOUT_FAILURES=50)
    console = register(app)
    tokens = sign_in(client, console)
    secret, _ = _enrol(client, tokens)
    _, challenge = pkce()
    url, page = password_step(client, console, challenge)
    # Digits of another script, NUL, 100 kB, lookalikes of a recovery code.
    for code in (
        "١٢٣٤٥٦",
        "12\x003456",
        "9" * 100_000,
        "\uff21\uff22\uff23\uff24-" * 4,
        "\u212a" * 16,
    ):
        answer = code_step(client, url, page, code)
        assert answer.status_code in {400, 429}, answer.status_code
    html = page.get_data(as_text=True)
    raw = f"csrf={csrf_of(html)}&pending={pending_of(html)}&code=%ED%A0%80%FF123456"
    answer = client.post(url, data=raw, content_type="application/x-www-form-urlencoded")
    assert answer.status_code in {400, 429}
    for code in ("١٢٣٤٥٦", "\x00", ""):
        refused = client.post(
            "/api/v1/me/totp/confirm", json={"code": code}, headers=bearer(tokens)
        )
        assert refused.status_code in {409, 422}, refused.get_data(as_text=True)
        gone = client.delete("/api/v1/me/totp", json={"code": code}, headers=bearer(tokens))
        assert gone.status_code in {422, 429}, gone.get_data(as_text=True)
    assert client.get("/api/v1/me/totp", headers=bearer(tokens)).get_json()["enabled"] is True
    del secret


def test_enrolling_asks_for_the_password_so_a_stolen_token_cannot(
    app: Flask, client: FlaskClient
) -> None:
    console = register(app)
    tokens = sign_in(client, console)
    missing = client.post("/api/v1/me/totp", json={}, headers=bearer(tokens))
    assert missing.status_code == 422 and "password" in missing.get_json()["errors"]
    wrong = client.post(
        "/api/v1/me/totp", json={"password": "not the password at all"}, headers=bearer(tokens)
    )
    assert wrong.status_code == 422 and wrong.mimetype == "application/problem+json"
    assert "password" in wrong.get_json()["errors"]
    assert client.get("/api/v1/me/totp", headers=bearer(tokens)).get_json()["pending"] is False
    # Wrong passwords here count as failed sign-ins: guessing ends in the same lock.
    for _ in range(10):
        last = client.post(
            "/api/v1/me/totp", json={"password": "still not the password"}, headers=bearer(tokens)
        )
        if last.status_code == 429:
            break
    assert last.status_code == 429 and int(last.headers["Retry-After"]) > 0
