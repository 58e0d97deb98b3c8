"""The payments, their state history and their refunds (the journal lives in ``ledger``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.types import JSONDocument, UTCDateTime
from cgcrm.extensions import db
from cgcrm.payments import states

BigId = BigInteger().with_variant(db.Integer, "sqlite")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Payment(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "payments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # Ours, human, with a check character (cgcrm.payments.references): PAY-7K3M-9Q2D-X.
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    # The service's own reference for the payment (GOV.UK Pay's ``reference``), if it gave one.
    service_reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    service_code: Mapped[str] = mapped_column(String(40), ForeignKey("services.code"))
    department_code: Mapped[str] = mapped_column(String(32))
    citizen_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("citizens.id"), nullable=True
    )
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("cases.id"), nullable=True)
    channel: Mapped[str] = mapped_column(String(20), ForeignKey("channels.code"))
    provider: Mapped[str] = mapped_column(String(40))
    provider_reference: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(255))
    return_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    state: Mapped[str] = mapped_column(String(12), default=states.CREATED)
    failure_code: Mapped[str | None] = mapped_column(String(5), nullable=True)
    finished: Mapped[bool] = mapped_column(Boolean, default=False)
    moto: Mapped[bool] = mapped_column(Boolean, default=False)
    delayed_capture: Mapped[bool] = mapped_column(Boolean, default=False)
    card_brand: Mapped[str | None] = mapped_column(String(40), nullable=True)
    card_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    card_expiry: Mapped[str | None] = mapped_column(String(5), nullable=True)
    till_reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # What the provider needs to remember (its next_url, a session id); never card numbers.
    provider_data: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    # "user:<uuid>" or "client:<client_id>"
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_minor"),
        CheckConstraint(_in("state", states.STATES), name="state"),
        CheckConstraint(_in("channel", states.CHANNELS), name="channel"),
        CheckConstraint(
            f"failure_code IS NULL OR {_in('failure_code', tuple(states.CODES))}",
            name="failure_code",
        ),
        CheckConstraint(
            f"finished = ({_in('state', tuple(sorted(states.FINISHED)))})", name="finished"
        ),
        # Newest first, the default order of the list and of its keyset pages.
        Index("ix_payments_created", "created_at", "id"),
        Index("ix_payments_citizen_created", "citizen_id", "created_at", "id"),
        Index("ix_payments_service_created", "service_code", "created_at", "id"),
        Index("ix_payments_department_created", "department_code", "created_at", "id"),
        Index("ix_payments_service_reference", "service_reference"),
        # The expiry job's look-up: only payments still open.
        Index(
            "ix_payments_open_expiry",
            "expires_at",
            postgresql_where="NOT finished",
            sqlite_where=db.text("NOT finished"),
        ),
    )


class PaymentEvent(db.Model):  # type: ignore[name-defined,misc]
    """One move of a payment (or a refund of it): from which state to which, who, when."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    payment_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("payments.id"))
    # None for the event that created the payment.
    from_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_state: Mapped[str] = mapped_column(String(20))
    code: Mapped[str | None] = mapped_column(String(5), nullable=True)
    # "client:<id>", "user:<id>", "provider:sandbox", "system:expiry"
    actor: Mapped[str] = mapped_column(String(80))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    # The provider's time when it gave one, else ours.
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_payment_events_payment", "payment_id", "id"),)


class Refund(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "refunds"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    payment_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("payments.id"))
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(12), default=states.REFUND_SUBMITTED)
    provider_reference: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_minor"),
        CheckConstraint(_in("state", states.REFUND_STATES), name="state"),
        Index("ix_refunds_payment", "payment_id", "created_at"),
    )
