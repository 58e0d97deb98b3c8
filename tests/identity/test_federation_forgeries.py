"""ID tokens we cannot trust, handed to us by a proxy on the path to a real provider's token
endpoint: tampered with, signed by another key or none, meant for another client, expired, or
of another issuer. Each is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import RSAKey

from cgcrm.extensions import db
from cgcrm.identity.keys import _generate_pem
from cgcrm.identity.models import StaffUser
from tests.identity.federation_stack import (
    ADA,
    IdentityProvider,
    TamperingProxy,
    assert_refused,
    federated_sign_in,
)
from tests.identity.signin_helpers import Console


def _segments(token: str) -> list[str]:
    return token.split(".")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims_of(token: str) -> dict[str, Any]:
    payload = _segments(token)[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _resigned(key_pem: bytes, kid: str, **changes: Any) -> Callable[[str], str]:
    def forge(token: str) -> str:
        claims = _claims_of(token) | changes
        return jwt.encode(
            {"alg": "RS256", "kid": kid, "typ": "JWT"}, claims, RSAKey.import_key(key_pem)
        )

    return forge


def _payload_changed(token: str) -> str:
    header, _, signature = _segments(token)
    claims = _claims_of(token) | {"email": "someone.else@gov.example"}
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def _alg_none(token: str) -> str:
    header = _b64(json.dumps({"alg": "none"}).encode())
    return f"{header}.{_segments(token)[1]}."


def _hmac_with_public_key(idp: IdentityProvider) -> Callable[[str], str]:
    public_pem = RSAKey.import_key(idp.key_pem).as_pem(private=False)

    def forge(token: str) -> str:
        header = _b64(json.dumps({"alg": "HS256", "kid": idp.kid}).encode())
        signing_input = f"{header}.{_segments(token)[1]}".encode()
        signature = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
        return f"{signing_input.decode()}.{_b64(signature)}"

    return forge


FORGERIES: dict[str, Callable[[IdentityProvider], Callable[[str], str]]] = {
    "payload changed, signature kept": lambda idp: _payload_changed,
    "signed by another key under the provider's kid": lambda idp: _resigned(
        _generate_pem(), idp.kid
    ),
    "alg none": lambda idp: _alg_none,
    "HMAC keyed with the provider's public key": _hmac_with_public_key,
    "for another client (aud)": lambda idp: _resigned(idp.key_pem, idp.kid, aud="someone-else"),
    "of another issuer": lambda idp: _resigned(idp.key_pem, idp.kid, iss="http://127.0.0.1:9"),
    "expired": lambda idp: _resigned(
        idp.key_pem, idp.kid, exp=int(time.time()) - 3600, iat=int(time.time()) - 4000
    ),
    "for another sign-in (nonce)": lambda idp: _resigned(idp.key_pem, idp.kid, nonce="replayed"),
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_an_id_token_we_cannot_trust_is_refused(
    app: Flask,
    client: FlaskClient,
    console: Console,
    federate: Callable[..., None],
    identity_provider: IdentityProvider,
    proxy: TamperingProxy,
    monkeypatch: pytest.MonkeyPatch,
    forgery: str,
) -> None:
    federate(discovery_url=f"{proxy.base}/.well-known/openid-configuration")
    monkeypatch.setattr(proxy, "tamper", FORGERIES[forgery](identity_provider))
    answer, _ = federated_sign_in(client, console)
    assert_refused(app, answer, "id_token")
    with app.app_context():
        assert db.session.scalar(sa.select(StaffUser).where(StaffUser.email == ADA)) is None
        db.session.remove()


def test_the_proxy_passes_an_untouched_token_through(
    client: FlaskClient, console: Console, federate: Callable[..., None], proxy: TamperingProxy
) -> None:
    """The refusals above are the forgeries', not the proxy's."""
    federate(discovery_url=f"{proxy.base}/.well-known/openid-configuration")
    answer, _ = federated_sign_in(client, console)
    assert answer.status_code == 302 and "code=" in answer.headers["Location"]
