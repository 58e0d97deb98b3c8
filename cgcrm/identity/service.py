"""Creating API clients and staff users."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from cgcrm.catalog.models import Department
from cgcrm.core import scopes as scope_names
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import Conflict, NotFound, ValidationError
from cgcrm.core.security_events import record_security_event
from cgcrm.extensions import db
from cgcrm.identity.client_secrets import hash_client_secret
from cgcrm.identity.models import OAuthClient, StaffUser
from cgcrm.identity.passwords import hash_password, password_problems
from cgcrm.identity.refresh import USER_DISABLED, revoke_user_tokens

# 32 URL-safe characters carry 192 bits; a generated secret has 43 (256 bits).
MIN_FIXED_SECRET_LENGTH = 32


@dataclass(frozen=True)
class IssuedClient:
    client: OAuthClient
    client_secret: str  # shown once; only its SHA-256 is stored


def _department(code: str) -> Department:
    department = db.session.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise NotFound(f"no department with code {code!r}")
    return department


def _acceptable_redirect_uri(uri: str) -> bool:
    """RFC 9700 §2.1: absolute, no fragment; https, or http to a loopback host (native apps)."""
    parts = urlsplit(uri)
    if parts.fragment or not parts.netloc or any(c.isspace() for c in uri) or len(uri) > 500:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"}


def create_client(
    name: str,
    department_code: str,
    scope: str,
    client_id: str | None = None,
    client_secret: str | None = None,
    redirect_uris: Sequence[str] = (),
) -> IssuedClient:
    """Register a department system for the client-credentials grant.

    :param scope: space-separated scopes the client may ask for.
    :param client_id: fixed id (demo data); generated when None.
    :param client_secret: fixed secret (tests, imports); generated when None. At least
        ``MIN_FIXED_SECRET_LENGTH`` characters: its stored SHA-256 is safe only for a secret
        nobody could guess.
    :param redirect_uris: exact URIs staff sign-ins may return to; giving any lets the client
        use the authorization-code grant (PKCE S256) and refresh tokens.
    :raises NotFound: unknown department.
    :raises ValidationError: unknown scopes, empty name or a short fixed secret.
    :raises Conflict: the client id exists.
    """
    requested = scope.split()
    unknown = sorted(set(requested) - scope_names.ALL_SCOPES)
    if unknown or not requested:
        raise ValidationError(
            f"unknown scopes: {' '.join(unknown)}" if unknown else "give at least one scope",
            errors={"scopes": [f"choose from {' '.join(sorted(scope_names.ALL_SCOPES))}"]},
        )
    if not name.strip():
        raise ValidationError("a client needs a name", errors={"name": ["required"]})
    if client_secret is not None and len(client_secret) < MIN_FIXED_SECRET_LENGTH:
        raise ValidationError(
            "a client secret must be long and random",
            errors={"client_secret": [f"at least {MIN_FIXED_SECRET_LENGTH} random characters"]},
        )
    client_id = client_id or f"cgcrm-{secrets.token_hex(8)}"
    if db.session.scalar(select(OAuthClient.id).where(OAuthClient.client_id == client_id)):
        raise Conflict(f"client {client_id} already exists")
    uris = sorted(set(redirect_uris))
    bad = [u for u in uris if not _acceptable_redirect_uri(u)]
    if bad:
        raise ValidationError(
            f"redirect URIs must be absolute https (or http on loopback), without fragment: "
            f"{' '.join(bad)}",
            errors={"redirect_uris": ["absolute https URI, or http on 127.0.0.1/localhost"]},
        )
    grant_types = ["client_credentials"]
    if uris:
        grant_types += ["authorization_code", "refresh_token"]
    secret = client_secret if client_secret is not None else secrets.token_urlsafe(32)
    client = OAuthClient(
        client_id=client_id,
        client_secret_hash=hash_client_secret(secret),
        name=name.strip(),
        department=_department(department_code),
        scope=" ".join(sorted(set(requested))),
        redirect_uris=" ".join(uris),
        grant_types=" ".join(grant_types),
    )
    db.session.add(client)
    db.session.commit()
    return IssuedClient(client=client, client_secret=secret)


def _roles(roles: str | Sequence[str]) -> list[str]:
    names = sorted(set(roles.split() if isinstance(roles, str) else roles))
    unknown = [r for r in names if r not in scope_names.ROLE_SCOPES]
    if unknown or not names:
        raise ValidationError(
            f"unknown roles: {' '.join(unknown)}" if unknown else "give at least one role",
            errors={"roles": [f"choose from {', '.join(sorted(scope_names.ROLE_SCOPES))}"]},
        )
    return names


def create_user(
    email: str,
    roles: str | Sequence[str],
    department_code: str,
    display_name: str | None = None,
    password: str | None = None,
) -> StaffUser:
    """Register a staff user of a department with roles (``core.scopes.ROLE_SCOPES``).

    :param roles: role names, or one space-separated string of them.
    :param password: checked by ``passwords.password_problems``; None: the user cannot sign in
        until one is set.
    :raises ValidationError: bad email, unknown role, or a password the rules refuse.
    :raises Conflict: the email is taken.
    :raises NotFound: unknown department.
    """
    names = _roles(roles)
    try:
        normalised = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError(str(exc), errors={"email": [str(exc)]}) from exc
    if password is not None:
        problems = password_problems(password, normalised)
        if problems:
            raise ValidationError(problems[0], errors={"password": problems})
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == normalised)):
        raise Conflict(f"a staff user with email {normalised} exists")
    user = StaffUser(
        email=normalised,
        display_name=display_name or normalised.split("@")[0],
        roles=" ".join(names),
        department=_department(department_code),
        password_hash=hash_password(password) if password is not None else None,
        password_changed_at=utcnow() if password is not None else None,
    )
    db.session.add(user)
    db.session.commit()
    return user


def set_password(email: str, password: str) -> StaffUser:
    """Give a staff user a new password (the old one stops working at once).

    :raises NotFound: no such user.
    :raises ValidationError: a password the rules refuse.
    """
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no staff user with email {email!r}")
    problems = password_problems(password, user.email)
    if problems:
        raise ValidationError(problems[0], errors={"password": problems})
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    db.session.commit()
    return user


def disable_user(user_id: uuid.UUID, by: str, reason: str | None = None) -> StaffUser:
    """Disable a staff user: no more sign-ins, every refresh token revoked now, and the access
    tokens they issued refused within the revocation window (REVOCATION_REFRESH_SECONDS).

    :param by: who disabled the user (``Principal.ref``), for the security event.
    :raises NotFound: no such user.
    """
    user = db.session.get(StaffUser, user_id)
    if user is None:
        raise NotFound(f"no staff user {user_id}")
    user.active = False
    user.disabled_at = user.disabled_at or utcnow()
    revoked = revoke_user_tokens(user.id)
    db.session.commit()
    record_security_event(
        USER_DISABLED, user_id=str(user.id), by=by, reason=reason, refresh_tokens_revoked=revoked
    )
    return user
