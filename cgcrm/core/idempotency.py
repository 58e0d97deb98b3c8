"""Idempotency keys (DESIGN.md §3): a retried create replays its first response.

The key is reserved in the transaction of the change itself, under a transaction-scoped advisory
lock taken without waiting, so a concurrent duplicate gets 409 at once instead of waiting; the
response is stored in that same transaction, so a stored response always means the change
committed, and a failed change leaves no reservation behind.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    Row,
    String,
    TextClause,
    Update,
    bindparam,
    delete,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.clock import utcnow
from cgcrm.core.driver import execute_compiled
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


@dataclass
class Prefetch:
    """A one-row SELECT (plain SQL, ``:name`` parameters) the create needs first, read in the
    key's claim (one round trip instead of two); ``row`` is set when the key was claimed by
    this request, otherwise left None (the create then reads it itself).

    Its columns must not be called ``locked`` or ``claimed``; its parameters must not reuse
    the claim's names (principal_id, scope, key, request_hash, created_at, expires_at,
    lock_class, lock_hash).
    """

    sql: str
    params: dict[str, Any]
    row: Row[Any] | None = field(default=None, compare=False)


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


# The advisory locks of idempotency keys: (this class, a hash of the key) in the two-int4 key
# space, apart from the one-bigint locks of cgcrm.core.advisory.
_LOCK_CLASS = 0x1DE0


def _lock_hash(principal_id: str, scope: str, key: str) -> int:
    digest = hashlib.sha256(f"{principal_id}\n{scope}\n{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


@cache
def _claim_statement(prefetch_sql: str | None = None) -> TextClause:
    """Take the key's transaction-scoped advisory lock without waiting and, when taken,
    insert the reservation unless the key is already stored: one round trip, which also
    reads the caller's ``prefetch_sql`` (one row) when given.

    The INSERT's conflict check reads the latest committed rows (not the statement's
    snapshot), so a request whose first use committed a moment ago is seen as a repeat.
    """
    table = IdempotencyRecord.__table__
    tail = (
        f" FROM (SELECT 1) AS one LEFT JOIN ({prefetch_sql}) AS found ON true"
        if prefetch_sql
        else ""
    )
    extra = ", found.*" if prefetch_sql else ""
    return text(
        "WITH lock AS MATERIALIZED (SELECT pg_try_advisory_xact_lock(:lock_class, :lock_hash)"
        " AS got), claimed AS (INSERT INTO idempotency_keys (principal_id, scope, key,"
        " request_hash, created_at, expires_at) SELECT :principal_id, :scope, :key,"
        " :request_hash, :created_at, :expires_at FROM lock WHERE lock.got"
        " ON CONFLICT DO NOTHING RETURNING 1)"
        f" SELECT (SELECT got FROM lock) AS locked, EXISTS (SELECT FROM claimed) AS claimed{extra}"
        f"{tail}"
    ).bindparams(
        bindparam("created_at", type_=table.c.created_at.type),
        bindparam("expires_at", type_=table.c.expires_at.type),
    )


def _claim(values: dict[str, Any], prefetch: Prefetch | None = None) -> bool | None:
    """True: the caller owns the key now (and ``prefetch.row`` is read); False: the key is
    stored; None: in use right now."""
    session = db.session
    if session.get_bind().dialect.name != "postgresql":  # one writer at a time anyway
        table = IdempotencyRecord.__table__
        inserted = session.execute(
            insert_ignoring_conflicts(table).values(**values).returning(table.c.key)
        ).scalar()
        return inserted is not None
    row = execute_compiled(
        _claim_statement(prefetch.sql if prefetch else None),
        {
            **values,
            **(prefetch.params if prefetch else {}),
            "lock_class": _LOCK_CLASS,
            "lock_hash": _lock_hash(values["principal_id"], values["scope"], values["key"]),
        },
    ).fetchone()
    if not row.locked:
        return None
    if row.claimed and prefetch is not None:
        prefetch.row = row
    return bool(row.claimed)


def reserve(
    principal_id: str,
    scope: str,
    key: str,
    request_hash: str,
    ttl: int,
    lock_timeout: int,
    prefetch: Prefetch | None = None,
) -> StoredResponse | None:
    """Claim a key in the caller's transaction, or return the response of the request that
    already used it.

    Returns None when the caller now owns the key: the session's transaction holds the key's
    advisory lock and its reservation, and the change and its response (``complete``) must
    commit in it; a rollback forgets the reservation. A concurrent request with the same key
    fails to take the lock and gets 409 at once; once the first commits, repeats replay it.
    Otherwise ends the transaction it began. ``prefetch``, when given, is read in the claim.

    :raises Conflict: the first request with this key is still in flight.
    :raises ValidationError: the key was used with a different body.
    """
    validate_key(key)
    now = utcnow()
    values = {
        "principal_id": principal_id,
        "scope": scope,
        "key": key,
        "request_hash": request_hash,
        "created_at": now,
        "expires_at": now + timedelta(seconds=ttl),
    }
    table = IdempotencyRecord.__table__
    try:
        for _ in range(3):
            claimed = _claim(values, prefetch)
            if claimed is None:
                raise Conflict(
                    "a request with this Idempotency-Key is still being processed; retry later"
                )
            if claimed:
                return None
            # Built only for a repeat: a first use (the common case) never needs it.
            where = (
                (IdempotencyRecord.principal_id == principal_id)
                & (IdempotencyRecord.scope == scope)
                & (IdempotencyRecord.key == key)
            )
            record = db.session.execute(
                select(
                    table.c.request_hash,
                    table.c.status_code,
                    table.c.response_body,
                    table.c.response_headers,
                    table.c.created_at,
                    table.c.expires_at,
                ).where(where)
            ).first()
            if record is None:  # expired and swept meanwhile: claim it again
                continue
            abandoned = record.status_code is None and record.created_at < now - timedelta(
                seconds=lock_timeout
            )
            if record.expires_at < now or abandoned:
                # Expired or abandoned reservations give way to the new request.
                db.session.execute(delete(IdempotencyRecord).where(where))
                continue
            if record.request_hash != request_hash:
                raise ValidationError(
                    "this Idempotency-Key was already used with a different request body",
                    errors={"Idempotency-Key": ["reused with a different body"]},
                )
            if record.status_code is None:
                raise Conflict(
                    "a request with this Idempotency-Key is still being processed; retry later"
                )
            db.session.rollback()
            return StoredResponse(
                record.status_code, record.response_body, record.response_headers or {}
            )
        raise Conflict("this Idempotency-Key keeps changing hands; retry later")
    except Exception:
        db.session.rollback()
        raise


def complete(
    principal_id: str, scope: str, key: str, status_code: int, body: Any, headers: dict[str, str]
) -> None:
    """Store the response in the current transaction (the one that made the change and holds
    the reservation)."""
    params = {
        "of_principal_id": principal_id,
        "of_scope": scope,
        "of_key": key,
        "status_code": status_code,
        "response_body": body,
        "response_headers": headers,
    }
    if db.session.get_bind().dialect.name == "postgresql":
        execute_compiled(_complete_statement(), params)
    else:
        db.session.execute(_complete_statement(), params)


@cache
def _complete_statement() -> Update:
    """A Core UPDATE of the key's row, built once (no ORM bulk-update machinery a request)."""
    table = IdempotencyRecord.__table__
    return (
        update(table)
        .where(
            table.c.principal_id == bindparam("of_principal_id"),
            table.c.scope == bindparam("of_scope"),
            table.c.key == bindparam("of_key"),
        )
        .values(
            status_code=bindparam("status_code"),
            response_body=bindparam("response_body", type_=table.c.response_body.type),
            response_headers=bindparam("response_headers", type_=table.c.response_headers.type),
        )
    )


def release(principal_id: str, scope: str, key: str) -> None:
    """Forget a reservation whose request failed, so the client may retry with the same key:
    the reservation lives in the failed request's transaction, so rolling it back is enough."""
    db.session.rollback()
