"""Sealing the audit trail, signing its checkpoints, and the one declared way to delete from it.

Requests only INSERT events. ``seal_pending`` (the worker's periodic job, or ``flask audit
seal``) takes the events not yet sealed in ``seq`` order and chains each to the previous seal
with the audit key, so any later edit of an event's content, or removal of a sealed event in
the middle, breaks the chain. After each run a signed checkpoint of the head (position and hash)
is appended to a file outside the database: removing the newest events, or all of them, leaves
the database behind its last checkpoint, which ``flask audit verify`` reports.

One sealer runs at a time (a PostgreSQL advisory lock), so positions are gap-free and in order.
An event committed late (a long transaction holding an older ``seq``) is sealed by a later run:
each run looks back ``AUDIT_SEAL_LOOKBACK`` seconds' worth of numbers for such stragglers.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Connection, delete, exists, func, select

from cgcrm.core.audit import GENESIS, AuditCheckpoint, AuditEvent, AuditSeal, canonical_content
from cgcrm.core.audit_keys import AuditKeyring, audit_keyring
from cgcrm.core.clock import utcnow
from cgcrm.extensions import db

log = logging.getLogger(__name__)
checkpoint_log = logging.getLogger("cgcrm.audit.checkpoints")
# pg_advisory_lock key of the sealer and the purge ("cgaudit" in ASCII).
SEAL_LOCK = 0x63_67_61_75_64_69_74
# The transaction-local setting naming the purge checkpoint the trigger lets delete rows.
PURGE_SETTING = "cgcrm.audit_purge"
SIGNED_FIELDS = (
    "kind",
    "created_at",
    "through_position",
    "head_hash",
    "max_seq",
    "events",
    "purged_before",
    "key_id",
)


@dataclass(frozen=True)
class Head:
    position: int
    hash: str


@dataclass(frozen=True)
class SealResult:
    sealed: int
    head: Head | None
    checkpoint: dict[str, Any] | None


# --- checkpoints ---


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def checkpoint_message(record: dict[str, Any]) -> bytes:
    """The bytes a checkpoint's ``mac`` covers: its signed fields, canonical JSON."""
    signed = {name: record.get(name) for name in SIGNED_FIELDS}
    for name in ("created_at", "purged_before"):
        if isinstance(signed[name], datetime):
            signed[name] = _iso(signed[name])
    return json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()


def sign_checkpoint(keyring: AuditKeyring, record: dict[str, Any]) -> str:
    return keyring.mac(record["key_id"], checkpoint_message(record))


def checkpoint_path() -> Path:
    configured = current_app.config["AUDIT_CHECKPOINT_FILE"]
    return (
        Path(configured)
        if configured
        else Path(current_app.instance_path) / ("audit-checkpoints.jsonl")
    )


def append_checkpoint(record: dict[str, Any]) -> None:
    """Append a signed checkpoint to the file outside the database (and the log stream when
    ``AUDIT_CHECKPOINT_LOG``); fsynced, so a checkpoint that was reported is on disk."""
    line = json.dumps(
        {key: _iso(v) if isinstance(v, datetime) else v for key, v in record.items()},
        sort_keys=True,
        separators=(",", ":"),
    )
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    if current_app.config["AUDIT_CHECKPOINT_LOG"]:
        checkpoint_log.info("%s", line)


# --- the sealer's lock and the chain's head ---


@contextmanager
def _sealer_connection() -> Iterator[Connection | None]:
    """A connection holding the sealer's lock, or None when another sealer holds it."""
    with db.engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            yield connection
            return
        locked = connection.execute(select(func.pg_try_advisory_lock(SEAL_LOCK))).scalar()
        connection.commit()
        if not locked:
            yield None
            return
        try:
            yield connection
        finally:
            connection.rollback()
            connection.execute(select(func.pg_advisory_unlock(SEAL_LOCK)))
            connection.commit()


def _latest_purge(connection: Connection) -> Head:
    row = connection.execute(
        select(AuditCheckpoint.through_position, AuditCheckpoint.head_hash)
        .where(AuditCheckpoint.kind == "purge")
        .order_by(AuditCheckpoint.id.desc())
        .limit(1)
    ).first()
    return Head(row[0], row[1]) if row else Head(0, GENESIS)


def _head(connection: Connection) -> Head:
    row = connection.execute(
        select(AuditSeal.position, AuditSeal.hash).order_by(AuditSeal.position.desc()).limit(1)
    ).first()
    return Head(row[0], row[1]) if row else _latest_purge(connection)


def _max_seq(connection: Connection, before: datetime | None = None) -> int:
    query = select(AuditCheckpoint.max_seq).order_by(AuditCheckpoint.id.desc()).limit(1)
    if before is not None:
        query = query.where(AuditCheckpoint.created_at < before)
    return connection.execute(query).scalar() or 0


def _record_checkpoint(
    connection: Connection, keyring: AuditKeyring, **values: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {"key_id": keyring.current_id, "purged_before": None, **values}
    record["mac"] = sign_checkpoint(keyring, record)
    result = connection.execute(AuditCheckpoint.__table__.insert(), record)
    record["id"] = result.inserted_primary_key[0]  # type: ignore[index]
    return record


# --- sealing ---


def _seal_batch(
    connection: Connection, keyring: AuditKeyring, batch: int, everything: bool
) -> SealResult:
    config = current_app.config
    now = utcnow()
    head = _head(connection)
    # Everything up to an older run's highest number was sealed or has had the look-back to
    # commit; only numbers above it can still be unsealed (``everything`` looks at all).
    lookback = now - timedelta(seconds=int(config["AUDIT_SEAL_LOOKBACK"]))
    floor = 0 if everything else _max_seq(connection, lookback)
    events = AuditEvent.__table__
    rows = (
        connection.execute(
            select(events)
            .where(events.c.seq > floor, ~exists().where(AuditSeal.seq == events.c.seq))
            .order_by(events.c.seq)
            .limit(batch)
        )
        .mappings()
        .all()
    )
    if not rows:
        return SealResult(0, head, None)
    key_id, prev, position = keyring.current_id, head.hash, head.position
    seals = []
    for row in rows:
        position += 1
        link = keyring.link(key_id, prev, canonical_content(row))
        seals.append(
            {
                "position": position,
                "seq": row["seq"],
                "prev_hash": prev,
                "hash": link,
                "key_id": key_id,
                "sealed_at": now,
            }
        )
        prev = link
    connection.execute(AuditSeal.__table__.insert(), seals)
    checkpoint = _record_checkpoint(
        connection,
        keyring,
        kind="seal",
        created_at=now,
        through_position=position,
        head_hash=prev,
        max_seq=max(_max_seq(connection), rows[-1]["seq"]),
        events=len(rows),
    )
    return SealResult(len(rows), Head(position, prev), checkpoint)


def seal_pending(batch: int | None = None, *, everything: bool = False) -> SealResult:
    """Chain and sign the events not sealed yet (at most ``batch``), then append the signed
    checkpoint outside the database. Does nothing while another sealer runs.

    :param batch: most events to seal (``AUDIT_SEAL_BATCH`` when None).
    :param everything: look for unsealed events among all, not only the recent numbers (for
        one committed later than ``AUDIT_SEAL_LOOKBACK`` after its number was drawn).
    :returns: how many events were sealed, the head, and the checkpoint written (if any).
    """
    keyring = audit_keyring()
    size = batch or int(current_app.config["AUDIT_SEAL_BATCH"])
    with _sealer_connection() as connection:
        if connection is None:
            return SealResult(0, None, None)
        with connection.begin():
            result = _seal_batch(connection, keyring, size, everything)
        if result.checkpoint is not None:
            # After the commit: a checkpoint outside must never be ahead of the database.
            append_checkpoint(result.checkpoint)
    return result


def seal_everything() -> int:
    """Run ``seal_pending`` over all events until nothing is left; returns how many events
    were sealed."""
    total = 0
    while True:
        result = seal_pending(everything=True)
        total += result.sealed
        if result.checkpoint is None:
            return total


# --- retention: the one declared way to delete ---


def purge_before(before: datetime) -> dict[str, Any] | None:
    """Delete the sealed events that occurred before ``before``, oldest first, and record it.

    Removes the longest prefix of the chain whose events all occurred before ``before``. The
    purge is a checkpoint itself (kind ``purge``): what was removed, and the hash of the last
    removed seal, from which the remaining chain continues and ``verify`` starts. On PostgreSQL
    the trigger allows these DELETEs only because the transaction names that checkpoint.

    :returns: the signed purge checkpoint, or None when nothing was old enough.
    """
    seal_everything()
    keyring = audit_keyring()
    with _sealer_connection() as connection:
        if connection is None:
            raise RuntimeError("the audit sealer is running; try the purge again")
        with connection.begin():
            record = _purge(connection, keyring, before)
        if record is not None:
            append_checkpoint(record)
    return record


def _purge(
    connection: Connection, keyring: AuditKeyring, before: datetime
) -> dict[str, Any] | None:
    anchor = _latest_purge(connection)
    first_kept = connection.execute(
        select(func.min(AuditSeal.position))
        .join(AuditEvent, AuditEvent.seq == AuditSeal.seq)
        .where(AuditEvent.occurred_at >= before, AuditSeal.position > anchor.position)
    ).scalar()
    last = connection.execute(select(func.max(AuditSeal.position))).scalar()
    if last is None:
        return None
    through = first_kept - 1 if first_kept is not None else last
    if through <= anchor.position:
        return None
    removed = (AuditSeal.position > anchor.position) & (AuditSeal.position <= through)
    head_hash = connection.execute(
        select(AuditSeal.hash).where(AuditSeal.position == through)
    ).scalar_one()
    record = _record_checkpoint(
        connection,
        keyring,
        kind="purge",
        created_at=utcnow(),
        through_position=through,
        head_hash=head_hash,
        max_seq=_max_seq(connection),
        events=through - anchor.position,
        purged_before=before,
    )
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.set_config(PURGE_SETTING, str(record["id"]), True)))
    events = AuditEvent.__table__
    connection.execute(delete(events).where(events.c.seq.in_(select(AuditSeal.seq).where(removed))))
    connection.execute(delete(AuditSeal.__table__).where(removed))
    log.info("audit: purged %s events sealed before position %s", record["events"], through)
    return record
