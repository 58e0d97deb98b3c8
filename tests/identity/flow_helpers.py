"""The sign-in flow driven through the HTTP layer, step by step, for the TOTP and session tests:
the authorization request, the password page, the code page, the code exchange with PKCE."""

from __future__ import annotations

import base64
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from flask import Flask
from flask.testing import FlaskClient

from cgcrm.identity.signin import build_signin_throttle
from tests.identity.signin_helpers import PASSWORD, REDIRECT, Console, csrf_of, pkce

STEP = 30
# A moment in the middle of a time step, so that steps s-1, s and s+1 are each one code.
MOMENT = datetime.fromtimestamp((int(datetime.now(UTC).timestamp()) // STEP) * STEP + 10, UTC)


def own_throttle(app: Flask, monkeypatch: pytest.MonkeyPatch, **config: Any) -> None:
    """Count sign-in failures afresh for one test (the same emails recur across tests)."""
    settings = {
        **app.config,
        "QUEUE_NAMESPACE": f"{app.config['QUEUE_NAMESPACE']}{uuid.uuid4()}.",
        **config,
    }
    monkeypatch.setitem(app.extensions, "cgcrm.signin_throttle", build_signin_throttle(settings))


def code_for(secret: str, steps_from_moment: int = 0) -> str:
    """The code an authenticator app holding ``secret`` shows, that many steps from MOMENT."""
    generator = TOTP(base64.b32decode(secret), 6, SHA1(), STEP)
    moment = int(MOMENT.timestamp()) + steps_from_moment * STEP
    return generator.generate(moment).decode()


def authorize_url(console: Console, challenge: str, state: str = "st-123") -> str:
    params = {
        "response_type": "code",
        "client_id": console.client_id,
        "redirect_uri": REDIRECT,
        "state": state,
        "nonce": "n-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return "/oauth/authorize?" + urlencode(params)


def password_step(
    http: FlaskClient, console: Console, challenge: str, password: str = PASSWORD, **headers: str
) -> tuple[str, Any]:
    """GET the page and post the password: the URL and the answer."""
    url = authorize_url(console, challenge)
    page = http.get(url, headers=headers)
    assert page.status_code == 200, page.get_data(as_text=True)
    answer = http.post(
        url,
        data={"email": console.email, "password": password, "csrf": csrf_of(page.get_data(True))},
        headers=headers,
    )
    return url, answer


def pending_of(html: str) -> str:
    match = re.search(r'name="pending" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def code_step(http: FlaskClient, url: str, page: Any, code: str, **headers: str) -> Any:
    """Post a code on the code page ``page`` (the answer to the password or a code)."""
    html = page.get_data(as_text=True)
    return http.post(
        url,
        data={"csrf": csrf_of(html), "pending": pending_of(html), "code": code},
        headers=headers,
    )


def code_of(response: Any) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return parse_qs(location.query)["code"][0]


def token(http: FlaskClient, console: Console, **form: str) -> Any:
    return http.post("/oauth/token", data=form, auth=(console.client_id, console.client_secret))


def exchange(http: FlaskClient, console: Console, response: Any, verifier: str) -> dict[str, Any]:
    """Trade the redirect's code for tokens with the PKCE verifier."""
    answer = token(
        http,
        console,
        grant_type="authorization_code",
        code=code_of(response),
        redirect_uri=REDIRECT,
        code_verifier=verifier,
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body: dict[str, Any] = answer.get_json()
    return body


def sign_in(http: FlaskClient, console: Console, code: str | None = None, **headers: str) -> Any:
    """A whole sign-in (with a code when the user has TOTP); the tokens."""
    verifier, challenge = pkce()
    url, answer = password_step(http, console, challenge, **headers)
    if code is not None:
        assert answer.status_code == 200, answer.get_data(as_text=True)
        answer = code_step(http, url, answer, code, **headers)
    return exchange(http, console, answer, verifier)


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}
