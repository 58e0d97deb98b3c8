"""Idempotency keys (DESIGN.md §3): a retried create replays its first response.

The key is reserved in its own short transaction, so a concurrent duplicate sees it at once and
gets 409 instead of waiting; the response is stored in the same transaction as the change it
describes, so a stored response always means the change committed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.clock import utcnow
from cgcrm.core.errors import Conflict, ValidationError
from cgcrm.core.types import JSONDocument, UTCDateTime
from cgcrm.core.upsert import insert_ignoring_conflicts
from cgcrm.extensions import db

KEY_MAX_LENGTH = 200


class IdempotencyRecord(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "idempotency_keys"

    principal_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    scope: Mapped[str] = mapped_column(String(120), primary_key=True)  # "POST /api/v1/citizens"
    key: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[Any] = mapped_column(JSONDocument, nullable=True)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSONDocument, nullable=True)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any
    headers: dict[str, str]


def fingerprint(payload: Any) -> str:
    """A stable hash of a request body, so "same key, different body" can be detected."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_key(key: str) -> str:
    """Reject keys that are empty, too long or not printable ASCII."""
    if not key or len(key) > KEY_MAX_LENGTH or not key.isascii() or not key.isprintable():
        raise ValidationError(
            "Idempotency-Key must be 1-200 printable ASCII characters",
            errors={"Idempotency-Key": ["invalid"]},
        )
    return key


def reserve(
    principal_id: str, scope: str, key: str, request_hash: str, ttl: int, lock_timeout: int
) -> StoredResponse | None:
    """Claim a key, or return the response of the request that already used it.

    Commits its own transaction. Returns None when the caller now owns the key.

    :raises Conflict: the first request with this key is still in flight.
    :raises ValidationError: the key was used with a different body.
    """
    validate_key(key)
    now = utcnow()
    table = IdempotencyRecord.__table__
    # Expired or abandoned reservations give way to the new request.
    db.session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.principal_id == principal_id,
            IdempotencyRecord.scope == scope,
            IdempotencyRecord.key == key,
            (IdempotencyRecord.expires_at < now)
            | (
                IdempotencyRecord.status_code.is_(None)
                & (IdempotencyRecord.created_at < now - timedelta(seconds=lock_timeout))
            ),
        )
    )
    inserted = db.session.execute(
        insert_ignoring_conflicts(table)
        .values(
            principal_id=principal_id,
            scope=scope,
            key=key,
            request_hash=request_hash,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
        )
        # rowcount is not reliable across drivers for ON CONFLICT; RETURNING is.
        .returning(table.c.key)
    ).scalar()
    if inserted is not None:
        db.session.commit()
        return None
    record = db.session.execute(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal_id == principal_id,
            IdempotencyRecord.scope == scope,
            IdempotencyRecord.key == key,
        )
    ).scalar_one()
    db.session.commit()
    if record.request_hash != request_hash:
        raise ValidationError(
            "this Idempotency-Key was already used with a different request body",
            errors={"Idempotency-Key": ["reused with a different body"]},
        )
    if record.status_code is None:
        raise Conflict("a request with this Idempotency-Key is still being processed; retry later")
    return StoredResponse(record.status_code, record.response_body, record.response_headers or {})


def complete(
    principal_id: str, scope: str, key: str, status_code: int, body: Any, headers: dict[str, str]
) -> None:
    """Store the response in the current transaction (the one that made the change)."""
    record = db.session.get(IdempotencyRecord, (principal_id, scope, key))
    if record is not None:
        record.status_code = status_code
        record.response_body = body
        record.response_headers = headers


def release(principal_id: str, scope: str, key: str) -> None:
    """Forget a reservation whose request failed, so the client may retry with the same key."""
    db.session.rollback()
    db.session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.principal_id == principal_id,
            IdempotencyRecord.scope == scope,
            IdempotencyRecord.key == key,
            IdempotencyRecord.status_code.is_(None),
        )
    )
    db.session.commit()
