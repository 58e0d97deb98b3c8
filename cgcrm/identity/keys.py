"""The RSA key that signs access tokens, and the JWKS that publishes its public half."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from joserfc.jwt import JWTClaimsRegistry

from cgcrm.settings import ConfigError

# Distinct tokens whose signature each process remembers as checked (a few hundred bytes each).
VERIFIED_TOKENS_KEPT = 4096


def _generate_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _read_or_create(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = _generate_pem()
    try:
        # O_EXCL: when several processes start at once, exactly one key wins and all read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return pem


class SigningKeys:
    """Loaded once per process by ``create_app``.

    :param issuer: the ``iss`` our access tokens carry; :param audience: their ``aud``.
    """

    def __init__(self, pem: bytes, issuer: str, audience: str) -> None:
        self.private = RSAKey.import_key(pem)
        self.kid = self.private.thumbprint()
        self.public_jwks: dict[str, Any] = {
            "keys": [
                self.private.as_dict(private=False)
                | {"kid": self.kid, "use": "sig", "alg": "RS256"}
            ]
        }
        self.verification_keys = KeySet([RSAKey.import_key(self.public_jwks["keys"][0])])
        # Everything but expiry that makes a token ours; ``exp`` must be an integer.
        self._claims = JWTClaimsRegistry(
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            jti={"essential": True},
            client_id={"essential": True},
        )
        # A client sends the same token on every request until it expires; checking its RSA
        # signature and fixed claims once per process is enough. Expiry and revocation change
        # with time: the caller checks them on every use.
        self._trusted_claims = lru_cache(maxsize=VERIFIED_TOKENS_KEPT)(self._verify)

    def trusted_claims(self, token: str) -> dict[str, Any] | None:
        """The claims of an access token (``typ`` at+jwt) this key signed for our issuer and
        audience, whatever its expiry, else None."""
        claims = self._trusted_claims(token)
        return dict(claims) if claims is not None else None

    def _verify(self, token: str) -> dict[str, Any] | None:
        try:
            decoded = jwt.decode(token, self.verification_keys, algorithms=["RS256"])
        except (JoseError, ValueError, TypeError):
            return None
        claims = dict(decoded.claims)
        if decoded.header.get("typ") != "at+jwt" or type(claims.get("exp")) is not int:
            return None
        try:
            # We issue no nbf, and iat is checked for its type only: exp alone is timed.
            self._claims.validate({k: v for k, v in claims.items() if k != "exp"})
        except JoseError:
            return None
        return claims


def load_signing_keys(app: Flask) -> SigningKeys:
    """Read the configured key; outside production, create one under instance/ if absent.

    :raises ConfigError: production without a key file.
    """
    configured = app.config["JWT_PRIVATE_KEY_FILE"]
    if configured:
        return SigningKeys(Path(configured).read_bytes(), *_issuer_and_audience(app))
    if app.config["ENV"] == "production":
        raise ConfigError("production refuses to start without CGCRM_JWT_PRIVATE_KEY_FILE")
    pem = _read_or_create(Path(app.instance_path) / "jwt-signing-key.pem")
    return SigningKeys(pem, *_issuer_and_audience(app))


def _issuer_and_audience(app: Flask) -> tuple[str, str]:
    return app.config["JWT_ISSUER"], app.config["JWT_AUDIENCE"]
