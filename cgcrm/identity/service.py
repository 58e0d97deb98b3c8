"""Creating API clients and staff users."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from cgcrm.catalog.models import Department
from cgcrm.core import scopes as scope_names
from cgcrm.core.errors import Conflict, NotFound, ValidationError
from cgcrm.extensions import db
from cgcrm.identity.models import OAuthClient, StaffUser, hash_secret


@dataclass(frozen=True)
class IssuedClient:
    client: OAuthClient
    client_secret: str  # shown once; only its argon2 hash is stored


def _department(code: str) -> Department:
    department = db.session.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise NotFound(f"no department with code {code!r}")
    return department


def create_client(
    name: str,
    department_code: str,
    scope: str,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> IssuedClient:
    """Register a department system for the client-credentials grant.

    :param scope: space-separated scopes the client may ask for.
    :param client_id: fixed id (demo data); generated when None.
    :param client_secret: fixed secret (demo data); generated when None.
    :raises NotFound: unknown department.
    :raises ValidationError: unknown scopes or empty name.
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
    client_id = client_id or f"cgcrm-{secrets.token_hex(8)}"
    if db.session.scalar(select(OAuthClient.id).where(OAuthClient.client_id == client_id)):
        raise Conflict(f"client {client_id} already exists")
    secret = client_secret or secrets.token_urlsafe(32)
    client = OAuthClient(
        client_id=client_id,
        client_secret_hash=hash_secret(secret),
        name=name.strip(),
        department=_department(department_code),
        scope=" ".join(sorted(set(requested))),
    )
    db.session.add(client)
    db.session.commit()
    return IssuedClient(client=client, client_secret=secret)


def create_user(
    email: str,
    role: str,
    department_code: str | None = None,
    display_name: str | None = None,
    password: str | None = None,
) -> StaffUser:
    """Register a staff user with a role (roles map to scopes in ``core.scopes.ROLE_SCOPES``).

    :raises ValidationError: bad email or unknown role.
    :raises Conflict: the email is taken.
    :raises NotFound: unknown department.
    """
    if role not in scope_names.ROLE_SCOPES:
        raise ValidationError(
            f"unknown role {role!r}",
            errors={"role": [f"choose from {', '.join(sorted(scope_names.ROLE_SCOPES))}"]},
        )
    try:
        normalised = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError(str(exc), errors={"email": [str(exc)]}) from exc
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == normalised)):
        raise Conflict(f"a staff user with email {normalised} exists")
    user = StaffUser(
        email=normalised,
        display_name=display_name or normalised.split("@")[0],
        role=role,
        department=_department(department_code) if department_code else None,
        password_hash=hash_secret(password) if password else None,
    )
    db.session.add(user)
    db.session.commit()
    return user
