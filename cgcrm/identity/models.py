"""Principals: staff users and OAuth2 clients, and the revocation list of access tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cgcrm.catalog.models import Department
from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.scopes import role_scopes
from cgcrm.core.types import UTCDateTime
from cgcrm.extensions import db
from cgcrm.identity.client_secrets import check_client_secret


class StaffUser(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "staff_users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # Space-separated role names (``core.scopes.ROLE_SCOPES``), as scopes are spelt.
    roles: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("departments.id"), nullable=True
    )
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    department: Mapped[Department | None] = relationship(lazy="joined")

    @property
    def role_names(self) -> list[str]:
        return sorted(set(self.roles.split()))

    @property
    def scopes(self) -> frozenset[str]:
        """What the user's roles allow (``core.scopes.ROLE_SCOPES``)."""
        return role_scopes(self.roles.split())

    def get_user_id(self) -> str:  # Authlib's user protocol
        return str(self.id)


class OAuthClient(db.Model):  # type: ignore[name-defined,misc]
    """A department system that calls the API with the client-credentials grant."""

    __tablename__ = "oauth_clients"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    # ``client_secrets.hash_client_secret``; older rows hold argon2id until their next token.
    client_secret_hash: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("departments.id"))
    scope: Mapped[str] = mapped_column(Text)  # space-separated, as OAuth2 spells it
    # Space-separated; exact strings, compared whole (RFC 9700 §4.1.3: no pattern matching).
    redirect_uris: Mapped[str] = mapped_column(Text, default="")
    grant_types: Mapped[str] = mapped_column(Text, default="client_credentials")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department] = relationship(lazy="joined")

    # Authlib's ClientMixin protocol.
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = set(self.scope.split())
        if not scope:
            return " ".join(sorted(allowed))
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris.split()

    def check_client_secret(self, client_secret: str) -> bool:
        """Also replaces an older (argon2) stored hash that matched; the caller commits it
        (``client_auth.keep_upgraded_secret_hash``)."""
        if not self.active:
            return False
        matches, upgraded = check_client_secret(self.client_secret_hash, client_secret)
        if upgraded is not None:
            self.client_secret_hash = upgraded
        return matches

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and self.check_grant_type("authorization_code")

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types.split()


class RevokedToken(db.Model):  # type: ignore[name-defined,misc]
    """Access tokens are self-contained JWTs: revoking one means remembering its jti to expiry."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuthorizationCode(db.Model):  # type: ignore[name-defined,misc]
    """An authorization code (RFC 6749 §4.1) with its PKCE challenge; only its hash is stored.

    A used code keeps its row until it expires, so a second use is recognised and revokes the
    tokens the first use issued (``family_id``), as RFC 6749 §4.1.2 asks.
    """

    __tablename__ = "oauth_authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("staff_users.id"))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(Text, nullable=True)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, default=new_id)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How the user authenticated, for the ID token (OIDC Core §2): when, the context class
    # (ours, or an external provider's as it asserted it) and the methods (RFC 8176).
    auth_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acr: Mapped[str | None] = mapped_column(Text, nullable=True)
    amr: Mapped[str | None] = mapped_column(Text, nullable=True)  # space-separated

    __table_args__ = (Index("ix_oauth_authorization_codes_client_nonce", "client_id", "nonce"),)

    # Authlib's AuthorizationCodeMixin.
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int((self.auth_time or self.created_at).timestamp())

    def get_acr(self) -> str | None:
        return self.acr

    def get_amr(self) -> list[str] | None:
        return self.amr.split() if self.amr else None


class RefreshToken(db.Model):  # type: ignore[name-defined,misc]
    """One refresh token of a family (one sign-in); only its hash is stored.

    Each use rotates it: the used one is marked, a new one joins the family. A used or revoked
    one presented again revokes the whole family, with the access tokens it issued.
    """

    __tablename__ = "oauth_refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("staff_users.id"))
    scope: Mapped[str] = mapped_column(Text)
    access_jti: Mapped[str | None] = mapped_column(String(64), nullable=True)
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_oauth_refresh_tokens_user_id", "user_id"),)

    # Authlib's TokenMixin, as the refresh grant uses it.
    def check_client(self, client: OAuthClient) -> bool:
        return self.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.scope
