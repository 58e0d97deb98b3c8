"""Our server as an OpenID provider, checked with Authlib's own client (its ID token validated
with joserfc), and providers we cannot use, said so before the browser leaves.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from cgcrm.identity.oidc import ACR_PASSWORD
from tests.identity.federation_stack import (
    SAM,
    IdentityProvider,
    authorize_url,
    sign_in_at_provider,
)
from tests.identity.signin_helpers import REDIRECT, Console, pkce
from tests.live_server import free_port


def test_our_provider_with_authlibs_client(identity_provider: IdentityProvider) -> None:
    """A relying party built on Authlib (not our code) signs a staff user in through us, and
    checks the ID token with joserfc against the keys discovery names."""
    idp = identity_provider
    discovery = requests.get(f"{idp.base}/.well-known/openid-configuration", timeout=10).json()
    session = OAuth2Session(
        idp.console_id,
        idp.console_secret,
        scope="openid profile email citizens:read",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )
    verifier, nonce = generate_token(64), generate_token(24)
    url, state = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    callback = sign_in_at_provider(url, SAM)
    token = session.fetch_token(
        discovery["token_endpoint"],
        authorization_response=callback,
        code_verifier=verifier,
        state=state,
        timeout=10,
    )
    keys = KeySet.import_key_set(requests.get(discovery["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(
        token["id_token"], keys, algorithms=discovery["id_token_signing_alg_values_supported"]
    )
    JWTClaimsRegistry(
        iss={"essential": True, "value": discovery["issuer"]},
        aud={"essential": True, "value": idp.console_id},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True},
        auth_time={"essential": True},
    ).validate(decoded.claims)
    assert decoded.claims["email"] == SAM and decoded.claims["roles"] == ["supervisor"]
    assert decoded.claims["acr"] == ACR_PASSWORD
    userinfo = session.get(discovery["userinfo_endpoint"], timeout=10)
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == decoded.claims["sub"]
    assert userinfo.json()["department"] == "CUSTOMER"
    # The same nonce again is refused (back to the client, as an error).
    again, _ = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=generate_token(64), nonce=nonce
    )
    replay = requests.get(again, allow_redirects=False, timeout=10)
    assert replay.status_code == 302
    assert parse_qs(urlsplit(replay.headers["Location"]).query)["error"] == ["invalid_request"]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        # The discovery document names another issuer than the one configured.
        (
            lambda idp: {
                "discovery_url": f"{idp.base}/.well-known/openid-configuration",
                "issuer": "http://127.0.0.1:9",
            },
            "provider_metadata",
        ),
        # Nobody answers at the configured address.
        (lambda idp: {"issuer": f"http://127.0.0.1:{free_port()}"}, "provider_unavailable"),
    ],
)
def test_a_provider_we_cannot_use_is_said_so_before_leaving(
    app: Flask,
    client: FlaskClient,
    console: Console,
    federate: Callable[..., None],
    identity_provider: IdentityProvider,
    overrides: Callable[[IdentityProvider], dict[str, Any]],
    reason: str,
) -> None:
    federate(**overrides(identity_provider))
    _, challenge = pkce()
    page = client.get(authorize_url(console, challenge, "n"))
    link = re.search(r'href="(/oauth/federation/gov/start\?[^"]+)"', page.text)
    assert link
    start = client.get(html.unescape(link.group(1)))
    assert start.status_code == 502 and f"Error code: {reason}" in start.text
    assert "Location" not in start.headers
