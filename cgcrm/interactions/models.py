"""The interactions table: one row per contact, append-only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.catalog.codes import catalog_codes
from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.types import UTCDateTime
from cgcrm.extensions import db

DIRECTIONS = ("inbound", "outbound")
OUTCOMES = ("completed", "resolved", "referred", "abandoned", "follow_up")
TRANSACTION_STAGES = ("started", "completed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Interaction(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "interactions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # Anonymous contacts (no citizen) still count in the measures.
    citizen_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("citizens.id"), nullable=True
    )
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("cases.id"), nullable=True)
    channel_code: Mapped[str] = mapped_column(String(20), ForeignKey("channels.code"))
    service_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("services.id"), nullable=True
    )
    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("departments.id"))
    direction: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(String(12))
    transaction_stage: Mapped[str | None] = mapped_column(String(10), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    summary: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # "user:<uuid>" or "client:<client_id>": who recorded the contact.
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    request_id: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        CheckConstraint(_in("direction", DIRECTIONS), name="direction"),
        CheckConstraint(_in("outcome", OUTCOMES), name="outcome"),
        CheckConstraint(
            f"transaction_stage IS NULL OR {_in('transaction_stage', TRANSACTION_STAGES)}",
            name="transaction_stage",
        ),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ended_after_started"),
        # Covers the 360 view: latest contacts in order, counts per channel and department.
        Index(
            "ix_interactions_citizen_history",
            "citizen_id",
            "started_at",
            "id",
            postgresql_include=["channel_code", "department_id"],
        ),
        Index("ix_interactions_department_started", "department_id", "started_at"),
        Index("ix_interactions_service_started", "service_id", "started_at"),
        Index(
            "ix_interactions_case_id",
            "case_id",
            postgresql_where="case_id IS NOT NULL",
            sqlite_where=db.text("case_id IS NOT NULL"),
        ),
    )

    @property
    def service_code(self) -> str | None:
        return service_code_of(self.service_id)

    @property
    def department_code(self) -> str | None:
        return department_code_of(self.department_id)

    @property
    def handling_seconds(self) -> int | None:
        return handling_seconds_of(self.started_at, self.ended_at)


@dataclass(slots=True)
class RecordedInteraction:
    """A contact just written: the row's values, without an ORM object.

    Recording a contact loads nothing and tracks nothing, and constructing an ORM instance
    (state, instrumented attributes, events) cost about 7 % of the busiest request's CPU.
    The fields are the table's columns (a test keeps them in step).
    """

    id: uuid.UUID
    citizen_id: uuid.UUID | None
    case_id: uuid.UUID | None
    channel_code: str
    service_id: uuid.UUID | None
    department_id: uuid.UUID
    direction: str
    outcome: str
    transaction_stage: str | None
    started_at: datetime
    ended_at: datetime | None
    summary: str | None
    recorded_by: str
    recorded_at: datetime
    request_id: str

    @property
    def service_code(self) -> str | None:
        return service_code_of(self.service_id)

    @property
    def department_code(self) -> str | None:
        return department_code_of(self.department_id)

    @property
    def handling_seconds(self) -> int | None:
        return handling_seconds_of(self.started_at, self.ended_at)


def service_code_of(service_id: uuid.UUID | None) -> str | None:
    service = catalog_codes.service_by_id(service_id) if service_id is not None else None
    return service.code if service is not None else None


def department_code_of(department_id: uuid.UUID) -> str | None:
    department = catalog_codes.department_by_id(department_id)
    return department.code if department is not None else None


def handling_seconds_of(started_at: datetime, ended_at: datetime | None) -> int | None:
    if ended_at is None:
        return None
    return int((ended_at - started_at).total_seconds())
