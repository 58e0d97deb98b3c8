"""Which handler has applied which outbox event: the key of idempotent event handling."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.types import UTCDateTime
from cgcrm.extensions import db


class ProcessedEvent(db.Model):  # type: ignore[name-defined,misc]
    """A marker inserted in the same transaction as a handler's effect.

    No foreign key to ``outbox_events``: events are deleted by housekeeping before their markers.
    """

    __tablename__ = "processed_events"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    handler: Mapped[str] = mapped_column(String(120), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ParkedEvent(db.Model):  # type: ignore[name-defined,misc]
    """An event a handler failed on for a reason retrying cannot cure (a row it cannot read,
    a value out of range, a bug): set aside, shown to administrators, never retried by itself.
    """

    __tablename__ = "parked_events"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    handler: Mapped[str] = mapped_column(String(120), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(80))
    parked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reason: Mapped[str] = mapped_column(Text)
