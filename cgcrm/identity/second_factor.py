"""A staff user managing their own TOTP second factor: enrol, confirm, disable.

Every code sent here goes through the sign-in throttle (``signin.check_account_code``): a wrong
one counts as a failed sign-in of the user, so a stolen access token cannot be used to guess
codes. Enabling and disabling are security events; the secret appears in none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import g

from cgcrm.core.errors import Conflict, DomainError, NotAuthorized, ValidationError
from cgcrm.core.principal import Principal
from cgcrm.core.security_events import record_security_event
from cgcrm.extensions import db
from cgcrm.identity.account_models import StaffTotp
from cgcrm.identity.models import StaffUser
from cgcrm.identity.signin import check_account_code, check_account_password
from cgcrm.identity.totp import (
    NewSecret,
    confirm_factor,
    confirmed_factor,
    new_secret,
    recovery_codes_left,
    remove_factor,
)

TOTP_ENABLED = "user.totp_enabled"
TOTP_DISABLED = "user.totp_disabled"


class TooManyAttempts(DomainError):
    status, title, slug = 429, "Too many requests", "too-many-requests"


@dataclass(frozen=True)
class TotpStatus:
    enabled: bool
    pending: bool
    enabled_at: datetime | None
    recovery_codes_left: int


@dataclass(frozen=True)
class EnabledTotp:
    enabled_at: datetime
    recovery_codes: list[str]  # shown once; only their hashes are stored


def staff_user_of(principal: Principal) -> StaffUser:
    """The active staff user a token speaks for.

    :raises NotAuthorized: the token is a client's, or the user is gone or disabled.
    """
    user = None
    if principal.kind == "user":
        try:
            user = db.session.get(StaffUser, uuid.UUID(principal.id))
        except ValueError:
            user = None
    if user is None or not user.active:
        raise NotAuthorized("only a signed-in staff user has a second factor and sessions")
    return user


def totp_status(user: StaffUser) -> TotpStatus:
    """Whether the user's sign-in asks for a TOTP code, and how many recovery codes are left."""
    row = db.session.get(StaffTotp, user.id)
    confirmed = row is not None and row.confirmed_at is not None
    return TotpStatus(
        enabled=confirmed,
        pending=row is not None and not confirmed,
        enabled_at=row.confirmed_at if row is not None else None,
        recovery_codes_left=recovery_codes_left(user.id) if confirmed else 0,
    )


def start_totp_enrolment(user: StaffUser, password: str) -> NewSecret:
    """Make a new secret for the user to put in their authenticator, once their password
    proves it is them; it is not asked for at sign-in until ``confirm_totp`` sees a code made
    with it. Starting again replaces it.

    :raises Conflict: the user already has a confirmed factor (disable it first), or signs in
        through an external provider (whose sign-in holds their second factor).
    :raises ValidationError: a wrong password (counted as a failed sign-in).
    :raises TooManyAttempts: too many wrong passwords or codes for this user lately.
    """
    if confirmed_factor(user.id) is not None:
        raise Conflict("TOTP is already enabled: disable it before enrolling again")
    if not user.password_hash:
        raise Conflict(
            "you sign in through an external provider: your second factor is set up there"
        )
    right, wait = check_account_password(user, password)
    if wait:
        raise TooManyAttempts(
            f"too many wrong attempts: try again in {wait} seconds", retry_after=wait
        )
    if not right:
        raise ValidationError(
            "the password is not correct",
            errors={"password": ["enter the password you sign in with"]},
        )
    secret = new_secret(user.id, user.email)
    db.session.commit()
    return secret


def _spend(user: StaffUser, code: str, *, pending: bool) -> str:
    used, wait = check_account_code(user, code, pending=pending)
    if wait:
        raise TooManyAttempts(
            f"too many wrong codes: try again in {wait} seconds", retry_after=wait
        )
    if used is None:
        raise ValidationError(
            "the code is not correct, or was used already",
            errors={"code": ["enter the current code from your authenticator app"]},
        )
    return used


def confirm_totp(user: StaffUser, code: str) -> EnabledTotp:
    """Enable the pending factor once the user sends a code made with it; returns the ten
    recovery codes, shown this once.

    :raises Conflict: nothing pending (start the enrolment first), or already enabled.
    :raises ValidationError: a wrong code.
    :raises TooManyAttempts: too many wrong codes or passwords for this user lately.
    """
    status = totp_status(user)
    if not status.pending:
        raise Conflict("TOTP is already enabled" if status.enabled else "start the enrolment first")
    _spend(user, code, pending=True)
    enabled_at, codes = confirm_factor(user.id)
    db.session.commit()
    record_security_event(TOTP_ENABLED, request_id=g.get("request_id"), user_id=str(user.id))
    return EnabledTotp(enabled_at=enabled_at, recovery_codes=codes)


def disable_totp(user: StaffUser, code: str) -> None:
    """Stop asking for a TOTP code at sign-in; needs a current code or a recovery code.

    :raises Conflict: TOTP is not enabled.
    :raises ValidationError: a wrong code.
    :raises TooManyAttempts: too many wrong codes or passwords for this user lately.
    """
    if confirmed_factor(user.id) is None:
        raise Conflict("TOTP is not enabled")
    used = _spend(user, code, pending=False)
    remove_factor(user.id)
    db.session.commit()
    record_security_event(
        TOTP_DISABLED, request_id=g.get("request_id"), user_id=str(user.id), proved_with=used
    )
