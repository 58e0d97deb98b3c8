"""The audit trail: who read or changed which citizen's record, when, why, in which request.

Append-only and tamper-evident: each event's hash covers its content and the previous event's
hash for the same citizen, so deleting or editing an event breaks every later hash of that
citizen's chain. A per-citizen chain (instead of one global chain) keeps concurrent requests
about different citizens from queueing behind each other; the chain head row is the lock.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String, Uuid, select, update
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.clock import utcnow
from cgcrm.core.principal import Actor
from cgcrm.core.types import JSONDocument, UTCDateTime
from cgcrm.core.upsert import insert_or_lock
from cgcrm.extensions import db

GENESIS = "0" * 64


class AuditEvent(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(40))
    principal_kind: Mapped[str] = mapped_column(String(10))
    principal_id: Mapped[str] = mapped_column(String(80))
    department_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    fields: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    request_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_events_citizen_seq", "citizen_id", "seq"),)


class AuditChainHead(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "audit_chain_heads"

    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))


def _digest(prev_hash: str, event: dict[str, Any]) -> str:
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


_CONTENT_KEYS = (
    "occurred_at",
    "citizen_id",
    "action",
    "principal_kind",
    "principal_id",
    "department_code",
    "fields",
    "request_id",
    "reason",
)


def _content(values: Mapping[str, Any]) -> dict[str, Any]:
    """What an event's hash covers, in a canonical form (same for a new row and a stored one)."""
    content = {key: values[key] for key in _CONTENT_KEYS}
    content["occurred_at"] = values["occurred_at"].isoformat()
    content["citizen_id"] = str(values["citizen_id"])
    content["fields"] = list(values["fields"] or [])
    return content


def record_access(
    actor: Actor,
    action: str,
    citizen_ids: Iterable[uuid.UUID],
    fields: Sequence[str] = (),
    reason: str | None = None,
) -> None:
    """Append one audit event per citizen to the current transaction.

    :param actor: who acts, and in which request.
    :param action: e.g. ``citizen.read``, ``citizen.updated``, ``citizen.found``.
    :param citizen_ids: the records touched.
    :param fields: the fields changed (writes) or disclosed (reads), by name; never values.
    :param reason: the purpose the caller declared (``X-Access-Reason``), if any.
    """
    ids = sorted(set(citizen_ids))
    if not ids:
        return
    # Locking the heads in id order serialises appends per citizen without deadlocks.
    heads: dict[uuid.UUID, str] = dict(
        db.session.execute(
            insert_or_lock(AuditChainHead.__table__, "citizen_id", ("citizen_id", "hash")),
            [{"citizen_id": cid, "hash": GENESIS} for cid in ids],
        )
        .tuples()
        .all()
    )
    now = utcnow()
    principal = actor.principal
    rows = []
    for cid in ids:
        row: dict[str, Any] = {
            "occurred_at": now,
            "citizen_id": cid,
            "action": action,
            "principal_kind": principal.kind,
            "principal_id": principal.id,
            "department_code": principal.department_code,
            "fields": list(fields),
            "request_id": actor.request_id,
            "reason": reason,
            "prev_hash": heads[cid],
        }
        row["hash"] = _digest(row["prev_hash"], _content(row))
        rows.append(row)
    db.session.execute(AuditEvent.__table__.insert(), rows)
    db.session.execute(
        update(AuditChainHead),
        [{"citizen_id": row["citizen_id"], "hash": row["hash"]} for row in rows],
    )


def verify_chain(citizen_id: uuid.UUID) -> bool:
    """Recompute a citizen's audit chain; False if any event was altered, removed or reordered."""
    prev = GENESIS
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.citizen_id == citizen_id).order_by(AuditEvent.seq)
    )
    for event in events:
        content = _content({key: getattr(event, key) for key in _CONTENT_KEYS})
        if event.prev_hash != prev or event.hash != _digest(prev, content):
            return False
        prev = event.hash
    head = db.session.get(AuditChainHead, citizen_id)
    return head is None or head.hash == prev
