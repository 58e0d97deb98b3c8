"""Every notification a payment provider sent us, kept whatever became of it.

A row per delivery attempt that reached our endpoint: accepted ones (``accepted``) with their
verified body and what applying them did (``outcome``), refused ones (forged, stale, replayed,
malformed) with only the hash of what was sent. ``flagged`` marks those a person must look at:
a notification about a payment that had already finished in another state (after its expiry,
say), or about a payment we do not know. Nothing a provider tells us is ever lost.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.types import JSONDocument, UTCDateTime
from cgcrm.extensions import db

# What became of an accepted notification.
APPLIED = "applied"  # the payment or refund moved (or already was in that state)
OUT_OF_DATE = "out_of_date"  # older than what we know: recorded, not applied
LATE = "late"  # the payment had finished in another state: recorded and flagged
UNKNOWN = "unknown"  # no payment or refund of ours has that reference: recorded and flagged
# Why one was refused.
REFUSED_SIGNATURE = "refused_signature"
REFUSED_STALE = "refused_stale"
REFUSED_REPLAY = "refused_replay"
REFUSED_MALFORMED = "refused_malformed"
OUTCOMES = (
    APPLIED,
    OUT_OF_DATE,
    LATE,
    UNKNOWN,
    REFUSED_SIGNATURE,
    REFUSED_STALE,
    REFUSED_REPLAY,
    REFUSED_MALFORMED,
)


class PaymentNotification(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "payment_notifications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    provider: Mapped[str] = mapped_column(String(40))
    # As the provider named it (None when the body could not be read).
    notification_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(20))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str | None] = mapped_column(String(10), nullable=True)
    provider_reference: Mapped[str | None] = mapped_column(String(80), nullable=True)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("payments.id"), nullable=True
    )
    to_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    code: Mapped[str | None] = mapped_column(String(5), nullable=True)
    # The provider's time of the change it reports, and the time its signature names.
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    body_sha256: Mapped[str] = mapped_column(String(64))
    # The verified body (accepted only): references and states, never card data.
    body: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    detail: Mapped[str | None] = mapped_column(String(300), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (
        CheckConstraint(
            f"outcome IN ({', '.join(repr(outcome) for outcome in OUTCOMES)})", name="outcome"
        ),
        # A notification is taken once: a second delivery of an accepted id is a replay.
        Index(
            "uq_payment_notifications_accepted_id",
            "provider",
            "notification_id",
            unique=True,
            postgresql_where="accepted",
            sqlite_where=db.text("accepted"),
        ),
        Index("ix_payment_notifications_payment_id", "payment_id"),
        Index(
            "ix_payment_notifications_flagged",
            "received_at",
            postgresql_where="flagged",
            sqlite_where=db.text("flagged"),
        ),
    )
