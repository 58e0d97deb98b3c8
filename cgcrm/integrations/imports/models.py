"""Tables of bulk import: the stored file with its progress, and one outcome per row."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.types import JSONDocument, UTCDateTime
from cgcrm.extensions import db

FORMATS = ("csv", "ndjson")
IMPORT_STATUSES = ("queued", "running", "completed", "failed")
ROW_OUTCOMES = ("created", "linked", "review", "rejected")


class CitizenImport(db.Model):  # type: ignore[name-defined,misc]
    """A department's file of citizen records and how far its job has got."""

    __tablename__ = "citizen_imports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("departments.id"))
    requested_by: Mapped[str] = mapped_column(String(80))
    format: Mapped[str] = mapped_column(String(10))
    # CSV column -> field of a citizen body (dotted for nested parts); None for NDJSON.
    mapping: Mapped[dict[str, str] | None] = mapped_column(JSONDocument, nullable=True)
    file_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    rows_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    linked: Mapped[int] = mapped_column(Integer, default=0)
    review: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("format IN ('csv', 'ndjson')", name="format"),
        CheckConstraint("status IN ('queued', 'running', 'completed', 'failed')", name="status"),
        Index("ix_citizen_imports_department_created", "department_id", "created_at"),
    )


class ImportRow(db.Model):  # type: ignore[name-defined,misc]
    """What became of one row of an import. Written in the same transaction as its effect, so a
    job killed mid-file resumes after the last row with an outcome and duplicates nothing."""

    __tablename__ = "import_rows"

    import_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("citizen_imports.id", ondelete="CASCADE"), primary_key=True
    )
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(10))
    citizen_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("citizens.id"), nullable=True
    )
    pair_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("duplicate_pairs.id"), nullable=True
    )
    # Rejected rows: {field: [messages]}.
    reasons: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    # A keyed hash of the department and the row's body: a later import of the same row by the
    # same department is recognised and linked to the record this one made, whatever the score.
    row_key: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (
        CheckConstraint("outcome IN ('created', 'linked', 'review', 'rejected')", name="outcome"),
        Index("ix_import_rows_row_key", "row_key"),
    )
