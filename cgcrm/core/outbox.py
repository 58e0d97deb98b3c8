"""The transactional outbox: domain events written in the same transaction as the change."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Uuid, insert
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.types import JSONDocument, UTCDateTime
from cgcrm.extensions import db


class OutboxEvent(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "outbox_events"

    # Integer sequence gives the relay a total order to publish in.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_id)
    type: Mapped[str] = mapped_column(String(80))
    aggregate_type: Mapped[str] = mapped_column(String(40))
    aggregate_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Times the relay has published it; bounds redelivery of events whose job was lost.
    deliveries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index(
            "ix_outbox_events_unpublished",
            "seq",
            postgresql_where="published_at IS NULL",
            sqlite_where=db.text("published_at IS NULL"),
        ),
    )


def add_event(
    event_type: str, aggregate_type: str, aggregate_id: uuid.UUID, payload: dict[str, Any]
) -> uuid.UUID:
    """Write a domain event in the current transaction; it commits with the change it describes.

    A plain INSERT, not a unit-of-work object: every write of the system emits one, and the
    event is never read back by the request that wrote it. ``seq`` follows the order of calls.
    Payloads carry ids and changed field names, never personal data: events travel to queues and
    departments' webhooks.

    :returns: the event's id.
    """
    event_id = new_id()
    db.session.execute(
        insert(OutboxEvent.__table__),
        {
            "event_id": event_id,
            "type": event_type,
            "aggregate_type": aggregate_type,
            "aggregate_id": aggregate_id,
            "payload": payload,
            "occurred_at": utcnow(),
        },
    )
    return event_id
