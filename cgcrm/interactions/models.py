"""The interactions table: one row per contact, append-only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

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


class _ContactColumns(Protocol):
    service_id: uuid.UUID | None
    department_id: uuid.UUID
    started_at: datetime
    ended_at: datetime | None


class ContactFacts:
    """What a contact's response shows beyond its columns: the service and department codes
    (from the per-process catalog cache) and the handling time."""

    __slots__ = ()

    @property
    def service_code(self: _ContactColumns) -> str | None:
        if self.service_id is None:
            return None
        service = catalog_codes.service_by_id(self.service_id)
        return service.code if service is not None else None

    @property
    def department_code(self: _ContactColumns) -> str | None:
        department = catalog_codes.department_by_id(self.department_id)
        return department.code if department is not None else None

    @property
    def handling_seconds(self: _ContactColumns) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds())


class Interaction(ContactFacts, db.Model):  # type: ignore[name-defined,misc]
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
    # The client's reference of one transaction of one service: a completion with the ref of
    # an earlier start completes that transaction (see cgcrm.metrics).
    transaction_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
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
        # Covers the 360 view (latest contacts in order, counts per channel and department) and
        # the rollups' follow-up look-ups (cgcrm/metrics/rollups/incremental_sql.py).
        Index(
            "ix_interactions_citizen_history",
            "citizen_id",
            "started_at",
            "id",
            postgresql_include=[
                "channel_code",
                "department_id",
                "direction",
                "service_id",
                "outcome",
                "ended_at",
            ],
        ),
        Index("ix_interactions_department_started", "department_id", "started_at"),
        Index("ix_interactions_service_started", "service_id", "started_at"),
        Index(
            "ix_interactions_transaction",
            "service_id",
            "transaction_ref",
            postgresql_where="transaction_ref IS NOT NULL",
            sqlite_where=db.text("transaction_ref IS NOT NULL"),
        ),
        Index(
            "ix_interactions_case_id",
            "case_id",
            postgresql_where="case_id IS NOT NULL",
            sqlite_where=db.text("case_id IS NOT NULL"),
        ),
    )


@dataclass(slots=True)
class RecordedInteraction(ContactFacts):
    """A contact just written: the row's values, without an ORM object.

    Recording a contact loads nothing and tracks nothing, and constructing an ORM instance
    (state, instrumented attributes, events) cost about 7 % of the busiest request's CPU.
    The fields are the table's columns (a test keeps them in step); the codes and handling
    time come from ``ContactFacts``, as on the model.
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
    transaction_ref: str | None
    started_at: datetime
    ended_at: datetime | None
    summary: str | None
    recorded_by: str
    recorded_at: datetime
    request_id: str
