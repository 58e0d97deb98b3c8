"""OpenID Connect provider: discovery, the ID token of a staff sign-in (checked with joserfc
against our published JWKS), nonce required and never reused, and the userinfo endpoint."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from cgcrm.extensions import db
from cgcrm.identity.models import StaffUser
from cgcrm.identity.oidc import ACR_PASSWORD
from cgcrm.identity.signin import build_signin_throttle
from tests.identity.signin_helpers import PASSWORD, REDIRECT, Console, csrf_of, pkce, register

OIDC_SCOPE = "openid profile email citizens:read"


@pytest.fixture(autouse=True)
def _own_throttle(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    config = {**app.config, "QUEUE_NAMESPACE": f"{app.config['QUEUE_NAMESPACE']}{uuid.uuid4()}."}
    monkeypatch.setitem(app.extensions, "cgcrm.signin_throttle", build_signin_throttle(config))


@pytest.fixture
def console(app: Flask) -> Console:
    return register(app, roles=["case_worker"], scope=f"{OIDC_SCOPE} citizens:write")


def _authorize(console: Console, challenge: str, **extra: str | None) -> str:
    params = {
        "response_type": "code",
        "client_id": console.client_id,
        "redirect_uri": REDIRECT,
        "state": "st-1",
        "nonce": f"n-{uuid.uuid4().hex}",
        "scope": OIDC_SCOPE,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def _tokens(http: FlaskClient, console: Console, **extra: str | None) -> dict[str, Any]:
    verifier, challenge = pkce()
    url = _authorize(console, challenge, **extra)
    page = http.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    answer = http.post(
        url, data={"email": console.email, "password": PASSWORD, "csrf": csrf_of(page.text)}
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    response = http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(console.client_id, console.client_secret),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def _verified_id_token(
    http: FlaskClient, id_token: str, console: Console, nonce: str
) -> dict[str, Any]:
    """What a relying party does: the keys from discovery's jwks_uri, then every check."""
    discovery = http.get("/.well-known/openid-configuration").get_json()
    jwks = http.get(urlsplit(discovery["jwks_uri"]).path).get_json()
    decoded = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    JWTClaimsRegistry(
        iss={"essential": True, "value": discovery["issuer"]},
        aud={"essential": True, "value": console.client_id},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    ).validate(decoded.claims)
    assert decoded.header["kid"] == jwks["keys"][0]["kid"] and decoded.header["typ"] == "JWT"
    return dict(decoded.claims)


def test_discovery_describes_the_provider(client: FlaskClient) -> None:
    response = client.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    body = response.get_json()
    issuer = body["issuer"]
    assert body["authorization_endpoint"] == f"{issuer}/oauth/authorize"
    assert body["token_endpoint"] == f"{issuer}/oauth/token"
    assert body["userinfo_endpoint"] == f"{issuer}/oauth/userinfo"
    assert body["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert {"openid", "profile", "email"} <= set(body["scopes_supported"])
    assert body["response_types_supported"] == ["code"]
    assert body["subject_types_supported"] == ["public"]
    assert body["id_token_signing_alg_values_supported"] == ["RS256"]
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert {"sub", "name", "email", "department", "roles", "acr"} <= set(body["claims_supported"])
    assert ACR_PASSWORD in body["acr_values_supported"]
    assert body["request_uri_parameter_supported"] is False


def test_openid_sign_in_returns_a_signed_id_token(
    app: Flask, client: FlaskClient, console: Console
) -> None:
    before = int(time.time())
    tokens = _tokens(client, console, nonce="nonce-for-this-sign-in")
    claims = _verified_id_token(client, tokens["id_token"], console, "nonce-for-this-sign-in")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert claims["sub"] == me.get_json()["id"]
    assert claims["acr"] == ACR_PASSWORD and claims["amr"] == ["pwd"]
    assert before - 2 <= claims["auth_time"] <= claims["iat"] <= int(time.time()) + 2
    assert claims["exp"] == claims["iat"] + app.config["ID_TOKEN_TTL"]
    assert claims["email"] == console.email and claims["name"] == "Clerk"
    assert claims["department"] == "RATES" and claims["roles"] == ["case_worker"]
    assert claims["at_hash"]
    # An ID token is not an access token: the API refuses it.
    refused = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['id_token']}"})
    assert refused.status_code == 401


def test_claims_follow_the_granted_scopes(client: FlaskClient, console: Console) -> None:
    tokens = _tokens(client, console, scope="openid citizens:read")
    claims = jwt.decode(
        tokens["id_token"],
        KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json()),
        algorithms=["RS256"],
    ).claims
    assert "email" not in claims and "name" not in claims and "department" not in claims


def test_no_openid_no_id_token(client: FlaskClient, console: Console) -> None:
    tokens = _tokens(client, console, scope="citizens:read")
    assert "id_token" not in tokens
    # Nor by default: an ID token must be asked for (with a nonce).
    assert "id_token" not in _tokens(client, console, scope=None, nonce=None)


def test_openid_needs_a_nonce_and_refuses_one_used_before(
    client: FlaskClient, console: Console
) -> None:
    _, challenge = pkce()
    # The client and its redirect URI checked out: the error goes back to it (RFC 6749 §4.1.2.1).
    missing = client.get(_authorize(console, challenge, nonce=None))
    assert _error_of(missing) == ("invalid_request", "Missing 'nonce' in request.")
    _tokens(client, console, nonce="used-once")
    replayed = client.get(_authorize(console, challenge, nonce="used-once"))
    assert _error_of(replayed) == ("invalid_request", "Replay attack")


def _error_of(response: Any) -> tuple[str, str]:
    assert response.status_code == 302, response.get_data(as_text=True)
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert "code" not in query
    return query["error"][0], query["error_description"][0]


def test_userinfo_says_who_the_user_is(client: FlaskClient, console: Console) -> None:
    tokens = _tokens(client, console)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    for response in (
        client.get("/oauth/userinfo", headers=bearer),
        client.post("/oauth/userinfo", headers=bearer),
    ):
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert body["email"] == console.email and body["department"] == "RATES"
        assert body["roles"] == ["case_worker"]
    narrow = _tokens(client, console, scope="openid")
    body = client.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {narrow['access_token']}"}
    ).get_json()
    assert set(body) == {"sub"}


def test_userinfo_needs_an_openid_token_of_a_user(
    client: FlaskClient, console: Console, make_api: Any
) -> None:
    assert client.get("/oauth/userinfo").status_code == 401
    tokens = _tokens(client, console, scope="citizens:read")
    without = client.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert without.status_code == 403
    assert 'error="insufficient_scope"' in without.headers["WWW-Authenticate"]
    assert make_api("openid citizens:read").get("/oauth/userinfo").status_code == 403


def test_clients_may_register_the_openid_scopes(app: Flask) -> None:
    console = register(app, scope="openid profile email", email="other@council.example")
    assert console.client_id


def test_userinfo_refuses_a_disabled_user(
    app: Flask, client: FlaskClient, console: Console
) -> None:
    tokens = _tokens(client, console)
    with app.app_context():
        user = db.session.scalars(
            sa.select(StaffUser).where(StaffUser.email == console.email)
        ).one()
        user.active = False
        db.session.commit()
        db.session.remove()
    response = client.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert response.status_code == 401
