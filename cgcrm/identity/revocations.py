"""Which access tokens were revoked: the database's list, mirrored in each process.

Every API request must refuse a revoked token, but asking the database on every request costs a
round trip per request for a list that changes a few times a day. Each process keeps the jtis of
revoked, unexpired tokens and reloads them when its copy is older than
REVOCATION_REFRESH_SECONDS, so a revocation reaches every process within that time; the process
that revokes a token refuses it at once. Introspection always asks the database.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy import select

from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.identity.models import RevokedToken

_EXTENSION = "cgcrm.revocations"


class RevocationList:
    def __init__(self, refresh_seconds: float) -> None:
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._jtis: frozenset[str] = frozenset()
        self._loaded_at = float("-inf")

    def contains(self, jti: str) -> bool:
        if time.monotonic() - self._loaded_at >= self._refresh_seconds:
            self._reload()
        return jti in self._jtis

    def add(self, jti: str) -> None:
        with self._lock:
            self._jtis = self._jtis | {jti}

    def _reload(self) -> None:
        started = time.monotonic()
        jtis = frozenset(
            db.session.scalars(select(RevokedToken.jti).where(RevokedToken.expires_at > utcnow()))
        )
        with self._lock:
            self._jtis = jtis
            self._loaded_at = started


def init_revocations(app: Flask) -> None:
    app.extensions[_EXTENSION] = RevocationList(app.config["REVOCATION_REFRESH_SECONDS"])


def _revocations() -> RevocationList:
    revocations: RevocationList = current_app.extensions[_EXTENSION]
    return revocations


def is_revoked(jti: str, *, authoritative: bool = False) -> bool:
    """Whether ``jti`` was revoked: from this process's copy, or the database if authoritative."""
    if authoritative:
        return db.session.get(RevokedToken, jti) is not None
    return _revocations().contains(jti)


def revoke(jti: str, expires_at: int) -> None:
    """Remember ``jti`` as revoked until it expires; this process refuses it from now on."""
    if not is_revoked(jti, authoritative=True):
        db.session.add(RevokedToken(jti=jti, expires_at=datetime.fromtimestamp(expires_at, UTC)))
    db.session.commit()
    _revocations().add(jti)


def add_revoked(jti: str) -> None:
    """Refuse ``jti`` in this process from now on (the caller stores it in the same commit)."""
    _revocations().add(jti)
