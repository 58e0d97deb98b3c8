"""Tables of identity resolution: trained match models, review items, merges, duplicate scans."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.types import JSONDocument, UTCDateTime
from cgcrm.extensions import db

BANDS = ("match", "possible", "non_match")
PAIR_STATUSES = ("open", "dismissed", "merged")
PAIR_SOURCES = ("create", "import", "scan")
SCAN_STATUSES = ("queued", "running", "completed", "failed")


class MatchModel(db.Model):  # type: ignore[name-defined,misc]
    """One trained set of Fellegi-Sunter parameters; the newest ``active`` one scores.

    ``parameters`` holds, per compared field, the m and u probability of each comparison level
    and the term frequencies used to adjust agreement weights; it is versioned so a score can
    always be traced to the model that gave it.
    """

    __tablename__ = "match_models"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    match_threshold: Mapped[float] = mapped_column(Float)
    possible_threshold: Mapped[float] = mapped_column(Float)
    # How it was trained: records and pairs sampled, EM iterations, convergence.
    training: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    trained_by: Mapped[str] = mapped_column(String(80))

    __table_args__ = (
        CheckConstraint("status IN ('active', 'retired')", name="status"),
        CheckConstraint(
            "possible_threshold >= 0 AND possible_threshold <= match_threshold "
            "AND match_threshold <= 1",
            name="thresholds",
        ),
    )


class DuplicatePair(db.Model):  # type: ignore[name-defined,misc]
    """A review item: two records that may be one person. Each pair is filed once, with the
    lower id first, whichever path (create, import, scan) found it."""

    __tablename__ = "duplicate_pairs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("citizens.id"))
    other_citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("citizens.id"))
    score: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(10))
    explanation: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    model_version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # The merge that settled it (merges.pair_id points back; no second foreign key, so the
    # two tables need no creation order).
    merge_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        UniqueConstraint("citizen_id", "other_citizen_id"),
        CheckConstraint("citizen_id < other_citizen_id", name="ordered"),
        CheckConstraint("band IN ('match', 'possible')", name="band"),
        CheckConstraint("status IN ('open', 'dismissed', 'merged')", name="status"),
        CheckConstraint("source IN ('create', 'import', 'scan')", name="source"),
        CheckConstraint("score >= 0 AND score <= 1", name="score"),
        # The review queue: open pairs, best first, in keyset pages.
        Index("ix_duplicate_pairs_queue", "status", "score", "id"),
        Index("ix_duplicate_pairs_other", "other_citizen_id"),
    )


class Merge(db.Model):  # type: ignore[name-defined,misc]
    """One merge of ``duplicate_id`` into ``survivor_id``, with what undo needs to put both
    records back exactly: their rows before the merge (``snapshot``), the child rows moved or
    dropped (``moved``), and both versions right after it (undo refuses if either changed)."""

    __tablename__ = "merges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    survivor_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("citizens.id"))
    duplicate_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("citizens.id"))
    pair_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("duplicate_pairs.id"), nullable=True
    )
    fields: Mapped[dict[str, str]] = mapped_column(JSONDocument, default=dict)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    moved: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    survivor_version: Mapped[int] = mapped_column(Integer)
    duplicate_version: Mapped[int] = mapped_column(Integer)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    merged_by: Mapped[str] = mapped_column(String(80))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    undone_by: Mapped[str | None] = mapped_column(String(80), nullable=True)

    __table_args__ = (
        CheckConstraint("survivor_id <> duplicate_id", name="distinct_records"),
        Index("ix_merges_survivor", "survivor_id"),
        Index("ix_merges_duplicate", "duplicate_id"),
    )


class DuplicateScan(db.Model):  # type: ignore[name-defined,misc]
    """One run of the duplicate scan over the whole population, with its progress."""

    __tablename__ = "duplicate_scans"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    requested_by: Mapped[str] = mapped_column(String(80))
    model_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    records_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    records_done: Mapped[int] = mapped_column(Integer, default=0)
    pairs_compared: Mapped[int] = mapped_column(Integer, default=0)
    pairs_filed: Mapped[int] = mapped_column(Integer, default=0)
    # Where a resumed scan picks up: the last citizen id whose block is done.
    resume_after: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'completed', 'failed')", name="status"),
    )
