"""Grants misused on purpose: a code sent twice at the same moment, presented by another client
or for another redirect URI, scopes asked beyond what was granted (refused, never trimmed), a
refresh token presented by another client or after the user lost a role, or revoked by its
client.

test_signin.py has the sign-in itself, a code replayed or tried with another verifier, refresh
reuse and a disabled user; these build on it."""

from __future__ import annotations

import threading
import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from cgcrm.extensions import db
from cgcrm.identity.models import StaffUser
from cgcrm.identity.signin import build_signin_throttle
from tests.identity.signin_helpers import PASSWORD, REDIRECT, Console, csrf_of, pkce, register

WHO_AM_I = "/api/v1/me"


@pytest.fixture(autouse=True)
def _own_throttle(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-in failures counted afresh for each test (the same emails recur across tests)."""
    config = {**app.config, "QUEUE_NAMESPACE": f"{app.config['QUEUE_NAMESPACE']}{uuid.uuid4()}."}
    monkeypatch.setitem(app.extensions, "cgcrm.signin_throttle", build_signin_throttle(config))


def _code(http: FlaskClient, console: Console, challenge: str, scope: str | None = None) -> str:
    """Sign in on the page; the authorization code the redirect carries."""
    params = {
        "response_type": "code",
        "client_id": console.client_id,
        "redirect_uri": REDIRECT,
        "state": "st",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **({"scope": scope} if scope else {}),
    }
    url = "/oauth/authorize?" + urlencode(params)
    page = http.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    form = {"email": console.email, "password": PASSWORD, "csrf": csrf_of(page.get_data(True))}
    answer = http.post(url, data=form)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def _token(http: FlaskClient, console: Console, **form: str) -> Any:
    return http.post("/oauth/token", data=form, auth=(console.client_id, console.client_secret))


def _exchange(http: FlaskClient, console: Console, code: str, verifier: str) -> Any:
    return _token(
        http,
        console,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=verifier,
    )


def _signed_in(http: FlaskClient, console: Console, scope: str | None = None) -> dict[str, Any]:
    verifier, challenge = pkce()
    response = _exchange(http, console, _code(http, console, challenge, scope), verifier)
    assert response.status_code == 200, response.get_data(as_text=True)
    tokens: dict[str, Any] = response.get_json()
    return tokens


def _refresh(http: FlaskClient, console: Console, refresh_token: str, **form: str) -> Any:
    return _token(http, console, grant_type="refresh_token", refresh_token=refresh_token, **form)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _refused(response: Any, error: str) -> bool:
    return response.status_code == 400 and response.get_json()["error"] == error


def test_a_code_sent_twice_at_once_gives_one_token(app: Flask) -> None:
    """Two exchanges of one code race: the row lock lets one through; the other is a replay."""
    console = register(app)
    http = app.test_client()
    verifier, challenge = pkce()
    code = _code(http, console, challenge)
    start = threading.Barrier(2)
    answers: list[Any] = []

    def exchange() -> None:
        own = app.test_client()
        start.wait()
        answers.append(_exchange(own, console, code, verifier))

    racers = [threading.Thread(target=exchange) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=60)
    assert sorted(a.status_code for a in answers) == [200, 400]
    issued = next(a for a in answers if a.status_code == 200).get_json()
    # The loser came after the winner's commit: it replayed the code, so the winner's tokens go.
    assert http.get(WHO_AM_I, headers=_bearer(issued["access_token"])).status_code == 401


def test_a_code_is_refused_to_another_client_and_for_another_redirect_uri(
    app: Flask, client: Any
) -> None:
    console = register(app)
    other = register(app, email="other.clerk@council.example")
    verifier, challenge = pkce()
    code = _code(client, console, challenge)
    assert _refused(_exchange(client, other, code, verifier), "invalid_grant")
    elsewhere = _token(
        client,
        console,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT + "2",  # registered for this client, but not the one signed in to
        code_verifier=verifier,
    )
    assert elsewhere.status_code == 400 and elsewhere.get_json()["error"] == "invalid_grant"


def test_client_credentials_asking_one_scope_too_many_get_nothing(
    app: Flask, client: Any, make_api: Any
) -> None:
    api = make_api("citizens:read")
    asked = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "citizens:read cross_department"},
        auth=(api.client_id, api.client_secret),
    )
    assert _refused(asked, "invalid_scope")  # not a token trimmed to citizens:read
    assert "access_token" not in asked.get_json()
    unknown = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "citizens:read no-such-scope"},
        auth=(api.client_id, api.client_secret),
    )
    assert _refused(unknown, "invalid_scope")


def test_refresh_cannot_widen_the_sign_in_even_to_scopes_the_user_holds(
    app: Flask, client: Any
) -> None:
    console = register(app)
    narrow = _signed_in(client, console, scope="citizens:read")
    assert narrow["scope"] == "citizens:read"
    # front_office holds citizens:write and the client too, but this sign-in did not grant it.
    wider = _refresh(client, console, narrow["refresh_token"], scope="citizens:read citizens:write")
    assert _refused(wider, "invalid_scope")
    same = _refresh(client, console, narrow["refresh_token"])
    assert same.status_code == 200 and same.get_json()["scope"] == "citizens:read"


def test_refresh_after_the_user_lost_a_role_is_refused_not_trimmed(app: Flask, client: Any) -> None:
    console = register(app, roles=["front_office"])
    tokens = _signed_in(client, console)
    assert "payments:write" in tokens["scope"].split()
    with app.app_context():  # an administrator moved the clerk to case work (no payments)
        db.session.execute(
            update(StaffUser).where(StaffUser.email == console.email).values(roles="case_worker")
        )
        db.session.commit()
        db.session.remove()
    assert _refused(_refresh(client, console, tokens["refresh_token"]), "invalid_scope")


def test_a_refresh_token_is_refused_to_another_client(app: Flask, client: Any) -> None:
    console = register(app)
    other = register(app, email="other.clerk@council.example")
    tokens = _signed_in(client, console)
    assert _refused(_refresh(client, other, tokens["refresh_token"]), "invalid_grant")
    # Still its own client's to use.
    assert _refresh(client, console, tokens["refresh_token"]).status_code == 200


@pytest.mark.parametrize("hint", [None, "refresh_token", "access_token"])
def test_a_refresh_token_revoked_by_its_client_ends_the_sign_in(
    app: Flask, client: Any, hint: str | None
) -> None:
    """RFC 7009 §2.1: the refresh token and the access tokens of its grant (a wrong hint too)."""
    console = register(app)
    other = register(app, email="other.clerk@council.example")
    tokens = _signed_in(client, console)
    form = {"token": tokens["refresh_token"], **({"token_type_hint": hint} if hint else {})}
    client.post("/oauth/revoke", data=form, auth=(other.client_id, other.client_secret))
    assert client.get(WHO_AM_I, headers=_bearer(tokens["access_token"])).status_code == 200

    revoked = client.post(
        "/oauth/revoke", data=form, auth=(console.client_id, console.client_secret)
    )
    assert revoked.status_code == 200
    assert client.get(WHO_AM_I, headers=_bearer(tokens["access_token"])).status_code == 401
    assert _refused(_refresh(client, console, tokens["refresh_token"]), "invalid_grant")
