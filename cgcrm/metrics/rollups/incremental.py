"""The ``interaction.recorded`` handler: adds a batch of contacts to the rollups.

For the counters that depend on other contacts, each transaction group and follow-up partition
the batch touches is computed twice over its counted contacts, without and with the batch, and
the difference is added. A contact is counted once its event is processed (or gone), so the
result does not depend on the order in which events are processed, nor on how they are batched.
Concurrent batches touching the same citizen or transaction wait for each other on PostgreSQL
(otherwise each would take the other's contacts for pending and their pairs would count in
neither); SQLite runs one writer at a time anyway.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from flask import current_app

from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.metrics.rollups.buckets import (
    Contact,
    Deltas,
    ImplausibleContact,
    add_to,
    add_to_buckets,
    advisory_locks,
    bucket_of,
    implausible,
    merge,
    new_deltas,
    own_counts,
    zone,
)
from cgcrm.metrics.rollups.contributions import grouped, relational_counts
from cgcrm.metrics.rollups.followups import WINDOW, partition_key
from cgcrm.metrics.rollups.incremental_sql import count_contacts
from cgcrm.metrics.rollups.neighbours import counted_neighbours, load_contacts
from cgcrm.metrics.rollups.transactions import group_key

log = logging.getLogger(__name__)

# A follow-up partition's contact within 7 days of the batch's has counters that depend on
# contacts up to 7 days beyond it.
REACH = 2 * WINDOW


def interaction_ids(events: Iterable[OutboxEvent]) -> list[uuid.UUID]:
    """The contacts named by ``events``.

    :raises KeyError, ValueError, TypeError: a payload has no valid ``interaction_id``.
    """
    return sorted({uuid.UUID(str(event.payload["interaction_id"])) for event in events})


def _citizen_windows(contacts: Sequence[Contact]) -> dict[uuid.UUID, tuple[datetime, datetime]]:
    windows: dict[uuid.UUID, tuple[datetime, datetime]] = {}
    for contact in contacts:
        assert contact.citizen_id is not None
        low, high = contact.started_at - REACH, contact.started_at + REACH
        if contact.citizen_id in windows:
            old_low, old_high = windows[contact.citizen_id]
            low, high = min(low, old_low), max(high, old_high)
        windows[contact.citizen_id] = (low, high)
    return windows


def _difference(batch: Sequence[Contact], counted: Sequence[Contact], tz: Any) -> Deltas:
    """What adding ``batch`` to the ``counted`` neighbours changes in the relational counters.

    Groups and partitions with no counted neighbour have nothing to take away: only their
    contributions with the batch are computed.
    """
    groups_with = grouped(batch, group_key)
    partitions_with = grouped(batch, partition_key)
    groups_without: dict[Any, list[Contact]] = {}
    partitions_without: dict[Any, list[Contact]] = {}
    for contact in counted:
        key = group_key(contact)
        if key in groups_with:
            groups_without.setdefault(key, []).append(contact)
        key = partition_key(contact)
        if key in partitions_with:
            partitions_without.setdefault(key, []).append(contact)
    for key, members in groups_without.items():
        groups_with[key] = [*members, *groups_with[key]]
    for key, members in partitions_without.items():
        partitions_with[key] = [*members, *partitions_with[key]]
    deltas = relational_counts(groups_with.values(), partitions_with.values(), tz)
    without = relational_counts(groups_without.values(), partitions_without.values(), tz)
    merge(deltas, without, sign=-1)
    return deltas


def in_sql() -> bool:
    """Whether the set-based SQL of ``incremental_sql`` counts new contacts (PostgreSQL, unless
    METRICS_INCREMENTAL_IN_SQL is off)."""
    return bool(
        db.session.get_bind().dialect.name == "postgresql"
        and current_app.config["METRICS_INCREMENTAL_IN_SQL"]
    )


def count_recorded_interactions(events: Sequence[OutboxEvent]) -> None:
    """Batch handler of ``interaction.recorded``: add the batch's contacts to the rollups.

    Runs inside the caller's transaction (the one holding the events' processed markers) and
    does not commit. On PostgreSQL set-based (``incremental_sql``) unless
    METRICS_INCREMENTAL_IN_SQL is off; otherwise in Python, with these queries: the batch's
    contacts; its counted neighbours (the members of its transaction groups, its citizens'
    inbound contacts within 14 days); one upsert.

    :param events: events of ``interaction.recorded`` whose markers the caller has just claimed.
    :raises KeyError, ValueError: a payload has no valid ``interaction_id``.
    :raises ImplausibleContact: a stored contact's times are absurd (the worker parks it).
    """
    ids = interaction_ids(events)
    if in_sql():
        count_contacts(ids)
        return
    batch = load_contacts(ids)
    if len(batch) < len(ids):
        # Interactions are append-only; a missing one was erased: nothing to count.
        missing = set(ids) - {contact.id for contact in batch}
        log.warning("interactions no longer exist: %s", ", ".join(map(str, sorted(missing))))
    for contact in batch:
        if problem := implausible(contact):
            raise ImplausibleContact(problem)
    tz = zone()
    deltas = new_deltas()
    for contact in batch:
        add_to(deltas, bucket_of(contact, tz), own_counts(contact))
    groups = sorted(
        {key[1:] for contact in batch if (key := group_key(contact)) and key[0] == "ref"},
        key=repr,
    )
    identified = [contact for contact in batch if partition_key(contact) is not None]
    windows = _citizen_windows(identified)
    # Before reading the neighbours: a concurrent batch's contacts are pending until it commits.
    advisory_locks(
        [*(("transaction", *group) for group in groups), *(("citizen", c) for c in windows)]
    )
    counted = counted_neighbours([contact.id for contact in batch], groups, windows)
    merge(deltas, _difference(batch, counted, tz))
    add_to_buckets(deltas)


def count_recorded_interaction(event: OutboxEvent) -> None:
    """Handler of one ``interaction.recorded`` event (the worker's per-event path): a batch of one.

    :raises KeyError, ValueError: the payload has no valid ``interaction_id``.
    :raises ImplausibleContact: the stored contact's times are absurd (the worker parks it).
    """
    count_recorded_interactions([event])
