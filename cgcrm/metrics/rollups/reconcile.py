"""Periodic safety nets of the rollups: the catch-up of late events, and the reconciliation of
recent days with raw data."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from cgcrm.core.clock import utcnow
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.metrics.models import CaseDailyRollup, InteractionDailyRollup
from cgcrm.metrics.rollups import expected
from cgcrm.metrics.rollups.buckets import COUNTERS, zone
from cgcrm.metrics.rollups.cases import CASE_COUNTERS
from cgcrm.metrics.rollups.rebuild import (
    day_range,
    expected_interaction_rollups,
    lock_rollups,
    replace_days,
)
from cgcrm.worker.handlers import HANDLERS, process_events
from cgcrm.worker.redelivery import lacks_a_marker

log = logging.getLogger(__name__)
METRICS_HANDLERS = tuple(spec for spec in HANDLERS if spec.name.startswith("metrics."))
# Events per process_events call: one transaction per handler and chunk.
CATCH_UP_CHUNK = 1000


def catch_up_metrics() -> int:
    """Periodic job: apply the metrics handlers, in batches, to events that have waited more
    than METRICS_CATCH_UP_GRACE seconds (their job lost, the worker behind or down), at most
    METRICS_CATCH_UP_LIMIT per run. Exactly once all the same: the handlers' markers decide.

    :returns: how many (event, handler) effects it applied.
    :raises EventHandlingFailed: a handler failed transiently (the job is retried).
    """
    config = current_app.config
    before = utcnow() - timedelta(seconds=config["METRICS_CATCH_UP_GRACE"])
    ids = [
        str(event_id)
        for event_id in db.session.scalars(
            select(OutboxEvent.event_id)
            .where(OutboxEvent.occurred_at < before, lacks_a_marker(METRICS_HANDLERS))
            .order_by(OutboxEvent.seq)
            .limit(config["METRICS_CATCH_UP_LIMIT"])
        )
    ]
    db.session.rollback()
    applied = 0
    for start in range(0, len(ids), CATCH_UP_CHUNK):
        applied += process_events(ids[start : start + CATCH_UP_CHUNK], METRICS_HANDLERS)
    if applied:
        log.warning("metrics catch-up: applied %d late events", applied)
    return applied


def _stored(table: Any, first: date, last: date, key: Any) -> dict[Any, dict[str, int]]:
    rows = db.session.scalars(select(table).where(table.day >= first, table.day <= last))
    return {key(row): {name: getattr(row, name) for name in _counters(table)} for row in rows}


def _counters(table: Any) -> tuple[str, ...]:
    return COUNTERS if table is InteractionDailyRollup else CASE_COUNTERS


def _drifts(
    name: str,
    stored: Mapping[Any, Mapping[str, int]],
    computed: Mapping[Any, Mapping[str, int]],
    counters: tuple[str, ...],
) -> set[date]:
    """Log each bucket whose stored counters differ from the computed ones; their days."""
    days = set()
    for key in sorted(set(stored) | set(computed), key=lambda k: tuple(map(str, k))):
        had, wanted = stored.get(key, {}), computed.get(key, {})
        differing = {
            counter: (had.get(counter, 0), wanted.get(counter, 0))
            for counter in counters
            if had.get(counter, 0) != wanted.get(counter, 0)
        }
        if differing:
            days.add(key[0])
            log.warning(
                "rollup drift in %s, bucket %s: %s",
                name,
                "/".join(map(str, key)),
                ", ".join(f"{c} stored {a}, raw data {b}" for c, (a, b) in differing.items()),
            )
    return days


def reconcile_rollups(days: int | None = None) -> int:
    """Periodic job (nightly by default) and ``flask metrics reconcile``: recompute the rollups
    of the last ``days`` days (default METRICS_RECONCILE_DAYS, today included) from raw data,
    compare them bucket by bucket with the stored ones, log each drift at WARNING (the bucket,
    the counter, both values), and rebuild the days that drifted. One transaction, holding the
    incremental handlers off, so events processed meanwhile are no false drift.

    :returns: how many buckets drifted.
    """
    count = days if days is not None else current_app.config["METRICS_RECONCILE_DAYS"]
    today = utcnow().astimezone(zone()).date()
    first, last = day_range(today - timedelta(days=max(int(count), 1) - 1), today)
    try:
        lock_rollups()
        computed = expected_interaction_rollups(first, last)
        stored = _stored(
            InteractionDailyRollup,
            first,
            last,
            lambda r: (r.day, r.department_id, r.channel_code, r.service_id),
        )
        drifted = _drifts("interaction_daily_rollups", stored, computed, COUNTERS)
        buckets = _count_differing(stored, computed, COUNTERS)
        computed_cases = expected.case_counts(expected.case_placements(first, last))
        stored_cases = _stored(
            CaseDailyRollup, first, last, lambda r: (r.day, r.department_id, r.service_id)
        )
        drifted |= _drifts("case_daily_rollups", stored_cases, computed_cases, CASE_COUNTERS)
        buckets += _count_differing(stored_cases, computed_cases, CASE_COUNTERS)
        for day in sorted(drifted):
            replace_days(day, day)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if buckets:
        log.warning("reconcile: %d buckets drifted on %d days; rebuilt", buckets, len(drifted))
    else:
        log.info("reconcile: the rollups of %s … %s match raw data", first, last)
    return buckets


def _count_differing(
    stored: Mapping[Any, Mapping[str, int]],
    computed: Mapping[Any, Mapping[str, int]],
    counters: tuple[str, ...],
) -> int:
    return sum(
        1
        for key in set(stored) | set(computed)
        if any(stored.get(key, {}).get(c, 0) != computed.get(key, {}).get(c, 0) for c in counters)
    )
