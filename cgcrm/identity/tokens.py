"""Issuing and checking RFC 9068 JWT access tokens."""

from __future__ import annotations

import time
from typing import Any

from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry

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
            "dept": client.department.code,
            "dept_id": str(client.department_id),
        }
        keys = signing_keys()
        header = {"alg": self.alg, "typ": "at+jwt", "kid": keys.kid}
        return jwt.encode(header, claims, keys.private)


def _now() -> int:
    return int(time.time())


def _claims_registry(verify_expiry: bool) -> JWTClaimsRegistry:
    """The claims every access token must carry, built once per application and mode.

    The registry reads the clock (``_now``) when it validates, so one instance serves every
    request.
    """
    registries: dict[bool, JWTClaimsRegistry] = current_app.extensions.setdefault(
        "cgcrm.claims_registries", {}
    )
    registry = registries.get(verify_expiry)
    if registry is None:
        config = current_app.config
        registry = registries[verify_expiry] = JWTClaimsRegistry(
            now=_now,
            iss={"essential": True, "value": config["JWT_ISSUER"]},
            aud={"essential": True, "value": config["JWT_AUDIENCE"]},
            exp={"essential": verify_expiry},
            jti={"essential": True},
            client_id={"essential": True},
        )
    return registry


def decode_access_token(
    token: str, *, verify_expiry: bool = True, authoritative: bool = False
) -> dict[str, Any] | None:
    """The claims of a token we issued and have not revoked, else None.

    :param authoritative: check revocation in the database, not in this process's copy of it.
    """
    signed = signing_keys().signed_claims(token)
    if signed is None:
        return None
    registry = _claims_registry(verify_expiry)
    checked = dict(signed)
    if not verify_expiry:
        # Revocation and introspection must still recognise an expired token as ours.
        checked.pop("exp", None)
    try:
        registry.validate(checked)
    except JoseError:
        return None
    jti = signed.get("jti")
    if not isinstance(jti, str) or is_revoked(jti, authoritative=authoritative):
        return None
    return signed
