"""Daily rollups of the touchpoint log, the raw material of the KPIs of DESIGN §6."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.types import UTCDateTime
from cgcrm.extensions import db

# Stands for "no service" in the bucket key: NULLs never conflict in a unique key, so an
# ON CONFLICT upsert keyed on a nullable service_id would insert a new row every time.
NO_SERVICE = uuid.UUID(int=0)


def _counter() -> Mapped[int]:
    return mapped_column(Integer, default=0, server_default=text("0"))


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
    # Inbound contacts by an identified citizen, and those that follow an earlier inbound
    # contact by the same citizen about the same service within 7 days (avoidable contact).
    inbound_identified: Mapped[int] = _counter()
    avoidable: Mapped[int] = _counter()
    # Inbound identified contacts resolved or completed, and those followed by another
    # inbound contact of the citizen about the same service within 7 days (not resolved
    # first time).
    fcr_eligible: Mapped[int] = _counter()
    fcr_repeated: Mapped[int] = _counter()
    # Satisfaction responses about the bucket's contacts, by CSAT score.
    csat_1: Mapped[int] = _counter()
    csat_2: Mapped[int] = _counter()
    csat_3: Mapped[int] = _counter()
    csat_4: Mapped[int] = _counter()
    csat_5: Mapped[int] = _counter()
    nps_responses: Mapped[int] = _counter()
    nps_promoters: Mapped[int] = _counter()  # 9 or 10
    nps_detractors: Mapped[int] = _counter()  # 0 to 6
    effort_responses: Mapped[int] = _counter()
    effort_total: Mapped[int] = _counter()  # sum of the 1 to 7 scores
    # Survey invitations about the bucket's contacts, and the responses given to them.
    invitations_sent: Mapped[int] = _counter()
    invited_responses: Mapped[int] = _counter()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseDailyRollup(db.Model):  # type: ignore[name-defined,misc]
    """Cases resolved on one day (in TIME_ZONE) by department and service, and how many of
    them within their SLA (the numerator and denominator of SLA attainment)."""

    __tablename__ = "case_daily_rollups"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    department_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("departments.id"), primary_key=True
    )
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("services.id"), primary_key=True)
    resolved: Mapped[int] = _counter()
    resolved_within_sla: Mapped[int] = _counter()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseResolution(db.Model):  # type: ignore[name-defined,misc]
    """Where a resolved case is counted in ``case_daily_rollups``; a reopened case is removed,
    so its next resolution moves it instead of counting it twice."""

    __tablename__ = "case_resolutions"

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    department_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    within_sla: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (Index("ix_case_resolutions_day", "day"),)
