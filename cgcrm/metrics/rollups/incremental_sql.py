"""The ``interaction.recorded`` batch handler in SQL (PostgreSQL): no Python loop over contacts.

The same rules as ``incremental`` (which SQLite runs): the batch's own counters, plus, for the
counters that depend on other contacts, the batch's transaction groups and its citizens'
follow-up partitions computed twice over their counted contacts, with the batch (sign +1) and
without it (sign -1), summed per bucket and added to the rollups in one statement. Contacts
outside the batch's reach count identically on both sides and cancel out, so the neighbours
need not be complete beyond it (see ``incremental.REACH``).

Two statements per batch, whatever its size: the handler's lock, then one that claims the
events (on the SQL path), computes the delta and adds it (reporting the batch's missing and
implausible contacts). The batch goes as one array, so the plan is prepared once. (A job
redelivered after some of its events were applied runs them twice: see
``count_recorded_events``.)
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from cgcrm.core.arrays import array_literal
from cgcrm.core.clock import utcnow
from cgcrm.core.time_bounds import EARLIEST_MOMENT, LATEST_MOMENT
from cgcrm.extensions import db
from cgcrm.metrics.models import NO_SERVICE
from cgcrm.metrics.rollups.buckets import BUCKET_COLUMNS, COUNTERS, ImplausibleContact
from cgcrm.metrics.rollups.counted import RECORDED_EVENT, ROLLUP_HANDLER
from cgcrm.metrics.rollups.followups import WINDOW

log = logging.getLogger(__name__)

_CONTACT = """i.id, i.citizen_id, i.department_id, i.channel_code, i.service_id, i.direction,
    i.outcome, i.transaction_stage, i.transaction_ref, i.started_at, i.ended_at"""
# What ``buckets.implausible`` refuses, and times Python cannot hold (which the Python path
# fails to load): the handler refuses such a contact of its batch, and never counts one nearby.
_PLAUSIBLE = """(i.started_at BETWEEN CAST(:earliest AS timestamptz)
        AND CAST(:latest AS timestamptz)
    AND (i.ended_at IS NULL OR (i.ended_at >= i.started_at
        AND i.ended_at - i.started_at <= CAST(:max_span AS interval))))"""
_IDENTIFIED = "i.direction = 'inbound' AND i.citizen_id IS NOT NULL"
_RESOLVED = "i.outcome IN ('resolved', 'completed')"
_BUCKET = """(i.started_at AT TIME ZONE :tz)::date AS day, i.department_id, i.channel_code,
    coalesce(i.service_id, CAST(:no_service AS uuid)) AS service_key, i.service_id"""
_KEY = "day, department_id, channel_code, service_key, service_id"

# One batch of this handler at a time: a concurrent batch's contacts would be pending for this
# one until it commits, and each would take the other's for pending, so that their pairs would
# count in neither. (Any fixed bigint no other lock of ours uses.)
LOCK_KEY = 0x6367_6372_6D5F_726F
# With it, this transaction's settings: the statement is short, so JIT's compile time and
# parallel workers' start-up would only add to it; and its commit need not wait for the disk.
# The markers and the counts they stand for are one transaction, so a commit lost in a crash
# loses both: the events are then still pending, and the catch-up counts them again. Once the
# driver has prepared the statement (its sixth run on a connection), the generic plan serves
# every batch: PostgreSQL would otherwise plan five more batches before settling on it (its
# plan is the same whatever the batch, and planning it costs several milliseconds).
_LOCK = text(
    "SELECT pg_advisory_xact_lock(:key), set_config('jit', 'off', true), "
    "set_config('max_parallel_workers_per_gather', '0', true), "
    "set_config('plan_cache_mode', 'force_generic_plan', true), "
    "set_config('synchronous_commit', 'off', true)"
)

# The markers' key: a claim of an event claimed before fails on it.
_MARKER_KEY = "pk_processed_events"

_ZERO = dict.fromkeys(COUNTERS[:10], "0")


def _part(values: dict[str, str]) -> str:
    return ", ".join(f"{values.get(name, _ZERO[name])} AS {name}" for name in COUNTERS[:10])


_OWN = _part(
    {
        "interactions": "1",
        "transactions_started": "CASE WHEN i.transaction_stage IS NOT NULL AND "
        "(i.transaction_ref IS NULL OR i.service_id IS NULL) THEN 1 ELSE 0 END",
        "transactions_completed": "CASE WHEN i.transaction_stage = 'completed' AND "
        "(i.transaction_ref IS NULL OR i.service_id IS NULL) THEN 1 ELSE 0 END",
        "resolved": f"CASE WHEN {_RESOLVED} THEN 1 ELSE 0 END",
        "handling_seconds": "coalesce(floor(extract(epoch FROM i.ended_at - i.started_at)), 0)",
        "handled": "CASE WHEN i.ended_at IS NOT NULL THEN 1 ELSE 0 END",
        "inbound_identified": f"CASE WHEN {_IDENTIFIED} THEN 1 ELSE 0 END",
        "fcr_eligible": f"CASE WHEN {_IDENTIFIED} AND {_RESOLVED} THEN 1 ELSE 0 END",
    }
)
_TRANSACTIONS = _part(
    {
        "transactions_started": "i.sign * CASE "
        "WHEN i.transaction_stage = 'started' THEN CASE WHEN i.first_completion IS NULL "
        "OR i.started_at <= i.first_completion THEN 1 ELSE 0 END "
        "WHEN i.first_start IS NULL OR i.first_start > i.started_at THEN 1 ELSE 0 END",
        "transactions_completed": "i.sign * CASE WHEN i.transaction_stage = 'completed' "
        "THEN 1 ELSE 0 END",
    }
)
# With the batch minus without it (a new contact had no flags without it). The window's
# min/max over an all-NULL filtered frame is NULL: coalesce to false.
_FOLLOWUPS = _part(
    {
        "avoidable": "(CASE WHEN i.avoidable THEN 1 ELSE 0 END) - (CASE WHEN NOT i.new "
        "AND coalesce(i.avoidable_before, false) THEN 1 ELSE 0 END)",
        "fcr_repeated": "(CASE WHEN i.repeated THEN 1 ELSE 0 END) - (CASE WHEN NOT i.new "
        "AND coalesce(i.repeated_before, false) THEN 1 ELSE 0 END)",
    }
)
_SUMS = ", ".join(f"sum({name})::bigint AS {name}" for name in COUNTERS[:10])
_ALL_COLUMNS = ", ".join(COUNTERS)
_VALUES = ", ".join(name if name in COUNTERS[:10] else "0" for name in COUNTERS)
_ADD = ", ".join(
    f"{name} = interaction_daily_rollups.{name} + excluded.{name}" for name in COUNTERS
)

# The neighbours of a batch, other than its own contacts, that the rollups count: plausible,
# with their event processed (or gone). (``NOT IN`` the batch is a hashed subplan; an
# anti-join with the batch's CTE is planned, on its estimate of one row, as a nested loop.)
_COUNTED = f"""i.id NOT IN (SELECT id FROM found) AND {_PLAUSIBLE}
    AND NOT EXISTS (
        SELECT 1 FROM outbox_events o
        WHERE o.aggregate_id = i.id AND o.type = :event_type
            AND NOT EXISTS (
                SELECT 1 FROM processed_events p
                WHERE p.event_id = o.event_id AND p.handler = :handler))"""
_GROUP_COLUMNS = (
    "id",
    "service_id",
    "transaction_ref",
    "transaction_stage",
    "started_at",
    "department_id",
    "channel_code",
)
_HISTORY_COLUMNS = (
    "id",
    "citizen_id",
    "service_id",
    "outcome",
    "started_at",
    "department_id",
    "channel_code",
)


def _columns(names: tuple[str, ...], prefix: str = "") -> str:
    return ", ".join(f"{prefix}{name}" for name in names)


# Where a batch's contacts come from: an array of their ids (events the caller has claimed), or
# the events of an array of event ids, claimed by the statement itself for this handler (those
# parked for it or gone are left out; in id order, so that two claims of overlapping events wait
# for each other in one order), the contacts found from the outbox rows the claim read.
_FROM_CONTACT_IDS = f"""
    WITH found AS MATERIALIZED (
        SELECT {_CONTACT}, {_PLAUSIBLE} AS plausible FROM interactions i
        WHERE i.id = ANY(CAST(:ids AS uuid[]))
    ),"""
_EVENTS = """
    WITH events AS MATERIALIZED (
        SELECT o.event_id, o.aggregate_id FROM outbox_events o
        WHERE o.event_id = ANY(CAST(:event_ids AS uuid[])) AND o.type = :event_type
            AND NOT EXISTS (SELECT 1 FROM parked_events k
                WHERE k.event_id = o.event_id AND k.handler = :handler)
    ),
    claimed AS (
        INSERT INTO processed_events (event_id, handler, processed_at)
        SELECT event_id, CAST(:handler AS text), CAST(:now AS timestamptz) FROM events
        ORDER BY event_id"""
# A job's events are new to the handler but for a redelivery: their claims are plain inserts,
# and a key already there fails the statement (see ``count_recorded_events``).
_FROM_NEW_EVENT_IDS = f"""{_EVENTS}
        RETURNING event_id
    ),
    found AS MATERIALIZED (
        SELECT {_CONTACT}, {_PLAUSIBLE} AS plausible FROM interactions i
        WHERE i.id IN (SELECT aggregate_id FROM events)
    ),"""
# Its second run: the events claimed before are skipped (``ON CONFLICT`` looks each key up).
_FROM_EVENT_IDS = f"""{_EVENTS}
        ON CONFLICT DO NOTHING
        RETURNING event_id
    ),
    found AS MATERIALIZED (
        SELECT {_CONTACT}, {_PLAUSIBLE} AS plausible FROM interactions i
        WHERE i.id IN (SELECT e.aggregate_id FROM events e
            WHERE e.event_id IN (SELECT event_id FROM claimed))
    ),"""

_DELTA = f"""
    -- An implausible contact fails the batch (the caller rolls back): it counts nothing.
    batch AS (SELECT * FROM found WHERE plausible),
    groups AS (
        SELECT DISTINCT service_id, transaction_ref FROM batch
        WHERE transaction_ref IS NOT NULL AND service_id IS NOT NULL
    ),
    -- Per follow-up partition (contacts of other services cancel out: they need no look).
    windows AS (
        SELECT citizen_id, coalesce(service_id, CAST(:no_service AS uuid)) AS service_key,
            min(started_at) - CAST(:reach AS interval) AS low,
            max(started_at) + CAST(:reach AS interval) AS high
        FROM batch WHERE direction = 'inbound' AND citizen_id IS NOT NULL GROUP BY 1, 2
    ),
    -- The other counted contacts of the batch's transaction groups, taken twice: with the
    -- batch (+1) and without it (-1).
    members AS MATERIALIZED (
        SELECT {_columns(_GROUP_COLUMNS, "i.")} FROM interactions i
        JOIN groups g ON i.service_id = g.service_id AND i.transaction_ref = g.transaction_ref
        WHERE i.transaction_stage IS NOT NULL AND {_COUNTED}
    ),
    grouped AS (
        SELECT {_columns(_GROUP_COLUMNS)}, 1 AS sign FROM batch
        WHERE transaction_stage IS NOT NULL AND transaction_ref IS NOT NULL
            AND service_id IS NOT NULL
        UNION ALL
        SELECT {_columns(_GROUP_COLUMNS)}, 1 FROM members
        UNION ALL
        SELECT {_columns(_GROUP_COLUMNS)}, -1 FROM members
    ),
    ranked AS (
        SELECT i.*,
            -- the first contact of its stage in the group (ordered by stage, time, id)
            lag(i.transaction_stage) OVER grp IS DISTINCT FROM i.transaction_stage AS leads,
            min(i.started_at) FILTER (WHERE i.transaction_stage = 'started') OVER grp
                AS first_start,
            min(i.started_at) FILTER (WHERE i.transaction_stage = 'completed') OVER grp
                AS first_completion
        FROM grouped i
        WINDOW grp AS (PARTITION BY i.sign, i.service_id, i.transaction_ref
            ORDER BY i.transaction_stage, i.started_at, i.id
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    ),
    -- The other counted inbound contacts within reach of the batch's partitions (a citizen and
    -- a service, or none). One window pass gives
    -- each contact's follow-up flags with the batch, and (FILTER) without it.
    history AS (
        SELECT {_columns(_HISTORY_COLUMNS, "i.")}, true AS new FROM batch i WHERE {_IDENTIFIED}
        UNION ALL
        SELECT {_columns(_HISTORY_COLUMNS, "i.")}, false FROM interactions i
        JOIN windows w ON i.citizen_id = w.citizen_id AND i.started_at BETWEEN w.low AND w.high
            AND coalesce(i.service_id, CAST(:no_service AS uuid)) = w.service_key
        WHERE i.direction = 'inbound' AND {_COUNTED}
    ),
    flagged AS (
        SELECT i.*,
            min(i.started_at) OVER follow < i.started_at AS avoidable,
            min(i.started_at) FILTER (WHERE NOT i.new) OVER follow < i.started_at
                AS avoidable_before,
            {_RESOLVED} AND max(i.started_at) OVER follow > i.started_at AS repeated,
            {_RESOLVED} AND max(i.started_at) FILTER (WHERE NOT i.new) OVER follow
                > i.started_at AS repeated_before
        FROM history i
        WINDOW follow AS (
            PARTITION BY i.citizen_id, coalesce(i.service_id, CAST(:no_service AS uuid))
            ORDER BY i.started_at
            RANGE BETWEEN CAST(:window AS interval) PRECEDING
                AND CAST(:window AS interval) FOLLOWING)
    ),
    parts AS (
        SELECT {_BUCKET}, {_OWN} FROM batch i
        UNION ALL
        SELECT {_BUCKET}, {_TRANSACTIONS} FROM ranked i WHERE i.leads
        UNION ALL
        SELECT {_BUCKET}, {_FOLLOWUPS} FROM flagged i
        -- more contacts only add flags: a contact without them has none without the batch
        WHERE i.avoidable OR i.repeated
    ),
    deltas AS (
        SELECT {_KEY}, {_SUMS} FROM parts GROUP BY {_KEY}
    ),
    added AS (
        INSERT INTO interaction_daily_rollups ({", ".join(BUCKET_COLUMNS)}, service_id,
            updated_at, {_ALL_COLUMNS})
        SELECT {_KEY}, :now, {_VALUES} FROM deltas
        WHERE {" OR ".join(f"{name} <> 0" for name in COUNTERS[:10])}
        ORDER BY {", ".join(BUCKET_COLUMNS)}
        ON CONFLICT ({", ".join(BUCKET_COLUMNS)}) DO UPDATE SET updated_at = excluded.updated_at,
            {_ADD}
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM found) AS found,
        (SELECT array_agg(id::text) FROM found WHERE NOT plausible) AS implausible"""
_COUNT_CONTACTS = text(_FROM_CONTACT_IDS + _DELTA)
_CLAIMED = ",\n        (SELECT count(*) FROM claimed) AS claimed"
_COUNT_NEW_EVENTS = text(_FROM_NEW_EVENT_IDS + _DELTA + _CLAIMED)
_COUNT_EVENTS = text(_FROM_EVENT_IDS + _DELTA + _CLAIMED)


def _run(statement: Any, batch: dict[str, Any]) -> Any:
    """Run one of the statements under the handler's lock; its (found, implausible, …) row.

    :raises ImplausibleContact: a contact of the batch has absurd times, or times out of range
        (the caller rolls back; the worker parks its event).
    """
    db.session.execute(_LOCK, {"key": LOCK_KEY})
    config = current_app.config
    row = db.session.execute(
        statement,
        {
            **batch,
            "reach": f"{int(2 * WINDOW / timedelta(seconds=1))} seconds",
            "window": f"{int(WINDOW / timedelta(seconds=1))} seconds",
            "no_service": str(NO_SERVICE),
            "event_type": RECORDED_EVENT,
            "handler": ROLLUP_HANDLER,
            "now": utcnow(),
            "earliest": EARLIEST_MOMENT,
            "latest": LATEST_MOMENT,
            "max_span": f"{int(config['CONTACT_MAX_SPAN_HOURS'])} hours",
            "tz": config["TIME_ZONE"],
        },
    ).one()
    if row.implausible:
        raise ImplausibleContact(
            f"interactions with times out of range or impossible: {', '.join(row.implausible)}"
        )
    return row


def count_contacts(ids: Sequence[uuid.UUID]) -> None:
    """Add the contacts ``ids`` (their events already claimed) to the rollups, in the caller's
    transaction (no commit).

    :raises ImplausibleContact: as ``_run``.
    """
    row = _run(_COUNT_CONTACTS, {"ids": array_literal(ids)})
    if row.found < len(ids):
        # Interactions are append-only; a missing one was erased: nothing to count.
        log.warning("%d of %d interactions no longer exist", len(ids) - row.found, len(ids))


def count_recorded_events(event_ids: Sequence[str]) -> int | None:
    """The handler's SQL path (``HandlerSpec.sql_path``): claim, for this handler, the
    ``interaction.recorded`` events among ``event_ids`` that no earlier delivery applied, and
    add their contacts to the rollups, in one statement of the caller's transaction (no
    commit). No event is parsed in Python. The claims expect new events: when some were
    claimed before (a redelivered job), the statement fails having applied nothing, and the
    transaction, in which this must come first, is rolled back and the batch run again with
    those left out.

    :returns: how many events it applied; None when METRICS_INCREMENTAL_IN_SQL is off or the
        database is not PostgreSQL (the batch path runs instead).
    :raises ImplausibleContact: as ``_run`` (the caller falls back to the event-by-event path,
        which parks the event).
    """
    if (
        db.session.get_bind().dialect.name != "postgresql"
        or not current_app.config["METRICS_INCREMENTAL_IN_SQL"]
    ):
        return None
    batch = {"event_ids": "{" + ",".join(event_ids) + "}"}
    try:
        row = _run(_COUNT_NEW_EVENTS, batch)
    except IntegrityError as exc:
        if getattr(getattr(exc.orig, "diag", None), "constraint_name", None) != _MARKER_KEY:
            raise
        # Some events were claimed before (a redelivered job): nothing was applied; again,
        # leaving them out.
        db.session.rollback()
        row = _run(_COUNT_EVENTS, batch)
    if row.found < row.claimed:
        log.warning("%d of %d interactions no longer exist", row.claimed - row.found, row.claimed)
    return int(row.claimed)
