"""The payments journal: one entry per captured payment and per successful refund.

Each entry names its service, department, channel, provider and business day (the local day,
in TIME_ZONE, on which the money moved), so finance sums it per service, channel and day and
the reconciliation matches it against the provider's settlement report. Refunds are negative.
Posting is idempotent: a payment has at most one payment entry and a refund one refund entry
(two partial unique indexes; the INSERT skips an entry that exists), so a replayed
notification never posts twice.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    TextualSelect,
    Uuid,
    bindparam,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.clock import utcnow
from cgcrm.core.types import UTCDateTime
from cgcrm.extensions import db
from cgcrm.payments.models import BigId, Payment, Refund

PAYMENT = "payment"
REFUND = "refund"
_KIND_LITERALS = {PAYMENT: "'payment'", REFUND: "'refund'"}


class JournalEntry(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    business_date: Mapped[date] = mapped_column(Date)
    service_code: Mapped[str] = mapped_column(String(40))
    department_code: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))
    payment_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("payments.id"))
    refund_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("refunds.id"), nullable=True
    )
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    provider_reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("kind IN ('payment', 'refund')", name="kind"),
        CheckConstraint(
            "(kind = 'payment' AND refund_id IS NULL AND amount_minor > 0) OR "
            "(kind = 'refund' AND refund_id IS NOT NULL AND amount_minor < 0)",
            name="sign",
        ),
        # (payment_id, refund_id, kind) unique even where refund_id is NULL: one index per kind.
        Index(
            "uq_journal_entries_payment",
            "payment_id",
            unique=True,
            postgresql_where="kind = 'payment'",
            sqlite_where=db.text("kind = 'payment'"),
        ),
        Index(
            "uq_journal_entries_refund",
            "refund_id",
            unique=True,
            postgresql_where="kind = 'refund'",
            sqlite_where=db.text("kind = 'refund'"),
        ),
        Index("ix_journal_entries_day", "business_date", "service_code", "channel"),
    )


def business_date(moment: datetime) -> date:
    """The local day (TIME_ZONE) of ``moment``: the day finance books it on."""
    return moment.astimezone(ZoneInfo(current_app.config["TIME_ZONE"])).date()


def _post(payment: Payment, kind: str, amount: int, moment: datetime, **extra: object) -> bool:
    row = entry_row(payment, kind, amount, moment, **extra)
    return db.session.execute(_post_statement(kind), row).scalar() is not None


def entry_row(
    payment: Payment, kind: str, amount: int, moment: datetime, **extra: object
) -> dict[str, object]:
    """The journal row of an entry (``ENTRY_COLUMNS``, and ``refund_id`` for a refund)."""
    return {
        "business_date": business_date(moment),
        "service_code": payment.service_code,
        "department_code": payment.department_code,
        "channel": payment.channel,
        "provider": payment.provider,
        "kind": kind,
        "payment_id": payment.id,
        "amount_minor": amount,
        "currency": payment.currency,
        "provider_reference": payment.provider_reference,
        "posted_at": utcnow(),
        **extra,
    }


@cache
def _post_statement(kind: str) -> TextualSelect:
    """The INSERT of one entry of ``kind``, as text built once: SQLAlchemy cannot cache the
    compiled form of an INSERT with ON CONFLICT … WHERE, so a construct would be compiled on
    every posting (the same SQL for PostgreSQL and SQLite).

    ON CONFLICT names the partial unique index of this kind, so a second posting is a no-op.
    Its predicate is a literal: with a bound parameter PostgreSQL cannot match the index once
    it plans the (psycopg-prepared) statement generically, after a few runs on a connection.
    """
    table = JournalEntry.__table__
    key = "payment_id" if kind == PAYMENT else "refund_id"
    columns = ENTRY_COLUMNS + (("refund_id",) if kind == REFUND else ())
    return (
        text(
            f"INSERT INTO {table.name} ({', '.join(columns)})"
            f" VALUES ({', '.join(':' + name for name in columns)})"
            f" ON CONFLICT ({key}) WHERE kind = {_KIND_LITERALS[kind]} DO NOTHING"
            " RETURNING id"
        )
        .bindparams(*(bindparam(name, type_=table.c[name].type) for name in columns))
        .columns(table.c.id)
    )


ENTRY_COLUMNS = (
    "business_date",
    "service_code",
    "department_code",
    "channel",
    "provider",
    "kind",
    "payment_id",
    "amount_minor",
    "currency",
    "provider_reference",
    "posted_at",
)


def post_payment_captured(payment: Payment) -> bool:
    """Post a captured payment's entry in the current transaction (the caller commits).

    :returns: whether an entry was written (False: it was posted before).
    """
    return _post(payment, PAYMENT, payment.amount_minor, captured_moment(payment))


def captured_moment(payment: Payment) -> datetime:
    """When the money of a payment moved: the day its entry is booked on."""
    return payment.captured_at or payment.finished_at or utcnow()


def post_refund_succeeded(refund: Refund) -> bool:
    """Post a successful refund's entry (negative) in the current transaction.

    :returns: whether an entry was written (False: it was posted before).
    """
    payment = db.session.execute(
        select(Payment).where(Payment.id == refund.payment_id)
    ).scalar_one()
    return _post(
        payment,
        REFUND,
        -refund.amount_minor,
        refund.finished_at or utcnow(),
        refund_id=refund.id,
        provider_reference=refund.provider_reference,
    )
