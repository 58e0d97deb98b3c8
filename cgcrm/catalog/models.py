"""Catalog tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.types import UTCDateTime
from cgcrm.extensions import db

CHANNEL_KINDS = ("digital", "assisted")


# A fifth of eligible contacts, unless the service says otherwise (migration 0013's default).
DEFAULT_SURVEY_SAMPLING_RATE = 0.2


class Department(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "departments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Channel(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "channels"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))

    __table_args__ = (CheckConstraint("kind IN ('digital', 'assisted')", name="kind"),)


class Service(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "services"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("departments.id"))
    sla_target_days: Mapped[int] = mapped_column(Integer)
    fee_minor: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="AUD")
    # Share of eligible contacts whose citizen is invited to a satisfaction survey (0 to 1).
    survey_sampling_rate: Mapped[float] = mapped_column(
        Float, default=DEFAULT_SURVEY_SAMPLING_RATE, server_default=text("0.2")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department] = relationship(lazy="joined")
    unit_costs: Mapped[list[ServiceChannelCost]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ServiceChannelCost.channel_code"
    )

    __table_args__ = (
        CheckConstraint("sla_target_days >= 0", name="sla_target_days"),
        CheckConstraint("fee_minor >= 0", name="fee_minor"),
        CheckConstraint(
            "survey_sampling_rate >= 0 AND survey_sampling_rate <= 1", name="survey_sampling_rate"
        ),
    )

    @property
    def department_code(self) -> str:
        return self.department.code

    @property
    def unit_costs_minor(self) -> dict[str, int]:
        return {cost.channel_code: cost.unit_cost_minor for cost in self.unit_costs}


class ServiceChannelCost(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "service_channel_costs"

    service_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    channel_code: Mapped[str] = mapped_column(
        String(20), ForeignKey("channels.code"), primary_key=True
    )
    unit_cost_minor: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("unit_cost_minor >= 0", name="unit_cost_minor"),)


class IdentifierSystem(db.Model):  # type: ignore[name-defined,misc]
    """An external identifier system (``RATES_ACCOUNT``) and the department that issues it.

    Only the owning department (or a holder of ``identifiers:read``) is shown a citizen's
    identifiers of this system in full; others see them masked. Ownership never changes once
    declared (it is cached per process, like a service's department).
    """

    __tablename__ = "identifier_systems"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("departments.id"))
