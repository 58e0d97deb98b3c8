"""The OAuth2 authorization server (Authlib): client credentials, revocation, introspection."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Request
from authlib.oauth2.rfc6749 import InvalidRequestError, InvalidScopeError, OAuth2Error, grants
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Flask, current_app, g
from flask import request as flask_request
from flask.wrappers import Request
from sqlalchemy import select

from cgcrm.core import scopes
from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.ratelimit import caller_address
from cgcrm.core.security_events import record_security_event
from cgcrm.extensions import db
from cgcrm.identity.client_auth import (
    UnknownClient,
    authenticate_with_lockout,
    build_lockout,
    keep_upgraded_secret_hash,
)
from cgcrm.identity.client_secrets import stand_in_hash
from cgcrm.identity.federation.directory import init_federation
from cgcrm.identity.models import AuthorizationCode as AuthorizationCodeRow
from cgcrm.identity.models import OAuthClient, RefreshToken, StaffUser
from cgcrm.identity.oidc import Authentication, StaffOpenIDCode, local_authentication
from cgcrm.identity.passwords import stand_in_password_hash
from cgcrm.identity.refresh import TOKEN_REPLAYED, from_timestamp, revoke_family, token_hash
from cgcrm.identity.revocations import revoke
from cgcrm.identity.sessions import start_session
from cgcrm.identity.signin import init_signin
from cgcrm.identity.tokens import AccessTokenGenerator, decode_access_token, signing_keys


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
    """Access tokens are self-contained JWTs: nothing to store until one is revoked. A refresh
    token is stored (its hash) in its family, with the access token issued beside it; the grant
    commits it with the credential it spends."""
    if "refresh_token" not in token:
        return
    previous = getattr(request, "refresh_token", None)
    code = getattr(request, "authorization_code", None)
    source = previous if previous is not None else code
    if source is None:  # only the code and refresh grants include a refresh token
        raise RuntimeError("a refresh token issued outside a sign-in")
    family_id = source.family_id
    claims = signing_keys().trusted_claims(token["access_token"]) or {}
    db.session.add(
        RefreshToken(
            token_hash=token_hash(token["refresh_token"]),
            family_id=family_id,
            client_id=request.client.client_id,
            user_id=request.user.id,
            scope=token.get("scope", ""),
            access_jti=claims.get("jti"),
            access_expires_at=from_timestamp(claims["exp"]) if "exp" in claims else None,
            expires_at=utcnow() + timedelta(seconds=current_app.config["REFRESH_TOKEN_TTL"]),
        )
    )


def _query_token(token_string: str) -> _DecodedToken | None:
    claims = decode_access_token(token_string, verify_expiry=False, authoritative=True)
    return _DecodedToken(claims) if claims else None


def _query_refresh_token(token_string: str) -> RefreshToken | None:
    if not token_string or len(token_string) > 200:
        return None
    return db.session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(token_string))
    )


class Revocation(RevocationEndpoint):
    """RFC 7009: a client may revoke its own tokens. An access token's jti is refused until it
    expires; a refresh token ends its sign-in: its family and the access tokens it issued
    (§2.1), as a console signing a user out expects."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    SUPPORTED_TOKEN_TYPES = ("access_token", "refresh_token")

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        # The hint only says where to look first (RFC 7009 §2.1).
        if token_type_hint != "refresh_token":
            found = _query_token(token_string)
            if found is not None:
                return found
        return _query_refresh_token(token_string)

    def revoke_token(self, token: _DecodedToken | RefreshToken, request: Any) -> None:
        if isinstance(token, RefreshToken):
            revoke_family(token.family_id)
            db.session.commit()
            return
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
        if not token or token["exp"] <= now:  # as the guard: dead from its exp on
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
    """Authlib's server, with client authentication behind the lockout; an older stored
    secret hash that matched is replaced there."""

    def authenticate_client(self, request: Any, methods: Any, endpoint: str = "token") -> Any:
        client = authenticate_with_lockout(super().authenticate_client, request, methods, endpoint)
        keep_upgraded_secret_hash(client)
        return client

    def create_oauth2_request(self, request: Any) -> Any:
        # Authlib's Flask server reads the current request whatever it is given; a federated
        # sign-in resumes the client's stored request from the provider's callback.
        if isinstance(request, Request):
            return FlaskOAuth2Request(request)
        return super().create_oauth2_request(request)


def build_authorization_server(app: Flask) -> AuthorizationServer:
    """One server per application; registered in ``app.extensions``."""
    server = CgcrmAuthorizationServer(query_client=_query_client, save_token=_save_token)
    server.init_app(app)
    server.scopes_supported = sorted(scopes.ALL_SCOPES)
    server.register_token_generator(
        "default",
        AccessTokenGenerator(
            issuer=app.config["JWT_ISSUER"],
            expires_generator=app.config["ACCESS_TOKEN_TTL"],
            refresh_token_generator=_new_refresh_token,
        ),
    )
    app.config.setdefault("REFRESH_TOKEN_TTL", 8 * 3600)
    server.register_grant(ClientCredentials)
    server.register_grant(
        AuthorizationCode, [S256Only(required=True), StaffOpenIDCode(require_nonce=True)]
    )
    server.register_grant(RotatingRefreshToken)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    app.extensions["cgcrm.authorization_server"] = server
    app.extensions["cgcrm.lockout"] = build_lockout(app.config)
    init_signin(app)
    init_federation(app)
    stand_in_hash()  # made now, once a process (a SHA-256: cheap, unlike the password one)
    stand_in_password_hash()
    return server


class S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE is required of every authorization request, with S256 (RFC 9700 §2.1.1)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": CodeChallenge.CODE_CHALLENGE_METHODS["S256"]}

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge (S256)")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256 ('plain' is refused)")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        try:
            super().validate_code_verifier(grant, result)
        except OAuth2Error:
            # A code tried with a wrong verifier is spent: no second guess.
            code = grant.request.authorization_code
            code.used_at = code.used_at or utcnow()
            db.session.commit()
            raise


_NONCE = re.compile(r"[\x21-\x7e]{1,255}")


def _held_by(user: StaffUser) -> frozenset[str]:
    """A user's roles' scopes, and the OpenID scopes that describe the user themself."""
    return user.scopes | scopes.IDENTITY_SCOPES


def _refuse_unheld(requested: set[str], held: frozenset[str] | set[str], whom: str) -> None:
    if requested - held:
        raise InvalidScopeError(
            description=f"not granted to this {whom}: {' '.join(sorted(requested - held))}"
        )


class AuthorizationCode(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """Staff sign-in: codes live ``CODE_SECONDS``, are used once, and carry PKCE and nonce."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    CODE_SECONDS = 60

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        requested = set((self.request.payload.scope or "").split())
        nonce = self.request.payload.data.get("nonce")
        try:
            if nonce is not None and not _NONCE.fullmatch(nonce):
                raise InvalidRequestError("nonce must be 1 to 255 printable ASCII characters")
            _refuse_unheld(requested, set(self.request.client.scope.split()), "client")
        except OAuth2Error as error:
            error.redirect_uri = redirect_uri
            raise
        return redirect_uri

    def create_authorization_response(self, redirect_uri: str, grant_user: Any) -> Any:
        client_scopes = set(self.request.client.scope.split())
        requested = set((self.request.payload.scope or "").split())
        try:
            _refuse_unheld(requested, _held_by(grant_user), "user")
        except OAuth2Error as error:
            error.redirect_uri = redirect_uri
            raise
        # Never OpenID by default: an ID token is asked for (openid, with a nonce) or not made.
        granted = requested or (client_scopes & grant_user.scopes) - scopes.IDENTITY_SCOPES
        if not granted:
            raise InvalidScopeError(
                description="the user holds none of this client's scopes",
                redirect_uri=redirect_uri,
            )
        self.request.scope = " ".join(sorted(granted))
        return super().create_authorization_response(redirect_uri, grant_user)

    def generate_authorization_code(self) -> str:
        return secrets.token_urlsafe(32)

    def save_authorization_code(self, code: str, request: Any) -> None:
        family_id = new_id()
        # The federation callback says how the user authenticated; the sign-in page says
        # whether a second factor followed the password.
        how: Authentication = getattr(request, "authentication", None) or (
            local_authentication(g.get("signin_methods", ("pwd",)))
        )
        db.session.add(
            AuthorizationCodeRow(
                family_id=family_id,
                code_hash=token_hash(code),
                client_id=request.client.client_id,
                user_id=request.user.id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                nonce=request.payload.data.get("nonce"),
                code_challenge=request.payload.data["code_challenge"],
                code_challenge_method="S256",
                expires_at=utcnow() + timedelta(seconds=self.CODE_SECONDS),
                auth_time=how.auth_time,
                acr=how.acr,
                amr=" ".join(how.amr) or None,
            )
        )
        # The sign-in page's request is the user's browser: where the session came from.
        start_session(
            family_id,
            request.user.id,
            request.client.client_id,
            caller_address(current_app.config["RATE_LIMIT_PROXY_HOPS"]),
            flask_request.headers.get("User-Agent"),
            how.amr,
        )
        db.session.commit()

    def query_authorization_code(self, code: str, client: Any) -> AuthorizationCodeRow | None:
        if not code or len(code) > 200:
            return None
        row = db.session.scalar(
            select(AuthorizationCodeRow)
            .where(AuthorizationCodeRow.code_hash == token_hash(code))
            .with_for_update()
        )
        if row is None or row.client_id != client.client_id:
            return None
        if row.used_at is not None:
            revoked = revoke_family(row.family_id)
            db.session.commit()
            _replayed("authorization_code", client.client_id, row.family_id, revoked)
            return None
        if row.expires_at <= utcnow():
            return None
        return row

    def delete_authorization_code(self, authorization_code: AuthorizationCodeRow) -> None:
        authorization_code.used_at = utcnow()
        db.session.commit()  # with the refresh token _save_token added: one transaction

    def authenticate_user(self, authorization_code: AuthorizationCodeRow) -> StaffUser | None:
        user = db.session.get(StaffUser, authorization_code.user_id)
        return user if user is not None and user.active else None


class RotatingRefreshToken(grants.RefreshTokenGrant):  # type: ignore[misc]
    """Every use returns a new refresh token; a used one presented again revokes the family."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        if not refresh_token or len(refresh_token) > 200:
            return None
        row = db.session.scalar(
            select(RefreshToken)
            .where(RefreshToken.token_hash == token_hash(refresh_token))
            .with_for_update()
        )
        if row is None:
            return None
        if row.used_at is not None or row.revoked_at is not None:
            revoked = revoke_family(row.family_id)
            db.session.commit()
            if row.used_at is not None:
                _replayed("refresh_token", row.client_id, row.family_id, revoked)
            return None
        if row.expires_at <= utcnow():
            return None
        user = db.session.get(StaffUser, row.user_id)
        return row if user is not None and user.active else None

    def authenticate_user(self, refresh_token: RefreshToken) -> StaffUser | None:
        user = db.session.get(StaffUser, refresh_token.user_id)
        return user if user is not None and user.active else None

    def issue_token(self, user: StaffUser, refresh_token: RefreshToken) -> Any:
        scope = self.request.payload.scope or refresh_token.get_scope()
        # Roles may have changed since the sign-in: never carry a scope no longer held.
        _refuse_unheld(set(scope.split()), _held_by(user), "user")
        return super().issue_token(user, refresh_token)

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        refresh_token.used_at = utcnow()
        db.session.commit()  # with the new refresh token _save_token added: one transaction


def _replayed(kind: str, client_id: str, family_id: Any, revoked: int) -> None:
    record_security_event(
        TOKEN_REPLAYED,
        client_id=client_id,
        address=caller_address(current_app.config["RATE_LIMIT_PROXY_HOPS"]),
        request_id=g.get("request_id"),
        credential=kind,
        family_id=str(family_id),
        refresh_tokens_revoked=revoked,
    )


def _new_refresh_token(client: Any, grant_type: str, user: Any, scope: str) -> str:
    return secrets.token_urlsafe(32)
