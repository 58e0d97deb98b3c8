"""The outbox relay: moves committed domain events to RQ, in order, at least once.

One pass is one database transaction: lock the relay, read the oldest unpublished events, enqueue
them as batch jobs in one Redis MULTI/EXEC pipeline, and only then mark them published and commit.
If Redis fails the transaction rolls back and the events wait for the next pass; if the commit
fails after Redis accepted the jobs, the next pass publishes them again and the handlers'
idempotency absorbs the duplicate.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from itertools import groupby
from typing import Any

from flask import Flask, current_app
from redis import Redis, RedisError
from rq import Queue
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from cgcrm import jobs
from cgcrm.core.clock import utcnow
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db

log = logging.getLogger(__name__)

# Event type -> queue, first matching prefix wins; "" matches everything. Every event is
# published (consumers such as webhooks subscribe later); those that notify citizens go to the
# notifications queue, all others, for now, to metrics.
EVENT_ROUTES: tuple[tuple[str, str], ...] = (
    ("citizen.consent_recorded", "notifications"),
    ("assurance.code_requested", "notifications"),
    ("citizen_import.", "imports"),
    ("duplicate_scan.", "imports"),
    ("", "metrics"),
)
PROCESS_EVENTS = "cgcrm.worker.handlers.process_events"
# pg_advisory_xact_lock key of the relay: any fixed bigint no other lock of ours uses.
RELAY_LOCK_KEY = 0x6367_6372_6D72_6C79


def route(event_type: str, routes: Sequence[tuple[str, str]] = EVENT_ROUTES) -> str:
    """The logical queue that carries events of ``event_type``.

    :raises LookupError: no route matches (the routes lack a catch-all).
    """
    for prefix, queue in routes:
        if event_type.startswith(prefix):
            return queue
    raise LookupError(f"no queue route for event type {event_type!r}")


def _batches(rows: Sequence[Any], size: int) -> Iterator[tuple[str, list[Any]]]:
    """Consecutive runs of one queue, cut into jobs of at most ``size`` events (order kept)."""
    for queue, run in groupby(rows, key=lambda row: route(row.type)):
        chunk = list(run)
        for start in range(0, len(chunk), size):
            yield queue, chunk[start : start + size]


def _take_relay_lock() -> bool:
    """One relay pass at a time on PostgreSQL, so two relays never publish out of order.

    Transaction-scoped: released by the commit or rollback that ends the pass. SQLite has no
    such lock; run one relay there.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    acquired = db.session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": RELAY_LOCK_KEY}
    )
    return bool(acquired)


def publish_pending_events(
    *, limit: int | None = None, events_per_job: int | None = None, connection: Redis | None = None
) -> int:
    """Publish the oldest unpublished outbox events (in ``seq`` order) as RQ batch jobs.

    Runs one transaction and commits it. Returns 0 at once when another relay holds the lock.

    :param limit: most events this pass (default RELAY_BATCH_SIZE).
    :param events_per_job: event ids per job (default EVENTS_PER_JOB).
    :param connection: Redis to enqueue on (default the application's).
    :returns: how many events were published.
    :raises redis.RedisError: Redis refused the jobs; nothing was marked published.
    :raises sqlalchemy.exc.SQLAlchemyError: the database failed; nothing was marked published.
    """
    config = current_app.config
    limit = limit or config["RELAY_BATCH_SIZE"]
    size = events_per_job or config["EVENTS_PER_JOB"]
    redis = connection if connection is not None else jobs.redis_connection()
    try:
        if not _take_relay_lock():
            db.session.rollback()
            return 0
        rows = db.session.execute(
            select(OutboxEvent.seq, OutboxEvent.event_id, OutboxEvent.type)
            .where(OutboxEvent.published_at.is_(None))
            .order_by(OutboxEvent.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            db.session.rollback()
            return 0
        options = jobs.job_options()
        per_queue: dict[str, list[Any]] = {}
        for name, batch in _batches(rows, size):
            per_queue.setdefault(name, []).append(
                Queue.prepare_data(
                    PROCESS_EVENTS,
                    args=([str(row.event_id) for row in batch],),
                    description=f"events {batch[0].seq}..{batch[-1].seq} ({len(batch)})",
                    **options,
                )
            )
        # MULTI/EXEC: Redis takes every job of the pass or none.
        with redis.pipeline(transaction=True) as pipeline:
            for name, datas in per_queue.items():
                jobs.get_queue(name, redis).enqueue_many(datas, pipeline=pipeline)
            pipeline.execute()
        db.session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.seq.in_([row.seq for row in rows]))
            .values(published_at=utcnow(), deliveries=OutboxEvent.deliveries + 1)
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(rows)


def relay_backlog() -> tuple[int, Any]:
    """How many events wait for the relay, and when the oldest of them occurred (or None)."""
    count, oldest = db.session.execute(
        select(func.count(), func.min(OutboxEvent.occurred_at)).where(
            OutboxEvent.published_at.is_(None)
        )
    ).one()
    db.session.rollback()
    return int(count), oldest


def drain(connection: Redis | None = None) -> int:
    """Relay until nothing is pending (or another relay holds the lock); returns the total.

    :raises redis.RedisError, sqlalchemy.exc.SQLAlchemyError: as ``publish_pending_events``.
    """
    total = 0
    batch = current_app.config["RELAY_BATCH_SIZE"]
    while True:
        published = publish_pending_events(connection=connection)
        total += published
        if published < batch:
            return total


def run_relay_loop(
    app: Flask,
    stop: threading.Event,
    connection: Redis | None = None,
    busy: AbstractContextManager[Any] | None = None,
) -> None:
    """The worker's relay thread: a pass every RELAY_INTERVAL seconds until ``stop`` is set.

    A full batch is followed at once by another pass, so a backlog drains at enqueue speed.
    Failures are logged and retried on the next pass: the events stay in the outbox meanwhile.

    :param busy: held during each pass (the worker's fork gate), released while idle.
    """
    interval: float = app.config["RELAY_INTERVAL"]
    batch: int = app.config["RELAY_BATCH_SIZE"]
    while not stop.is_set():
        published = 0
        with busy or nullcontext(), app.app_context():
            try:
                published = publish_pending_events(connection=connection)
                if published:
                    log.info("relay: published %d events", published)
            except (RedisError, SQLAlchemyError, OSError) as exc:
                log.warning("relay: pass failed, events stay in the outbox: %s", exc)
            except Exception:
                log.exception("relay: unexpected failure")
            finally:
                db.session.remove()
        if published < batch:
            stop.wait(interval)
