"""The OAuth2 authorization server (Authlib): client credentials, revocation, introspection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InvalidScopeError, grants
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Flask
from sqlalchemy import select

from cgcrm.core import scopes
from cgcrm.extensions import db
from cgcrm.identity.client_auth import (
    UnknownClient,
    authenticate_with_lockout,
    build_lockout,
    stand_in_hash,
)
from cgcrm.identity.models import OAuthClient
from cgcrm.identity.revocations import revoke
from cgcrm.identity.tokens import AccessTokenGenerator, decode_access_token


class _DecodedToken(dict[str, Any]):
    """What the revocation and introspection endpoints hand around: a token's claims."""

    def check_client(self, client: OAuthClient) -> bool:
        return self.get("client_id") == client.client_id


def _query_client(client_id: str) -> OAuthClient | UnknownClient:
    # Never None: Authlib would answer an unknown id at once and in other words. Whatever a
    # caller sends as a client id reaches this query, and PostgreSQL refuses NUL in text.
    if not client_id or len(client_id) > 200 or "\x00" in client_id:
        return UnknownClient(client_id)
    client = db.session.scalar(
        select(OAuthClient).where(OAuthClient.client_id == client_id, OAuthClient.active)
    )
    return client or UnknownClient(client_id)


def _save_token(token: dict[str, Any], request: Any) -> None:
    """JWTs are self-contained: nothing to store until one is revoked."""


def _query_token(token_string: str) -> _DecodedToken | None:
    claims = decode_access_token(token_string, verify_expiry=False, authoritative=True)
    return _DecodedToken(claims) if claims else None


class Revocation(RevocationEndpoint):
    """RFC 7009: a client may revoke its own tokens; the jti is refused until it expires."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    SUPPORTED_TOKEN_TYPES = ("access_token",)

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return _query_token(token_string)

    def revoke_token(self, token: _DecodedToken, request: Any) -> None:
        revoke(token["jti"], token["exp"])


class Introspection(IntrospectionEndpoint):
    """RFC 7662: a client may introspect its own tokens; an ``admin`` client any token."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    SUPPORTED_TOKEN_TYPES = ("access_token",)

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return _query_token(token_string)

    def check_permission(self, token: _DecodedToken, client: OAuthClient, request: Any) -> bool:
        return token.check_client(client) or scopes.ADMIN in client.scope.split()

    def create_introspection_payload(self, token: _DecodedToken | None) -> dict[str, Any]:
        now = datetime.now(UTC).timestamp()
        if not token or token["exp"] < now:
            return {"active": False}
        keys = ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "dept")
        return {"active": True, "token_type": "Bearer"} | {k: token[k] for k in keys if k in token}


class ClientCredentials(grants.ClientCredentialsGrant):
    """Refuses, rather than silently narrows, a request for scopes the client does not hold."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        requested = set((self.request.payload.scope or "").split())
        held = set(self.request.client.scope.split())
        if requested - held:
            raise InvalidScopeError(
                description=f"not granted to this client: {' '.join(sorted(requested - held))}"
            )


class CgcrmAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """Authlib's server, with client authentication behind the lockout."""

    def authenticate_client(self, request: Any, methods: Any, endpoint: str = "token") -> Any:
        return authenticate_with_lockout(super().authenticate_client, request, methods, endpoint)


def build_authorization_server(app: Flask) -> AuthorizationServer:
    """One server per application; registered in ``app.extensions``."""
    server = CgcrmAuthorizationServer(query_client=_query_client, save_token=_save_token)
    server.init_app(app)
    server.scopes_supported = sorted(scopes.ALL_SCOPES)
    server.register_token_generator(
        "default",
        AccessTokenGenerator(
            issuer=app.config["JWT_ISSUER"], expires_generator=app.config["ACCESS_TOKEN_TTL"]
        ),
    )
    server.register_grant(ClientCredentials)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    app.extensions["cgcrm.authorization_server"] = server
    app.extensions["cgcrm.lockout"] = build_lockout(app.config)
    stand_in_hash()  # made now, so the first unknown id is not the slow one
    return server
