"""The stored result of reconciling one provider's settlement report for one day.

One run per (business day, provider): reconciling a day again replaces its run and items in one
transaction, so the stored result is always that of the latest run, whole.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
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
from cgcrm.payments.models import BigId

# A run's outcome: everything agreed, differences were found, or the provider's report could
# not be read (then only the day's unresolved payments are listed).
AGREED = "agreed"
DIFFERENCES = "differences"
REPORT_UNAVAILABLE = "report_unavailable"


class ReconciliationRun(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "reconciliation_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    business_date: Mapped[date] = mapped_column(Date)
    provider: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    matched: Mapped[int] = mapped_column(Integer, default=0)
    ledger_count: Mapped[int] = mapped_column(Integer, default=0)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    # Per currency, in minor units (refunds negative): {"GBP": 12500}.
    ledger_totals: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    report_totals: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    difference_count: Mapped[int] = mapped_column(Integer, default=0)
    # Why the report was unavailable, when it was.
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    run_by: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("business_date", "provider", name="uq_reconciliation_runs_day"),
    )


class ReconciliationItem(db.Model):  # type: ignore[name-defined,misc]
    """One difference of a run (``reconciliation_match.Difference``, stored)."""

    __tablename__ = "reconciliation_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("reconciliation_runs.id", ondelete="CASCADE")
    )
    business_date: Mapped[date] = mapped_column(Date)
    provider: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    entry_kind: Mapped[str] = mapped_column(String(10))
    provider_reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Not foreign keys: an item may name what the provider reported and we never had.
    payment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    refund_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    payment_reference: Mapped[str | None] = mapped_column(String(20), nullable=True)
    department_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    service_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    ledger_amount_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    report_amount_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    our_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    report_state: Mapped[str | None] = mapped_column(String(40), nullable=True)
    detail: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_reconciliation_items_run", "run_id", "id"),
        Index("ix_reconciliation_items_day", "business_date", "provider"),
        Index("ix_reconciliation_items_payment", "payment_id"),
    )
