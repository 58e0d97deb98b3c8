"""OpenID Connect provider: the ID token of a staff sign-in (Authlib's ``OpenIDCode``
extension of the authorization-code grant), the userinfo claims and the discovery document.

An ID token is signed with the access tokens' key (same ``kid``, published in our JWKS) but
says ``typ`` JWT and carries the client as ``aud``: neither is ever taken for an access token.
``nonce`` is required with ``openid``, and a nonce this client already used is refused.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from authlib.oidc.core import OpenIDCode, UserInfo
from flask import current_app
from sqlalchemy import select

from cgcrm.core import scopes
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import NotAuthorized, Unauthenticated
from cgcrm.core.principal import Principal
from cgcrm.extensions import db
from cgcrm.identity.models import AuthorizationCode, StaffUser
from cgcrm.identity.tokens import signing_keys

# Authentication context classes we assert, weakest first: a password alone (NIST AAL1), and
# a password with a second factor (AAL2; for when the TOTP sign-in step asserts it).
ACR_PASSWORD = "urn:cgcrm:acr:password"
ACR_MULTI_FACTOR = "urn:cgcrm:acr:mfa"
ACR_VALUES = (ACR_PASSWORD, ACR_MULTI_FACTOR)
SIGNING_ALGORITHM = "RS256"

PROFILE_CLAIMS = ("name", "department", "department_name", "roles")
CLAIMS_SUPPORTED = (
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "at_hash",
    *PROFILE_CLAIMS,
    "email",
)


@dataclass(frozen=True)
class Authentication:
    """How a user proved who they are, for the authorization code and its ID token.

    :param acr: our class (``ACR_VALUES``), or an external provider's as it asserted it.
    :param amr: RFC 8176 method references (``pwd``, ``otp``…), or the provider's.
    :param provider: the external provider's name for a federated sign-in.
    """

    acr: str | None
    amr: tuple[str, ...]
    auth_time: datetime
    provider: str | None = None


def local_authentication(methods: tuple[str, ...] | list[str]) -> Authentication:
    """A sign-in on our own page: a password, and a one-time code when ``otp`` is among
    ``methods`` (RFC 8176 references)."""
    acr = ACR_MULTI_FACTOR if "otp" in methods else ACR_PASSWORD
    return Authentication(acr=acr, amr=tuple(methods), auth_time=utcnow())


def user_claims(user: StaffUser, scope: str) -> UserInfo:
    """The claims about ``user`` a token of ``scope`` may show (OIDC Core §5.4)."""
    granted = set(scope.split())
    claims = UserInfo(sub=str(user.id))
    if scopes.PROFILE in granted:
        claims["name"] = user.display_name
        claims["roles"] = user.role_names
        if user.department is not None:
            claims["department"] = user.department.code
            claims["department_name"] = user.department.name
    if scopes.EMAIL in granted:
        claims["email"] = user.email
    return claims


class StaffOpenIDCode(OpenIDCode):  # type: ignore[misc]
    """Adds the ID token to the code grant's token response when ``openid`` was granted."""

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        found = db.session.scalar(
            select(AuthorizationCode.code_hash)
            .where(
                AuthorizationCode.client_id == request.payload.client_id,
                AuthorizationCode.nonce == nonce,
            )
            .limit(1)
        )
        return found is not None

    def resolve_client_private_key(self, client: Any) -> Any:
        return signing_keys().private

    def get_client_algorithm(self, client: Any) -> str:
        return SIGNING_ALGORITHM

    def get_encode_header(self, client: Any) -> dict[str, str]:
        return {"alg": SIGNING_ALGORITHM, "typ": "JWT", "kid": signing_keys().kid}

    def get_client_claims(self, client: Any) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": current_app.config["JWT_ISSUER"],
            "aud": client.get_client_id(),
            "azp": client.get_client_id(),
            "iat": now,
            "exp": now + current_app.config["ID_TOKEN_TTL"],
        }

    def generate_user_info(self, user: StaffUser, scope: str) -> UserInfo:
        return user_claims(user, scope)


def userinfo_for(principal: Principal) -> UserInfo:
    """The userinfo response for the bearer of an ``openid`` access token.

    :raises NotAuthorized: a client's own token (no user to describe).
    :raises Unauthenticated: the user no longer exists or was disabled.
    """
    if principal.kind != "user":
        raise NotAuthorized("userinfo describes a signed-in staff user, not a client")
    user = db.session.get(StaffUser, _uuid(principal.id))
    if user is None or not user.active:
        raise Unauthenticated("this user can no longer sign in", www_error="invalid_token")
    return user_claims(user, " ".join(principal.scopes))


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise Unauthenticated("not a staff user's token", www_error="invalid_token") from exc


def discovery_document(issuer: str, federated_acr_values: list[str]) -> dict[str, Any]:
    """OpenID Provider Metadata (OIDC Discovery §3), a superset of our RFC 8414 metadata."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "userinfo_endpoint": f"{issuer}/oauth/userinfo",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "scopes_supported": sorted(scopes.ALL_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [SIGNING_ALGORITHM],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": list(CLAIMS_SUPPORTED),
        # Ours, then those external providers assert (passed through for federated sign-ins).
        "acr_values_supported": list(dict.fromkeys([*ACR_VALUES, *federated_acr_values])),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }
