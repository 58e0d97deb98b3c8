"""The counted neighbours of a batch of contacts: the other contacts of its transaction groups,
and its citizens' inbound contacts within reach, leaving out those still pending.

On PostgreSQL one statement, its arguments as arrays so that its plan is prepared once: a join
on ``unnest`` probes ix_interactions_transaction and ix_interactions_citizen_history, and each
neighbour's event is looked up by ix_outbox_events_aggregate. Elsewhere (SQLite, small data)
plain queries.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, text

from cgcrm.core.arrays import array_literal
from cgcrm.extensions import db
from cgcrm.interactions.models import Interaction
from cgcrm.metrics.rollups.buckets import implausible
from cgcrm.metrics.rollups.counted import CHUNK, RECORDED_EVENT, ROLLUP_HANDLER, pending_among

CONTACT_COLUMNS = (
    Interaction.id,
    Interaction.citizen_id,
    Interaction.department_id,
    Interaction.channel_code,
    Interaction.service_id,
    Interaction.direction,
    Interaction.outcome,
    Interaction.transaction_stage,
    Interaction.transaction_ref,
    Interaction.started_at,
    Interaction.ended_at,
)
Windows = dict[uuid.UUID, tuple[datetime, datetime]]
_NAMES = ", ".join(f"i.{column.key}" for column in CONTACT_COLUMNS)
_NEIGHBOURS = text(
    f"""
    WITH near AS (
        SELECT {_NAMES} FROM interactions i
        JOIN unnest(CAST(:services AS uuid[]), CAST(:refs AS text[])) AS g(service_id, ref)
            ON i.service_id = g.service_id AND i.transaction_ref = g.ref
        UNION ALL
        SELECT {_NAMES} FROM interactions i
        JOIN unnest(CAST(:citizens AS uuid[]), CAST(:lows AS timestamptz[]),
                CAST(:highs AS timestamptz[])) AS w(citizen_id, low, high)
            ON i.citizen_id = w.citizen_id AND i.started_at BETWEEN w.low AND w.high
        WHERE i.direction = 'inbound'
    )
    SELECT near.* FROM near
    WHERE NOT EXISTS (
            SELECT 1 FROM outbox_events o
            WHERE o.aggregate_id = near.id AND o.type = :event_type
                AND NOT EXISTS (
                    SELECT 1 FROM processed_events p
                    WHERE p.event_id = o.event_id AND p.handler = :handler))
    """
)
_CONTACTS = text(f"SELECT {_NAMES} FROM interactions i WHERE i.id = ANY(CAST(:ids AS uuid[]))")


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def load_contacts(ids: Sequence[uuid.UUID]) -> list[Any]:
    """The contacts of ``ids`` that exist."""
    if _on_postgresql():
        return list(db.session.execute(_CONTACTS, {"ids": array_literal(ids)}))
    return list(db.session.execute(select(*CONTACT_COLUMNS).where(Interaction.id.in_(ids))))


def group_members(groups: Iterable[tuple[uuid.UUID, str]]) -> list[Any]:
    """Every contact of the (service_id, ref) ``groups``: per service, its refs in chunks, so
    that each query walks ix_interactions_transaction (a row-value IN list would not)."""
    refs: dict[uuid.UUID, list[str]] = defaultdict(list)
    for service_id, ref in groups:
        refs[service_id].append(ref)
    members: list[Any] = []
    for service_id, wanted in sorted(refs.items()):
        for start in range(0, len(wanted), CHUNK):
            query = select(*CONTACT_COLUMNS).where(
                Interaction.service_id == service_id,
                Interaction.transaction_ref.in_(wanted[start : start + CHUNK]),
            )
            members.extend(db.session.execute(query))
    return members


def counted_neighbours(
    batch: Sequence[uuid.UUID], groups: Sequence[tuple[uuid.UUID, str]], windows: Windows
) -> list[Any]:
    """The counted contacts, other than the batch's, of the (service_id, ref) ``groups`` and
    the inbound ones of each citizen of ``windows`` started within its window."""
    if not groups and not windows:
        return []
    if _on_postgresql():
        citizens = sorted(windows)
        rows = db.session.execute(
            _NEIGHBOURS,
            {
                "services": array_literal(service_id for service_id, _ in groups),
                "refs": [ref for _, ref in groups],
                "citizens": array_literal(citizens),
                "lows": array_literal(windows[citizen][0] for citizen in citizens),
                "highs": array_literal(windows[citizen][1] for citizen in citizens),
                "event_type": RECORDED_EVENT,
                "handler": ROLLUP_HANDLER,
            },
        )
        # A contact may be both a group member and a citizen's neighbour: once each.
        batch_ids = set(batch)
        unique = {row.id: row for row in rows if row.id not in batch_ids}
        return [row for row in unique.values() if not implausible(row)]
    found: dict[uuid.UUID, Any] = {}
    found.update((row.id, row) for row in group_members(groups))
    if windows:
        query = select(*CONTACT_COLUMNS).where(
            Interaction.direction == "inbound",
            or_(
                *(
                    and_(
                        Interaction.citizen_id == citizen_id,
                        Interaction.started_at >= low,
                        Interaction.started_at <= high,
                    )
                    for citizen_id, (low, high) in sorted(windows.items())
                )
            ),
        )
        found.update((row.id, row) for row in db.session.execute(query))
    for contact_id in batch:
        found.pop(contact_id, None)
    pending = pending_among(RECORDED_EVENT, ROLLUP_HANDLER, found)
    return [row for key, row in found.items() if key not in pending and not implausible(row)]
