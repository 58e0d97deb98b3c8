"""Forged and stale access tokens are refused by the API: 401, a problem document, invalid_token.

Each token is built here and really signed (joserfc, cryptography, hmac): with our own key when
only its claims or header are wrong (as if the key had leaked to another environment or the
token was taken from one), with another key, or with the classic algorithm tricks. Every case
starts from the claims of a token /oauth/token issued, so it differs from an accepted one in
the one way its name says; the first test shows that the same recipe, unchanged, is accepted.
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
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from flask import Flask
from joserfc import jwt
from joserfc.jwk import RSAKey

from cgcrm.identity.keys import SigningKeys

# Open to any valid token (no scope needed): only the token itself can be refused here.
WHO_AM_I = "/api/v1/me"

Claims = dict[str, Any]
Header = dict[str, Any]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _keys(app: Flask) -> SigningKeys:
    keys: SigningKeys = app.extensions["cgcrm.signing_keys"]
    return keys


def _issued_claims(app: Flask, make_api: Any) -> Claims:
    """The claims of a token /oauth/token really issued (a client with citizens:read)."""
    token = make_api("citizens:read").token
    claims = _keys(app).trusted_claims(token)
    assert claims is not None
    return claims


def _ours(app: Flask, claims: Claims, **header: Any) -> str:
    """Signed with our own key, with our kid and typ unless ``header`` says otherwise."""
    keys = _keys(app)
    full = {"alg": "RS256", "typ": "at+jwt", "kid": keys.kid, **header}
    return jwt.encode({k: v for k, v in full.items() if v is not None}, claims, keys.private)


def _with(claims: Claims, **changes: Any) -> Claims:
    """``claims`` with ``changes`` applied; a change to None removes the claim."""
    changed = {**claims, **changes}
    return {k: v for k, v in changed.items() if v is not None}


def _rs256(header: Header, claims: Claims, key: RSAKey) -> str:
    """Signed with cryptography directly: joserfc will not write some of these headers."""
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    signature = key.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def _hs256(header: Header, claims: Claims, secret: bytes) -> str:
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def _public_pem(app: Flask, pkcs1: bool = False) -> bytes:
    public = _keys(app).private.as_dict(private=False)
    key = RSAKey.import_key(public).public_key
    formats = serialization.PublicFormat
    encoding = formats.PKCS1 if pkcs1 else formats.SubjectPublicKeyInfo
    return key.public_bytes(serialization.Encoding.PEM, encoding)


# --- the forgeries, each from the claims of a token we issued --------------------------------


def _wrong_signature_with_our_kid(app: Flask, claims: Claims) -> str:
    stranger = RSAKey.generate_key(2048)
    return jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": _keys(app).kid}, claims, stranger)


def _payload_altered_after_signing(app: Flask, claims: Claims) -> str:
    header, _, signature = _ours(app, claims).split(".")
    return f"{header}.{_segment(_with(claims, scope='admin'))}.{signature}"


def _alg_none(spelling: str) -> Callable[[Flask, Claims], str]:
    def forge(app: Flask, claims: Claims) -> str:
        header = {"alg": spelling, "typ": "at+jwt", "kid": _keys(app).kid}
        return f"{_segment(header)}.{_segment(claims)}."

    return forge


def _alg_none_keeping_a_real_signature(app: Flask, claims: Claims) -> str:
    _, payload, signature = _ours(app, claims).split(".")
    header = {"alg": "none", "typ": "at+jwt", "kid": _keys(app).kid}
    return f"{_segment(header)}.{payload}.{signature}"


def _hmac_with_public_key(pkcs1: bool) -> Callable[[Flask, Claims], str]:
    """HS256 keyed with the public key everyone can fetch from /.well-known/jwks.json."""

    def forge(app: Flask, claims: Claims) -> str:
        header = {"alg": "HS256", "typ": "at+jwt", "kid": _keys(app).kid}
        return _hs256(header, claims, _public_pem(app, pkcs1))

    return forge


def _hmac_with_the_published_jwk(app: Flask, claims: Claims) -> str:
    jwks = json.dumps(_keys(app).public_jwks["keys"][0]).encode()
    return _hs256({"alg": "HS256", "typ": "at+jwt", "kid": _keys(app).kid}, claims, jwks)


def _embedded_jwk(app: Flask, claims: Claims) -> str:
    """Signed by the forger, whose public key rides in the header (CVE-2018-0114)."""
    stranger = RSAKey.generate_key(2048)
    header = {
        "alg": "RS256",
        "typ": "at+jwt",
        "kid": stranger.thumbprint(),
        "jwk": stranger.as_dict(private=False),
    }
    return jwt.encode(header, claims, stranger)


def _jku_elsewhere(app: Flask, claims: Claims) -> str:
    stranger = RSAKey.generate_key(2048)
    header = {
        "alg": "RS256",
        "typ": "at+jwt",
        "kid": stranger.thumbprint(),
        "jku": "https://forger.example/jwks.json",
    }
    return jwt.encode(header, claims, stranger)


def _unknown_kid_our_key(app: Flask, claims: Claims) -> str:
    return _ours(app, claims, kid="a-key-rotated-away")


def _unknown_critical_header(app: Flask, claims: Claims) -> str:
    """RFC 7515 §4.1.11: a verifier that does not understand a critical header must refuse."""
    keys = _keys(app)
    header = {"alg": "RS256", "typ": "at+jwt", "kid": keys.kid, "crit": ["x-ext"], "x-ext": 1}
    return _rs256(header, claims, keys.private)


def _ours_with(**changes: Any) -> Callable[[Flask, Claims], str]:
    def forge(app: Flask, claims: Claims) -> str:
        return _ours(app, _with(claims, **changes))

    return forge


def _ours_with_header(**header: Any) -> Callable[[Flask, Claims], str]:
    def forge(app: Flask, claims: Claims) -> str:
        return _ours(app, claims, **header)

    return forge


def _relative(claim: str, seconds: int) -> Callable[[Flask, Claims], str]:
    """Our key, with ``claim`` set ``seconds`` from now (computed when the token is made)."""

    def forge(app: Flask, claims: Claims) -> str:
        return _ours(app, _with(claims, **{claim: int(time.time()) + seconds}))

    return forge


FORGERIES: dict[str, Callable[[Flask, Claims], str]] = {
    "wrong signature (another key, our kid)": _wrong_signature_with_our_kid,
    "payload altered after signing": _payload_altered_after_signing,
    "alg none": _alg_none("none"),
    "alg None": _alg_none("None"),
    "alg NONE": _alg_none("NONE"),
    "alg none with a real signature kept": _alg_none_keeping_a_real_signature,
    "HS256 keyed with the public key (PEM)": _hmac_with_public_key(pkcs1=False),
    "HS256 keyed with the public key (PKCS#1 PEM)": _hmac_with_public_key(pkcs1=True),
    "HS256 keyed with the published JWK": _hmac_with_the_published_jwk,
    "forger's key embedded as jwk": _embedded_jwk,
    "forger's key set named by jku": _jku_elsewhere,
    "unknown kid": _unknown_kid_our_key,
    "expired": _relative("exp", -1),
    "expires this second": _relative("exp", 0),
    "not yet valid (nbf in the future)": _relative("nbf", 600),
    "issued in the future (iat)": _relative("iat", 600),
    "wrong issuer": _ours_with(iss="https://idp.other-council.example"),
    "issuer with a trailing slash": lambda app, c: _ours(app, _with(c, iss=c["iss"] + "/")),
    "wrong audience": _ours_with(aud="another-api"),
    "no audience": _ours_with(aud=None),
    "audience list without ours": _ours_with(aud=["another-api", "a-third-api"]),
    "no issuer": _ours_with(iss=None),
    "no expiry": _ours_with(exp=None),
    "expiry as a string": _ours_with(exp="4000000000"),
    "expiry as a float": _ours_with(exp=4_000_000_000.5),
    "no jti": _ours_with(jti=None),
    "no client_id": _ours_with(client_id=None),
    "typ JWT (not an access token)": _ours_with_header(typ="JWT"),
    "no typ": _ours_with_header(typ=None),
    "unknown critical header": _unknown_critical_header,
}


def _assert_refused(response: Any) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 401 and body["type"] and body["title"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_the_recipe_unchanged_makes_a_token_the_api_accepts(
    app: Flask, client: Any, make_api: Any
) -> None:
    """Every forgery below starts here: re-signed with our key, unchanged, it is accepted."""
    claims = _issued_claims(app, make_api)
    response = client.get(WHO_AM_I, headers={"Authorization": f"Bearer {_ours(app, claims)}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["id"] == claims["client_id"]


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_forged_or_stale_token_is_refused(
    app: Flask, client: Any, make_api: Any, forge: Callable[[Flask, Claims], str]
) -> None:
    token = forge(app, _issued_claims(app, make_api))
    _assert_refused(client.get(WHO_AM_I, headers={"Authorization": f"Bearer {token}"}))


def test_a_revoked_token_is_refused(app: Flask, client: Any, make_api: Any) -> None:
    api = make_api("citizens:read")
    assert api.get(WHO_AM_I).status_code == 200
    revoked = client.post(
        "/oauth/revoke", data={"token": api.token}, auth=(api.client_id, api.client_secret)
    )
    assert revoked.status_code == 200
    _assert_refused(api.get(WHO_AM_I))


def test_a_revoked_token_re_signed_by_a_forger_is_still_refused(
    app: Flask, client: Any, make_api: Any
) -> None:
    """Revocation goes by jti: the same claims under a fresh signature stay revoked."""
    api = make_api("citizens:read")
    client.post("/oauth/revoke", data={"token": api.token}, auth=(api.client_id, api.client_secret))
    claims = _keys(app).trusted_claims(api.token)
    assert claims is not None
    _assert_refused(client.get(WHO_AM_I, headers={"Authorization": f"Bearer {_ours(app, claims)}"}))
