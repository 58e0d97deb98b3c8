"""Bucket keys, the counters a contact adds on its own, and the batched upsert of deltas."""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite

from cgcrm.core.arrays import array_literal
from cgcrm.core.clock import utcnow
from cgcrm.core.time_bounds import span_problem
from cgcrm.extensions import db
from cgcrm.metrics.models import NO_SERVICE, InteractionDailyRollup

# Every counter of interaction_daily_rollups, in the table's order.
COUNTERS = (
    "interactions",
    "transactions_started",
    "transactions_completed",
    "resolved",
    "handling_seconds",
    "handled",
    "inbound_identified",
    "avoidable",
    "fcr_eligible",
    "fcr_repeated",
    "csat_1",
    "csat_2",
    "csat_3",
    "csat_4",
    "csat_5",
    "nps_responses",
    "nps_promoters",
    "nps_detractors",
    "effort_responses",
    "effort_total",
    "invitations_sent",
    "invited_responses",
)
BUCKET_COLUMNS = ("day", "department_id", "channel_code", "service_key")
RESOLVED_OUTCOMES = frozenset({"resolved", "completed"})
# (day in TIME_ZONE, department_id, channel_code, service_id or None)
BucketKey = tuple[date, uuid.UUID, str, uuid.UUID | None]
Deltas = dict[Any, dict[str, int]]


class Contact(Protocol):
    """The columns of an interaction the rollups read (a Row or an ORM object)."""

    id: uuid.UUID
    citizen_id: uuid.UUID | None
    department_id: uuid.UUID
    channel_code: str
    service_id: uuid.UUID | None
    direction: str
    outcome: str
    transaction_stage: str | None
    transaction_ref: str | None
    started_at: datetime
    ended_at: datetime | None


class ImplausibleContact(ValueError):
    """A stored contact whose times no real contact has (written before input was bounded, or
    by hand): counting it would corrupt every average it joins, and retrying cannot help."""


def zone() -> ZoneInfo:
    """The deployment's TIME_ZONE, in which days are counted."""
    return ZoneInfo(current_app.config["TIME_ZONE"])


def bucket_of(contact: Contact, tz: ZoneInfo) -> BucketKey:
    """The bucket a contact counts in: its local start day, department, channel, service."""
    day = contact.started_at.astimezone(tz).date()
    return (day, contact.department_id, contact.channel_code, contact.service_id)


def day_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the local days ``first`` … ``last``, daylight saving included."""
    start = datetime.combine(first, time(0), tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tz).astimezone(UTC)
    return start, end


def implausible(contact: Contact) -> str | None:
    """Why a stored contact cannot be counted, or None."""
    if contact.ended_at is None:
        return None
    problem = span_problem(contact.started_at, contact.ended_at)
    return f"interaction {contact.id}: ended_at {problem}" if problem else None


def is_inbound_identified(contact: Contact) -> bool:
    """Whether a contact takes part in the follow-up measures."""
    return contact.direction == "inbound" and contact.citizen_id is not None


def own_counts(contact: Contact) -> dict[str, int]:
    """The counters a contact adds whatever other contacts exist."""
    handled = contact.ended_at is not None
    resolved = contact.outcome in RESOLVED_OUTCOMES
    identified = is_inbound_identified(contact)
    seconds = int((contact.ended_at - contact.started_at).total_seconds()) if handled else 0  # type: ignore[operator]
    return {
        "interactions": 1,
        "resolved": int(resolved),
        "handling_seconds": seconds,
        "handled": int(handled),
        "inbound_identified": int(identified),
        "fcr_eligible": int(identified and resolved),
    }


def new_deltas() -> Deltas:
    return defaultdict(lambda: defaultdict(int))


def add_to(deltas: Deltas, key: Any, counts: Mapping[str, int], sign: int = 1) -> None:
    """Add ``counts`` (times ``sign``) to the bucket ``key`` of ``deltas``."""
    target = deltas[key]
    for name, value in counts.items():
        if value:
            target[name] += sign * value


def merge(deltas: Deltas, other: Deltas, sign: int = 1) -> None:
    for key, counts in other.items():
        add_to(deltas, key, counts, sign)


def nonzero(deltas: Deltas) -> Deltas:
    """The buckets of ``deltas`` with some counter changed, without the zero counters."""
    kept: Deltas = {}
    for key, counts in deltas.items():
        changed = {name: value for name, value in counts.items() if value}
        if changed:
            kept[key] = changed
    return kept


def _insert(table: Table) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def rollup_row(key: BucketKey, counts: Mapping[str, int], now: datetime) -> dict[str, Any]:
    """A full row of interaction_daily_rollups for one bucket (absent counters are 0)."""
    day, department_id, channel_code, service_id = key
    return {
        "day": day,
        "department_id": department_id,
        "channel_code": channel_code,
        "service_key": service_id or NO_SERVICE,
        "service_id": service_id,
        "updated_at": now,
        **{name: counts.get(name, 0) for name in COUNTERS},
    }


def add_to_buckets(
    deltas: Deltas,
    *,
    table: Table | None = None,
    key_columns: tuple[str, ...] = BUCKET_COLUMNS,
    counters: Iterable[str] = COUNTERS,
    row: Any = rollup_row,
) -> int:
    """Add ``deltas`` to their buckets in one INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x
    (PostgreSQL, SQLite ≥ 3.24); buckets that do not exist yet are created.

    Rows go in key order, so two batches touching the same buckets lock them in the same order.
    Runs in the caller's transaction.

    :returns: how many buckets changed.
    """
    changed = nonzero(deltas)
    if not changed:
        return 0
    if table is None and db.session.get_bind().dialect.name == "postgresql":
        return _add_to_rollups(changed)
    table = table if table is not None else InteractionDailyRollup.__table__
    names = tuple(counters)
    now = utcnow()
    rows = [row(key, changed[key], now) for key in sorted(changed, key=_sort_key)]
    statement = _insert(table)
    additions: dict[str, Any] = {name: table.c[name] + statement.excluded[name] for name in names}
    additions["updated_at"] = statement.excluded.updated_at
    db.session.execute(
        statement.on_conflict_do_update(index_elements=list(key_columns), set_=additions), rows
    )
    return len(rows)


def _nullable_literal(values: Iterable[Any]) -> str:
    return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"


# One statement whatever the batch: every column as one array literal, so its plan is
# prepared once and no per-row parameters are adapted in Python.
_ROLLUP_UPSERT = text(
    f"""
    INSERT INTO interaction_daily_rollups ({", ".join(BUCKET_COLUMNS)}, service_id, updated_at,
        {", ".join(COUNTERS)})
    SELECT {", ".join(BUCKET_COLUMNS)}, service_id, :now, {", ".join(COUNTERS)}
    FROM unnest(CAST(:day AS date[]), CAST(:department_id AS uuid[]),
        CAST(:channel_code AS text[]), CAST(:service_key AS uuid[]),
        CAST(:service_id AS uuid[]),
        {", ".join(f"CAST(:{name} AS bigint[])" for name in COUNTERS)})
        WITH ORDINALITY AS r({", ".join(BUCKET_COLUMNS)}, service_id, {", ".join(COUNTERS)}, n)
    ORDER BY n
    ON CONFLICT ({", ".join(BUCKET_COLUMNS)}) DO UPDATE SET updated_at = excluded.updated_at,
        {", ".join(f"{name} = interaction_daily_rollups.{name} + excluded.{name}" for name in COUNTERS)}
    """  # noqa: E501
)


def _add_to_rollups(changed: Deltas) -> int:
    """``add_to_buckets`` into interaction_daily_rollups on PostgreSQL, in one statement."""
    keys = sorted(changed, key=_sort_key)
    params: dict[str, Any] = {
        "now": utcnow(),
        "day": _nullable_literal(key[0] for key in keys),
        "department_id": _nullable_literal(key[1] for key in keys),
        "channel_code": [key[2] for key in keys],
        "service_key": _nullable_literal(key[3] or NO_SERVICE for key in keys),
        "service_id": _nullable_literal(key[3] for key in keys),
    }
    for name in COUNTERS:
        params[name] = _nullable_literal(changed[key].get(name, 0) for key in keys)
    db.session.execute(_ROLLUP_UPSERT, params)
    return len(keys)


_LOCKS = text(
    "SELECT count(pg_advisory_xact_lock(k)) "
    "FROM (SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) AS keys"
)


def _lock_key(parts: tuple[Any, ...]) -> int:
    text = "\x1f".join(str(part) for part in parts)
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def advisory_locks(subjects: Iterable[tuple[Any, ...]]) -> None:
    """Wait for concurrent transactions working on the same subjects (PostgreSQL only; SQLite
    runs one writer at a time anyway). Transaction-scoped advisory locks on hashed keys, taken
    in sorted order so that two transactions never deadlock on them."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({_lock_key(tuple(subject)) for subject in subjects})
    if keys:
        db.session.execute(_LOCKS, {"keys": array_literal(keys)})


def _sort_key(key: Any) -> tuple[str, ...]:
    return tuple("" if part is None else str(part) for part in key)
