"""Issuing and checking RFC 9068 JWT access tokens."""

from __future__ import annotations

import time
from typing import Any

from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from flask import current_app
from joserfc import jwt

from cgcrm.identity.revocations import is_revoked


def signing_keys() -> Any:
    return current_app.extensions["cgcrm.signing_keys"]


class AccessTokenGenerator(JWTBearerTokenGenerator):
    """RFC 9068 access tokens carrying the principal's department, signed with a ``kid``.

    Authlib's generator builds the same claims but signs without a key id, which verifiers
    need once keys rotate; so the claims are assembled here and signed with the kid.
    """

    def get_jwks(self) -> Any:
        return signing_keys().private

    def access_token_generator(self, client: Any, grant_type: str, user: Any, scope: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": str(user.id) if user else client.get_client_id(),
            "aud": current_app.config["JWT_AUDIENCE"],
            "client_id": client.get_client_id(),
            "iat": now,
            "exp": now + self._get_expires_in(client, grant_type),
            "jti": self.get_jti(client, grant_type, user, scope),
            "scope": scope,
        }
        # A staff user acts for their own department, whichever department's console they use.
        department = user.department if user is not None else client.department
        claims |= {"dept": department.code, "dept_id": str(department.id)}
        keys = signing_keys()
        header = {"alg": self.alg, "typ": "at+jwt", "kid": keys.kid}
        return jwt.encode(header, claims, keys.private)


def _now() -> int:
    return int(time.time())


def decode_access_token(
    token: str, *, verify_expiry: bool = True, authoritative: bool = False
) -> dict[str, Any] | None:
    """The claims of a token we issued and have not revoked, else None.

    :param verify_expiry: refuse an expired token; revocation and introspection must still
        recognise an expired token as ours.
    :param authoritative: check revocation in the database, not in this process's copy of it.
    """
    claims = signing_keys().trusted_claims(token)
    if claims is None:
        return None
    # RFC 7519 §4.1.4: refused "on or after" its exp, not only after it.
    if verify_expiry and claims["exp"] <= _now():
        return None
    if is_revoked(claims["jti"], authoritative=authoritative):
        return None
    return claims
