"""The audit trail: who read or changed which citizen's record, when, why, in which request.

Writing an event is one INSERT and nothing else: no lock, no read of the chain's head, so a read
of a citizen costs one row more, not a queue behind every other read of that citizen. The
worker's sealing job (``cgcrm.core.audit_seal``) then chains the new events in order, each
event's keyed hash (HMAC with a key held outside the database) covering its content and the
previous seal, and writes a signed checkpoint of the chain's head outside the database.
``flask audit verify`` (``cgcrm.core.audit_verify``) recomputes all of it.

The three tables only ever grow: on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE
(migration 0007); retention deletes only through ``flask audit purge``, which records itself.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Uuid, select
from sqlalchemy.orm import Mapped, column_property, mapped_column

from cgcrm.core.clock import utcnow
from cgcrm.core.principal import Actor
from cgcrm.core.types import JSONDocument, UTCDateTime
from cgcrm.extensions import db

GENESIS = "0" * 64
BigId = BigInteger().with_variant(Integer, "sqlite")


class AuditSeal(db.Model):  # type: ignore[name-defined,misc]
    """One event's link in the chain, written by the sealing job (never by a request).

    ``position`` is the chain's order (the order events were sealed in); ``hash`` is
    HMAC(key ``key_id``, ``prev_hash`` + the event's canonical content).
    """

    __tablename__ = "audit_seals"

    position: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigId, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(32))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditCheckpoint(db.Model):  # type: ignore[name-defined,misc]
    """The chain's head after a sealing run (``seal``) or a retention purge (``purge``).

    The same record, signed (``mac``), is appended to the checkpoint file outside the database;
    the file is what ``verify`` trusts. A purge's row is also what lets the trigger allow its
    DELETEs (``through_position``: the last position removed, ``head_hash``: its hash, from
    which the remaining chain continues).
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    through_position: Mapped[int] = mapped_column(BigId)
    head_hash: Mapped[str] = mapped_column(String(64))
    max_seq: Mapped[int] = mapped_column(BigId)
    events: Mapped[int] = mapped_column(Integer)
    purged_before: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    key_id: Mapped[str] = mapped_column(String(32))
    mac: Mapped[str] = mapped_column(String(64))


class AuditEvent(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(40))
    principal_kind: Mapped[str] = mapped_column(String(10))
    principal_id: Mapped[str] = mapped_column(String(80))
    department_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    fields: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    request_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The event's keyed hash once sealed, None until then (the trail's API shows it).
    hash: Mapped[str | None] = column_property(
        select(AuditSeal.hash).where(AuditSeal.seq == seq).scalar_subquery()
    )

    __table_args__ = (Index("ix_audit_events_citizen_seq", "citizen_id", "seq"),)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def canonical_content(row: Mapping[Any, Any]) -> bytes:
    """What an event's hash covers: every column of the stored row, in a canonical form.

    Every column (not a fixed list) so a column added later is covered without a code change;
    NULLs are left out so adding a nullable column does not change the hashes of older events.
    """
    content = {key: _plain(value) for key, value in row.items() if value is not None}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


AUDIT_INSERT = AuditEvent.__table__.insert()


def record_access(
    actor: Actor,
    action: str,
    citizen_ids: Iterable[uuid.UUID],
    fields: Sequence[str] = (),
    reason: str | None = None,
) -> None:
    """Append one audit event per citizen to the current transaction: one INSERT.

    The events are chained and signed later by the worker's sealing job.

    :param actor: who acts, and in which request.
    :param action: e.g. ``citizen.read``, ``citizen.updated``, ``citizen.found``.
    :param citizen_ids: the records touched.
    :param fields: the fields changed (writes) or disclosed (reads), by name; never values.
    :param reason: the purpose the caller declared (``X-Access-Reason``), if any.
    """
    rows = access_rows(actor, action, citizen_ids, fields, reason)
    if rows:
        db.session.execute(AUDIT_INSERT, rows)


def access_rows(
    actor: Actor,
    action: str,
    citizen_ids: Iterable[uuid.UUID],
    fields: Sequence[str] = (),
    reason: str | None = None,
) -> list[dict[str, Any]]:
    """The ``audit_events`` rows ``record_access`` writes, for callers that write them on a
    connection of their own (same parameters)."""
    now = utcnow()
    principal = actor.principal
    return [
        {
            "occurred_at": now,
            "citizen_id": cid,
            "action": action,
            "principal_kind": principal.kind,
            "principal_id": principal.id,
            "department_code": principal.department_code,
            "fields": list(fields),
            "request_id": actor.request_id,
            "reason": reason,
        }
        for cid in sorted(set(citizen_ids))
    ]


def verify_chain(citizen_id: uuid.UUID) -> bool:
    """Whether every sealed event of one citizen still matches its keyed hash.

    A quick check of one citizen's events; ``cgcrm.core.audit_verify.verify_trail`` checks the
    whole chain, the checkpoints outside the database and what was removed.
    """
    from cgcrm.core.audit_keys import audit_keyring

    keyring = audit_keyring()
    rows = db.session.execute(
        select(AuditEvent.__table__, AuditSeal.prev_hash, AuditSeal.hash, AuditSeal.key_id)
        .join(AuditSeal, AuditSeal.seq == AuditEvent.seq)
        .where(AuditEvent.citizen_id == citizen_id)
        .order_by(AuditSeal.position)
    ).mappings()
    columns = [column.name for column in AuditEvent.__table__.columns]
    for row in rows:
        content = canonical_content({name: row[name] for name in columns})
        if not keyring.matches(row["key_id"], row["prev_hash"], content, row["hash"]):
            return False
    return True
