"""A staff sign-in with PKCE through a standard OAuth 2.0 client (Authlib's requests-based
OAuth2Session, not our code) against the real application served by gunicorn on loopback,
then API calls with the user's scopes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from flask import Flask

from tests.identity.signin_helpers import PASSWORD, REDIRECT, register
from tests.live_server import gunicorn_serving


@pytest.fixture(scope="module")
def server(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with gunicorn_serving(app, tmp_path_factory.mktemp("live") / "gunicorn.log") as base:
        yield base


def test_pkce_sign_in_with_a_standard_client_then_the_api(app: Flask, server: str) -> None:
    console = register(app, roles=["case_worker"], scope="citizens:read metrics:read")
    session = OAuth2Session(
        console.client_id,
        console.client_secret,
        scope="citizens:read",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )
    verifier = generate_token(64)
    url, state = session.create_authorization_url(
        f"{server}/oauth/authorize", code_verifier=verifier, nonce=generate_token(16)
    )
    page = session.get(url, timeout=10, withhold_token=True)
    assert page.status_code == 200 and "Sign in" in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf
    answer = session.post(
        url,
        data={"email": console.email, "password": PASSWORD, "csrf": csrf.group(1)},
        allow_redirects=False,
        timeout=10,
        withhold_token=True,
    )
    assert answer.status_code == 302, answer.text
    assert "form-action 'self' http://127.0.0.1:8765" in answer.headers["Content-Security-Policy"]
    token = session.fetch_token(
        f"{server}/oauth/token",
        authorization_response=answer.headers["Location"],
        code_verifier=verifier,
        state=state,
        timeout=10,
    )
    assert token["scope"] == "citizens:read" and token["refresh_token"]

    me = session.get(f"{server}/api/v1/me", timeout=10)
    assert me.status_code == 200, me.text
    assert me.json()["kind"] == "user" and me.json()["roles"] == ["case_worker"]
    assert me.json()["department"] == "RATES"
    assert session.get(f"{server}/api/v1/citizens/search?q=Smith", timeout=10).status_code == 200
    # metrics:read is the client's but not a case worker's: the token does not carry it.
    assert session.get(f"{server}/api/v1/metrics/kpis", timeout=10).status_code == 403

    refreshed = session.refresh_token(f"{server}/oauth/token", timeout=10)
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert session.get(f"{server}/api/v1/me", timeout=10).status_code == 200
