"""The transactional outbox: domain events written in the same transaction as the change."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Dialect,
    Index,
    Insert,
    Integer,
    String,
    Uuid,
    bindparam,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.clock import utcnow
from cgcrm.core.driver import execute_compiled
from cgcrm.core.ids import new_id
from cgcrm.core.types import JSONDocument, UTCDateTime
from cgcrm.extensions import db


class OutboxEvent(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "outbox_events"

    # Integer sequence gives the relay a total order to publish in.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_id)
    type: Mapped[str] = mapped_column(String(80))
    aggregate_type: Mapped[str] = mapped_column(String(40))
    aggregate_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Times the relay has published it; bounds redelivery of events whose job was lost.
    deliveries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index(
            "ix_outbox_events_unpublished",
            "seq",
            postgresql_where="published_at IS NULL",
            sqlite_where=db.text("published_at IS NULL"),
        ),
        # Whether a row's event is still pending for a handler (the metrics rollups count a
        # contact once its event is processed): looked up by the row's id.
        Index("ix_outbox_events_aggregate", "aggregate_id"),
    )


def add_event(
    event_type: str, aggregate_type: str, aggregate_id: uuid.UUID, payload: dict[str, Any]
) -> uuid.UUID:
    """Write a domain event in the current transaction; it commits with the change it describes.

    A plain INSERT, not a unit-of-work object: every write of the system emits one, and the
    event is never read back by the request that wrote it. ``seq`` follows the order of calls.
    Payloads carry ids and changed field names, never personal data: events travel to queues and
    departments' webhooks.

    :returns: the event's id.
    """
    event_id = new_id()
    db.session.execute(
        insert(OutboxEvent.__table__),
        {
            "event_id": event_id,
            "type": event_type,
            "aggregate_type": aggregate_type,
            "aggregate_id": aggregate_id,
            "payload": payload,
            "occurred_at": utcnow(),
        },
    )
    return event_id


@cache
def _with_event(statement: Insert) -> Insert:
    """``statement`` and the INSERT of its event as one statement (a data-modifying CTE)."""
    written = statement.cte("written")
    table = OutboxEvent.__table__
    values = select(
        bindparam("outbox_event_id", type_=table.c.event_id.type),
        bindparam("outbox_type", type_=table.c.type.type),
        bindparam("outbox_aggregate_type", type_=table.c.aggregate_type.type),
        *written.c,
        bindparam("outbox_payload", type_=table.c.payload.type),
        bindparam("outbox_occurred_at", type_=table.c.occurred_at.type),
    )
    columns = ["event_id", "type", "aggregate_type", "aggregate_id", "payload", "occurred_at"]
    # No RETURNING: the row count says whether anything was written, and a result without
    # rows spares building result metadata on every call.
    return insert(table).from_select(columns, values, include_defaults=False)


@cache
def _with_event_sql(statement: Insert, dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """The SQL of ``_with_event(statement)`` and the values of the literals bound in it."""
    compiled = _with_event(statement).compile(dialect=dialect)
    return compiled.string, dict(compiled.params)


def insert_with_event(
    statement: Insert,
    row: dict[str, Any],
    event_type: str,
    aggregate_type: str,
    payload: dict[str, Any],
    *,
    whole_transaction: bool = False,
) -> bool:
    """Run ``statement``, an INSERT RETURNING one new row's id, and write that row's event.

    The event is written only when the INSERT wrote its row (a guarded INSERT may write none).
    This is the busiest write of the system (every contact on every channel), so on PostgreSQL:

    - both INSERTs are one statement, one round trip instead of two;
    - with ``whole_transaction`` (the caller writes nothing else) and a session that has not
      begun, the statement runs alone on an autocommit connection, outside the ORM session:
      that spares the BEGIN and COMMIT round trips and the session's bookkeeping, and a single
      statement is atomic, so the row and its event still commit together or not at all.
      Otherwise it runs in the session's transaction, which the caller commits;
    - the SQL is compiled once and the values go to the driver as they are: ``row`` must hold
      values psycopg adapts itself (str, numbers, UUIDs, aware datetimes, None).

    SQLite, which has no data-modifying CTEs, runs two INSERTs in the session's transaction.

    :returns: whether ``statement`` wrote its row (and so the event).
    """
    engine = db.engine
    if engine.dialect.name != "postgresql":
        written = db.session.execute(statement, row).scalar()
        if written is not None:
            add_event(event_type, aggregate_type, written, payload)
        return written is not None
    sql, literals = _with_event_sql(statement, engine.dialect)
    params = literals | row
    params.update(
        outbox_event_id=new_id(),
        outbox_type=event_type,
        outbox_aggregate_type=aggregate_type,
        outbox_payload=json.dumps(payload),
        outbox_occurred_at=utcnow(),
    )
    if whole_transaction and not (db.session.registry.has() and db.session().in_transaction()):
        with engine.connect() as connection:
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            return autocommit.exec_driver_sql(sql, params).rowcount == 1
    # In the session's transaction: through the driver, as ``exec_driver_sql`` would send it.
    return execute_compiled(_with_event(statement), params, processed=False).rowcount == 1
