"""Every endpoint is guarded: a token is required and its scopes are enforced."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask

from cgcrm.identity.guard import PUBLIC_ENDPOINTS, declared_scopes, is_public

CHECKED_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def test_every_rule_is_public_by_name_or_declares_scopes(app: Flask) -> None:
    unguarded = []
    for rule in app.url_map.iter_rules():
        if is_public(rule.endpoint):
            continue
        for method in sorted((rule.methods or set()) & CHECKED_METHODS):
            if declared_scopes(app, rule.endpoint, method) is None:
                unguarded.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert unguarded == []


def test_public_endpoints_exist(app: Flask) -> None:
    # A renamed view must not leave a stale (and silently public) name behind.
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert PUBLIC_ENDPOINTS - endpoints == set()


@pytest.mark.smoke
def test_no_token_is_401_with_challenge(client: Any) -> None:
    response = client.get("/api/v1/citizens")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.content_type == "application/problem+json"


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer eyJhbGciOiJub25lIn0.e30."],
)
def test_bad_tokens_are_401(client: Any, header: str) -> None:
    response = client.get("/api/v1/citizens", headers={"Authorization": header})
    assert response.status_code == 401


def test_missing_scope_is_403(make_api: Any) -> None:
    reader = make_api("citizens:read")
    response = reader.post("/api/v1/citizens", json={"given_name": "A", "family_name": "B"})
    assert response.status_code == 403
    assert "citizens:write" in response.get_json()["detail"]
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_token_of_another_issuer_key_is_refused(app: Flask, client: Any) -> None:
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    forged = jwt.encode(
        {"alg": "RS256", "typ": "at+jwt"},
        {
            "iss": app.config["JWT_ISSUER"],
            "aud": app.config["JWT_AUDIENCE"],
            "sub": "x",
            "client_id": "x",
            "exp": 4_000_000_000,
            "iat": 1,
            "jti": "j",
            "scope": "admin",
        },
        RSAKey.generate_key(2048),
    )
    response = client.get("/api/v1/citizens", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_a_token_checked_once_still_expires_and_cannot_be_altered(
    app: Flask, client: Any, make_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cgcrm.identity import tokens

    api = make_api("citizens:read", "RATES")
    # its signature is now remembered
    assert api.get("/api/v1/citizens/search?q=smith").status_code == 200
    token = api.headers()["Authorization"].removeprefix("Bearer ")

    header, payload, signature = token.split(".")
    altered = f"{header}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
    refused = client.get("/api/v1/citizens", headers={"Authorization": f"Bearer {altered}"})
    assert refused.status_code == 401

    later = time.time() + app.config["ACCESS_TOKEN_TTL"] + 60
    monkeypatch.setattr(tokens, "time", SimpleNamespace(time=lambda: later))
    assert api.get("/api/v1/citizens").status_code == 401
