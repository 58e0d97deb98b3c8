"""Case tables: the case, its transitions (the workflow history) and its notes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cgcrm.cases.sla import sla_state
from cgcrm.cases.workflow import OPEN_STATUSES, PRIORITIES, STATUSES
from cgcrm.catalog.models import Department, Service
from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.types import UTCDateTime
from cgcrm.extensions import db

__all__ = ["OPEN_STATUSES", "PRIORITIES", "STATUSES", "Case", "CaseNote", "CaseTransition"]


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Case(db.Model):  # type: ignore[name-defined,misc]
    """A service request of one department, with its workflow status and SLA clock."""

    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(11), unique=True)
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("services.id"))
    # The service's department when the case was opened: scoping protects what it holds.
    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("departments.id"))
    citizen_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("citizens.id"), nullable=True
    )
    summary: Mapped[str] = mapped_column(String(500))
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    status: Mapped[str] = mapped_column(String(20), default="new")
    assigned_team: Mapped[str | None] = mapped_column(String(60), nullable=True)
    assigned_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("staff_users.id"), nullable=True
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(80))  # "user:<uuid>" or "client:<client_id>"
    # The opener's department keeps sight of the case even when it is another department's
    # (a contact centre opening a rates case). None: opened by a principal of no department.
    opened_by_department_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("departments.id"), nullable=True
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The SLA clock: paused while awaiting the citizen; due_at moves when a pause ends.
    sla_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sla_paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    sla_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Joined so responses name the service and department by code; the catalog rows are few.
    service: Mapped[Service] = relationship(lazy="joined", innerjoin=True)
    department: Mapped[Department] = relationship(
        lazy="joined", innerjoin=True, foreign_keys=[department_id]
    )

    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("priority", PRIORITIES), name="priority"),
        CheckConstraint("sla_paused_seconds >= 0", name="sla_paused_seconds"),
        Index("ix_cases_citizen_id", "citizen_id"),
        Index("ix_cases_department_id", "department_id", "id"),
        Index("ix_cases_assigned_user_id", "assigned_user_id"),
        Index("ix_cases_opened_by_department_id", "opened_by_department_id", "id"),
        # The breach check scans only open cases not yet flagged, in due order.
        Index(
            "ix_cases_unflagged_due",
            "due_at",
            postgresql_where=db.text(f"sla_breached_at IS NULL AND {_in('status', OPEN_STATUSES)}"),
            sqlite_where=db.text(f"sla_breached_at IS NULL AND {_in('status', OPEN_STATUSES)}"),
        ),
    )

    @property
    def service_code(self) -> str:
        return self.service.code

    @property
    def department_code(self) -> str:
        return self.department.code

    @property
    def sla(self) -> dict[str, Any]:
        return sla_state(self, utcnow())


class CaseTransition(db.Model):  # type: ignore[name-defined,misc]
    """One status change: from, to, when, by whom, from which department, why. Append-only."""

    __tablename__ = "case_transitions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"))
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)  # None: opened
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[str] = mapped_column(String(80))
    department_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    request_id: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_case_transitions_case_id", "case_id", "id"),)


class CaseNote(db.Model):  # type: ignore[name-defined,misc]
    """A note on a case by a principal of some department. Append-only."""

    __tablename__ = "case_notes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(80))
    author_department_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    request_id: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_case_notes_case_id", "case_id", "id"),)
