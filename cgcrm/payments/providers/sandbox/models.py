"""The sandbox gateway's own books: its charges, its refunds, the notifications it sends.

They belong to the gateway, not to our payments: nothing here refers to a ``payments`` row.
A charge is known by the reference the gateway gave it (``provider_reference``) and by the
reference of the payment it was opened for (``merchant_reference``, unique: asking the gateway
twice for the same payment returns the first charge, so a retry never charges twice). No card
number or security code is ever kept: only the brand, last four digits and expiry.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.types import UTCDateTime
from cgcrm.extensions import db

# The gateway's own words for a charge's life. ``captured`` is money taken (our ``success``).
CHARGE_STATES = (
    "created",
    "started",
    "submitted",
    "authorised",
    "capture_requested",
    "captured",
    "declined",
    "error",
    "cancelled",
    "expired",
)
OPEN_CHARGE_STATES = ("created", "started")
REFUND_STATES = ("submitted", "success", "error")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class SandboxCharge(db.Model):  # type: ignore[name-defined,misc]
    """One charge as the gateway sees it."""

    __tablename__ = "sandbox_charges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    provider_reference: Mapped[str] = mapped_column(String(40), unique=True)
    merchant_reference: Mapped[str] = mapped_column(String(40), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(20), default="created")
    failure_code: Mapped[str | None] = mapped_column(String(5), nullable=True)
    moto: Mapped[bool] = mapped_column(Boolean, default=False)
    delayed_capture: Mapped[bool] = mapped_column(Boolean, default=False)
    # SHA-256 of the card page's link token; the link itself is the citizen's credential.
    page_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    return_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Decided from the test card when it is submitted, acted on by the authorisation job.
    planned_outcome: Mapped[str | None] = mapped_column(String(10), nullable=True)
    card_brand: Mapped[str | None] = mapped_column(String(20), nullable=True)
    card_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    card_expiry: Mapped[str | None] = mapped_column(String(5), nullable=True)
    # How many notifications the gateway has issued about this charge (their ``sequence``).
    notifications_issued: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    authorised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint(_in("state", CHARGE_STATES), name="state"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        # The settlement file of a day: captures in that day.
        Index(
            "ix_sandbox_charges_captured_at",
            "captured_at",
            postgresql_where="captured_at IS NOT NULL",
            sqlite_where=db.text("captured_at IS NOT NULL"),
        ),
    )


class SandboxRefund(db.Model):  # type: ignore[name-defined,misc]
    """One refund of a captured charge as the gateway sees it."""

    __tablename__ = "sandbox_refunds"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    provider_reference: Mapped[str] = mapped_column(String(40), unique=True)
    charge_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sandbox_charges.id"))
    # The merchant's reference of the refund: asking twice returns the first refund.
    merchant_reference: Mapped[str] = mapped_column(String(60), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(10), default="submitted")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint(_in("state", REFUND_STATES), name="state"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        Index("ix_sandbox_refunds_charge_id", "charge_id"),
        Index(
            "ix_sandbox_refunds_settled_at",
            "settled_at",
            postgresql_where="settled_at IS NOT NULL",
            sqlite_where=db.text("settled_at IS NOT NULL"),
        ),
    )


class SandboxNotification(db.Model):  # type: ignore[name-defined,misc]
    """One notification the gateway owes the merchant, kept until the merchant takes it.

    ``body`` is the exact JSON it signs and sends each time (the signature's timestamp is
    fresh on each attempt); it carries states and references, never card data.
    """

    __tablename__ = "sandbox_notifications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    charge_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("sandbox_charges.id"))
    refund_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("sandbox_refunds.id"), nullable=True
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Given up after SANDBOX_DELIVERY_ATTEMPTS (the settlement report still tells the truth).
    abandoned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (
        Index("ix_sandbox_notifications_charge_id", "charge_id"),
        Index(
            "ix_sandbox_notifications_pending",
            "next_attempt_at",
            postgresql_where="delivered_at IS NULL AND abandoned_at IS NULL",
            sqlite_where=db.text("delivered_at IS NULL AND abandoned_at IS NULL"),
        ),
    )
