"""The OAuth2 server: client credentials, JWT access tokens, JWKS, revocation, introspection."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from joserfc import jwt
from joserfc.jwk import KeySet

from cgcrm.extensions import db
from cgcrm.identity.models import RevokedToken
from cgcrm.identity.revocations import RevocationList
from cgcrm.identity.service import create_client

# Any guarded read; a look-up by identifier needs only citizens:read.
LOOKUP = "/api/v1/citizens?identifier=RATES_ACCOUNT:RA-1"


def _client(app: Flask, scope: str = "citizens:read citizens:write") -> tuple[str, str]:
    with app.app_context():
        issued = create_client("dept system", "RATES", scope)
        db.session.remove()
    return issued.client.client_id, issued.client_secret


def _token(client: Any, creds: tuple[str, str], **form: str) -> Any:
    return client.post(
        "/oauth/token", data={"grant_type": "client_credentials", **form}, auth=creds
    )


def test_client_credentials_issue_a_signed_rfc9068_token(app: Flask, client: Any) -> None:
    creds = _client(app)
    response = _token(client, creds)
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"].lower() == "bearer"
    assert body["expires_in"] == app.config["ACCESS_TOKEN_TTL"]

    jwks = client.get("/.well-known/jwks.json").get_json()
    decoded = jwt.decode(body["access_token"], KeySet.import_key_set(jwks))
    assert decoded.header["typ"] == "at+jwt"
    assert decoded.header["kid"] == jwks["keys"][0]["kid"]
    claims = decoded.claims
    assert claims["client_id"] == creds[0]
    assert claims["dept"] == "RATES"
    assert set(claims["scope"].split()) == {"citizens:read", "citizens:write"}
    assert "d" not in jwks["keys"][0]  # never the private half


def test_a_client_gets_only_scopes_it_holds(app: Flask, client: Any) -> None:
    creds = _client(app, "citizens:read")
    narrowed = _token(client, creds, scope="citizens:read")
    assert narrowed.get_json()["scope"] == "citizens:read"
    refused = _token(client, creds, scope="admin")
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "invalid_scope"


def test_wrong_secret_is_refused(app: Flask, client: Any) -> None:
    client_id, _ = _client(app)
    response = _token(client, (client_id, "wrong"))
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"


def test_revoked_token_stops_working_and_introspects_inactive(app: Flask, client: Any) -> None:
    creds = _client(app)
    token = _token(client, creds).get_json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get(LOOKUP, headers=bearer).status_code == 200

    active = client.post("/oauth/introspect", data={"token": token}, auth=creds).get_json()
    assert active["active"] is True
    assert active["client_id"] == creds[0]

    assert client.post("/oauth/revoke", data={"token": token}, auth=creds).status_code == 200
    assert client.get("/api/v1/citizens", headers=bearer).status_code == 401
    inactive = client.post("/oauth/introspect", data={"token": token}, auth=creds).get_json()
    assert inactive == {"active": False}


def test_a_revocation_made_by_another_process_is_honoured_within_the_refresh_interval(
    app: Flask, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    refresh = 0.3
    monkeypatch.setitem(app.extensions, "cgcrm.revocations", RevocationList(refresh))
    creds = _client(app)
    token = _token(client, creds).get_json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get(LOOKUP, headers=bearer).status_code == 200

    claims = jwt.decode(token, KeySet.import_key_set(client.get("/.well-known/jwks.json").json))
    with app.app_context():  # what the revoking process commits; this one has not seen it
        expires = datetime.fromtimestamp(claims.claims["exp"], UTC)
        db.session.add(RevokedToken(jti=claims.claims["jti"], expires_at=expires))
        db.session.commit()
        db.session.remove()

    inactive = client.post("/oauth/introspect", data={"token": token}, auth=creds).get_json()
    assert inactive == {"active": False}  # introspection asks the database
    time.sleep(refresh)
    assert client.get("/api/v1/citizens", headers=bearer).status_code == 401


def test_a_client_cannot_introspect_or_revoke_another_clients_token(
    app: Flask, client: Any
) -> None:
    owner, other = _client(app), _client(app)
    token = _token(client, owner).get_json()["access_token"]
    seen = client.post("/oauth/introspect", data={"token": token}, auth=other).get_json()
    assert seen == {"active": False}
    client.post("/oauth/revoke", data={"token": token}, auth=other)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(LOOKUP, headers=headers).status_code == 200


def test_server_metadata_names_the_endpoints(client: Any) -> None:
    meta = client.get("/.well-known/oauth-authorization-server").get_json()
    assert meta["token_endpoint"].endswith("/oauth/token")
    assert "client_credentials" in meta["grant_types_supported"]
