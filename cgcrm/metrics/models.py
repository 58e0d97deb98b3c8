"""Daily rollups of the touchpoint log, the raw material of the KPIs of DESIGN §6."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.types import UTCDateTime
from cgcrm.extensions import db

# Stands for "no service" in the bucket key: NULLs never conflict in a unique key, so an
# ON CONFLICT upsert keyed on a nullable service_id would insert a new row every time.
NO_SERVICE = uuid.UUID(int=0)


class InteractionDailyRollup(db.Model):  # type: ignore[name-defined,misc]
    """Counts of one day (in TIME_ZONE) by department, channel and service (or none)."""

    __tablename__ = "interaction_daily_rollups"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    department_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("departments.id"), primary_key=True
    )
    channel_code: Mapped[str] = mapped_column(
        String(20), ForeignKey("channels.code"), primary_key=True
    )
    # service_id, or NO_SERVICE for contacts about no particular service.
    service_key: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    service_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("services.id"), nullable=True
    )
    interactions: Mapped[int] = mapped_column(Integer, default=0)
    transactions_started: Mapped[int] = mapped_column(Integer, default=0)
    transactions_completed: Mapped[int] = mapped_column(Integer, default=0)
    # Outcome resolved or completed (first-contact resolution's numerator).
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    # Sum of ended_at - started_at over the contacts that have an end (``handled`` of them).
    handling_seconds: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), default=0
    )
    handled: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
