"""Daily interaction rollups: incremental from ``interaction.recorded``, recomputable from raw.

A rollup counts exactly the interactions whose ``interaction.recorded`` event the metrics handler
has processed (or whose event is gone), so a rebuild and the incremental handler never count one
contact twice: a rebuild leaves out contacts whose event is still pending, and the handler adds
them when it runs.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, exists, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from cgcrm.core.clock import utcnow
from cgcrm.core.errors import ValidationError
from cgcrm.core.outbox import OutboxEvent
from cgcrm.core.time_bounds import EARLIEST_DATE, date_problem, span_problem
from cgcrm.extensions import db
from cgcrm.interactions.models import Interaction
from cgcrm.metrics.models import NO_SERVICE, InteractionDailyRollup
from cgcrm.worker.models import ProcessedEvent

log = logging.getLogger(__name__)

# The handler's name in processed_events; renaming it would make every event look new.
ROLLUP_HANDLER = "metrics.interaction_daily_rollups"
RECORDED_EVENT = "interaction.recorded"
COUNTERS = (
    "interactions",
    "transactions_started",
    "transactions_completed",
    "resolved",
    "handling_seconds",
    "handled",
)
RESOLVED_OUTCOMES = frozenset({"resolved", "completed"})
BucketKey = tuple[date, uuid.UUID, str, uuid.UUID | None]
_COLUMNS = (
    Interaction.id,
    Interaction.department_id,
    Interaction.channel_code,
    Interaction.service_id,
    Interaction.outcome,
    Interaction.transaction_stage,
    Interaction.started_at,
    Interaction.ended_at,
)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIME_ZONE"])


def _bucket(row: Any, zone: ZoneInfo) -> BucketKey:
    day = row.started_at.astimezone(zone).date()
    return (day, row.department_id, row.channel_code, row.service_id)


class ImplausibleContact(ValueError):
    """A stored contact whose times no real contact has (written before input was bounded, or
    by hand): counting it would corrupt every average it joins, and retrying cannot help."""


def _implausible(row: Any) -> str | None:
    if row.ended_at is None:
        return None
    problem = span_problem(row.started_at, row.ended_at)
    return f"interaction {row.id}: ended_at {problem}" if problem else None


def _counts(row: Any) -> dict[str, int]:
    handled = row.ended_at is not None
    return {
        "interactions": 1,
        "transactions_started": int(row.transaction_stage == "started"),
        "transactions_completed": int(row.transaction_stage == "completed"),
        "resolved": int(row.outcome in RESOLVED_OUTCOMES),
        "handling_seconds": int((row.ended_at - row.started_at).total_seconds()) if handled else 0,
        "handled": int(handled),
    }


def _row(key: BucketKey, counts: dict[str, int], now: datetime) -> dict[str, Any]:
    day, department_id, channel_code, service_id = key
    return {
        "day": day,
        "department_id": department_id,
        "channel_code": channel_code,
        "service_key": service_id or NO_SERVICE,
        "service_id": service_id,
        "updated_at": now,
        **counts,
    }


def _add_to_bucket(row: dict[str, Any]) -> None:
    """INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x (PostgreSQL, SQLite ≥ 3.24)."""
    table = InteractionDailyRollup.__table__
    dialect = db.session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    statement = statement.values(row)
    additions: dict[str, Any] = {
        name: table.c[name] + statement.excluded[name] for name in COUNTERS
    }
    additions["updated_at"] = statement.excluded.updated_at
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["day", "department_id", "channel_code", "service_key"],
            set_=additions,
        )
    )


def count_recorded_interaction(event: OutboxEvent) -> None:
    """Event handler of ``interaction.recorded``: add the contact to its day's bucket.

    Runs inside the caller's transaction (the one holding the event's processed marker) and
    does not commit.

    :param event: the outbox event; its payload carries ``interaction_id``.
    :raises KeyError, ValueError: the payload has no valid ``interaction_id``.
    :raises ImplausibleContact: the stored contact's times are absurd (the worker parks it).
    """
    interaction_id = uuid.UUID(str(event.payload["interaction_id"]))
    row = db.session.execute(select(*_COLUMNS).where(Interaction.id == interaction_id)).first()
    if row is None:
        # Interactions are append-only; a missing one was erased, so there is nothing to count.
        log.warning("event %s: interaction %s no longer exists", event.event_id, interaction_id)
        return
    problem = _implausible(row)
    if problem:
        raise ImplausibleContact(problem)
    _add_to_bucket(_row(_bucket(row, _zone()), _counts(row), utcnow()))


def _as_date(value: date | str, field: str) -> date:
    try:
        day = value if isinstance(value, date) else date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"{field} must be an ISO date", errors={field: ["not a date"]}
        ) from exc
    problem = date_problem(day, earliest=EARLIEST_DATE, not_in_future=False)
    if problem:
        raise ValidationError(f"{field} {problem}", errors={field: [problem]})
    return day


def _pending_interactions(since: datetime) -> set[uuid.UUID]:
    """Interactions whose recorded event exists but the rollup handler has not processed."""
    processed = exists().where(
        ProcessedEvent.event_id == OutboxEvent.event_id, ProcessedEvent.handler == ROLLUP_HANDLER
    )
    return set(
        db.session.scalars(
            select(OutboxEvent.aggregate_id).where(
                OutboxEvent.type == RECORDED_EVENT, OutboxEvent.occurred_at >= since, ~processed
            )
        )
    )


def recompute_rollups(day_from: date | str, day_to: date | str) -> int:
    """Rebuild the rollups of ``day_from`` … ``day_to`` (inclusive) from the interactions table.

    One transaction. It locks the rollup table against the incremental handler (which waits, then
    adds its contact to the rebuilt bucket) and leaves out contacts whose event is still pending.
    Days are in TIME_ZONE. Usable as a job: dates may be ISO strings.

    :returns: how many interactions the rebuilt buckets count.
    :raises ValidationError: a bound is not a date, or ``day_to`` is before ``day_from``.
    """
    first, last = _as_date(day_from, "day_from"), _as_date(day_to, "day_to")
    if last < first:
        raise ValidationError("day_to is before day_from", errors={"day_to": ["before day_from"]})
    zone = _zone()
    start = datetime.combine(first, time(0), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC)
    table = InteractionDailyRollup.__table__
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text(f"LOCK TABLE {table.name} IN SHARE ROW EXCLUSIVE MODE"))
        # On SQLite this first write takes the database's write lock for the transaction.
        db.session.execute(delete(table).where(table.c.day >= first, table.c.day <= last))
        # An event is written when the contact is recorded, a little after it started.
        pending = _pending_interactions(start - timedelta(days=1))
        buckets: dict[BucketKey, dict[str, int]] = defaultdict(dict.fromkeys(COUNTERS, 0).copy)
        counted = 0
        rows = db.session.execute(
            select(*_COLUMNS)
            .where(Interaction.started_at >= start, Interaction.started_at < end)
            .execution_options(yield_per=5000)
        )
        for row in rows:
            if row.id in pending:
                continue
            if problem := _implausible(row):
                log.error("rollup rebuild leaves out %s", problem)
                continue
            totals = buckets[_bucket(row, zone)]
            for name, value in _counts(row).items():
                totals[name] += value
            counted += 1
        now = utcnow()
        if buckets:
            db.session.execute(insert(table), [_row(k, v, now) for k, v in buckets.items()])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counted
