"""Refresh-token families: rotation on every use, reuse revoking the family.

A family is one sign-in: the authorization code starts it, and every refresh adds the new
refresh token to it and marks the one used. Presenting a used (or revoked) refresh token, or
the authorization code again, is a replay: the whole family is revoked, refresh tokens and the
access tokens they issued (RFC 9700 §4.14.2; RFC 6749 §4.1.2). Tokens are random strings; only
their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update

from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.identity.account_models import StaffSession
from cgcrm.identity.models import RefreshToken, RevokedToken
from cgcrm.identity.revocations import add_revoked

USER_DISABLED = "user.disabled"
TOKEN_REPLAYED = "token.replayed"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def revoke_family(family_id: uuid.UUID) -> int:
    """Revoke every refresh token of the family and every access token it issued, and mark
    its session ended; the caller commits. Returns how many refresh tokens were still live."""
    now = utcnow()
    db.session.execute(
        update(StaffSession)
        .where(StaffSession.family_id == family_id, StaffSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    rows = db.session.scalars(
        select(RefreshToken).where(RefreshToken.family_id == family_id).with_for_update()
    ).all()
    live = 0
    for row in rows:
        if row.revoked_at is None:
            row.revoked_at = now
            live += row.used_at is None
        _revoke_access(row)
    return live


def revoke_user_tokens(user_id: uuid.UUID) -> int:
    """Revoke every family of a user; the caller commits. Returns the live refresh tokens."""
    families = db.session.scalars(
        select(RefreshToken.family_id)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .distinct()
    ).all()
    return sum(revoke_family(family) for family in families)


def _revoke_access(row: RefreshToken) -> None:
    if not row.access_jti or not row.access_expires_at or row.access_expires_at <= utcnow():
        return
    if db.session.get(RevokedToken, row.access_jti) is None:
        db.session.add(RevokedToken(jti=row.access_jti, expires_at=row.access_expires_at))
    add_revoked(row.access_jti)


def mark_used(row: RefreshToken) -> None:
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == row.token_hash)
        .values(used_at=utcnow())
    )


def from_timestamp(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
