"""Redelivery: publish again the events whose job was lost before a handler applied them.

The relay marks an event published once Redis has accepted its job. Redis may still lose that job:
a restart without persistence, or a worker SIGKILLed in the instant between taking the job and
registering it as started. Such an event would never reach its handler. This periodic sweep finds
events published more than REDELIVERY_AFTER seconds ago that still lack the marker of a handler
registered for their type (and were not parked, see ``cgcrm.worker.parking``), and returns them
to the relay (``published_at`` back to NULL), which publishes them again in ``seq`` order.
Handlers are idempotent per event, so an event whose job was merely slow is applied once all the
same. After MAX_DELIVERIES publications an event is left alone: its handler is failing, and the
failed job is in the registry for an administrator.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from flask import current_app
from sqlalchemy import ColumnElement, and_, exists, false, or_, select, update

from cgcrm.core.clock import utcnow
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.worker.handlers import HANDLERS, HandlerSpec
from cgcrm.worker.models import ParkedEvent, ProcessedEvent

log = logging.getLogger(__name__)
# Events returned to the relay per transaction; the relay takes RELAY_BATCH_SIZE per pass anyway.
CHUNK = 5000


def lacks_a_marker(handlers: Sequence[HandlerSpec]) -> ColumnElement[bool]:
    """An outbox event that one of ``handlers`` (of its type) has neither processed nor parked."""
    clauses = [
        and_(
            OutboxEvent.type == spec.event_type,
            ~exists().where(
                ProcessedEvent.event_id == OutboxEvent.event_id,
                ProcessedEvent.handler == spec.name,
            ),
            ~exists().where(
                ParkedEvent.event_id == OutboxEvent.event_id, ParkedEvent.handler == spec.name
            ),
        )
        for spec in handlers
    ]
    return or_(*clauses) if clauses else false()


def redeliver_unhandled_events(handlers: Sequence[HandlerSpec] = HANDLERS) -> int:
    """Periodic job: return lost events to the relay.

    :returns: how many events will be published again.
    """
    config = current_app.config
    published_before = utcnow() - timedelta(seconds=config["REDELIVERY_AFTER"])
    lost = (
        select(OutboxEvent.seq)
        .where(
            OutboxEvent.published_at.is_not(None),
            OutboxEvent.published_at < published_before,
            OutboxEvent.deliveries < config["MAX_DELIVERIES"],
            lacks_a_marker(handlers),
        )
        .order_by(OutboxEvent.seq)
        .limit(CHUNK)
    )
    total = 0
    try:
        while seqs := db.session.scalars(lost).all():
            db.session.execute(
                update(OutboxEvent).where(OutboxEvent.seq.in_(seqs)).values(published_at=None)
            )
            db.session.commit()
            total += len(seqs)
    except Exception:
        db.session.rollback()
        raise
    if total:
        log.warning(
            "redelivery: %d published events never reached a handler; publishing again", total
        )
    return total
