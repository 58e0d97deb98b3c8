"""Parking: an event a handler cannot process is set aside visibly instead of retried forever.

A failure is *transient* when trying again later may succeed: the database or Redis was
unreachable, a connection dropped, a lock timed out or deadlocked, the job ran out of time.
Everything else (a stored row Python cannot represent, a value out of range, a handler's bug)
fails the same way on every retry, and retrying would block nothing but fill the failed-job
registry and the logs. Such an event is parked: a ``parked_events`` row records the handler,
the reason (the last lines of the error, without statement parameters) and the time; the admin
jobs view counts and lists them; the redelivery sweep leaves them alone; and
``flask worker unpark`` hands them back to their handler once the cause is fixed.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from typing import Any

from redis import RedisError
from rq.timeouts import JobTimeoutException
from sqlalchemy import delete, func, select, true, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from cgcrm.core.clock import utcnow
from cgcrm.core.outbox import OutboxEvent
from cgcrm.core.upsert import insert_ignoring_conflicts
from cgcrm.extensions import db
from cgcrm.worker.failures import error_tail
from cgcrm.worker.models import ParkedEvent

log = logging.getLogger(__name__)
TRANSIENT = (
    OperationalError,
    PoolTimeout,
    RedisError,
    ConnectionError,
    TimeoutError,
    JobTimeoutException,
)


def is_transient(exc: BaseException) -> bool:
    """Whether retrying later may succeed where ``exc`` failed."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, TRANSIENT)


def park_event(event: OutboxEvent, handler: str, exc: BaseException) -> None:
    """Record that ``handler`` cannot process ``event``, in a transaction of its own.

    :raises sqlalchemy.exc.SQLAlchemyError: the record could not be written (the caller then
        treats the failure as transient, so the event is retried rather than lost).
    """
    text = "".join(traceback.format_exception_only(type(exc), exc))
    reason = "\n".join(error_tail(text)) or type(exc).__name__
    table = ParkedEvent.__table__
    try:
        db.session.execute(
            insert_ignoring_conflicts(table).values(
                event_id=event.event_id,
                handler=handler,
                event_type=event.type,
                parked_at=utcnow(),
                reason=reason[:2000],
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.error(
        "parked event %s (%s) for handler %s: %s", event.event_id, event.type, handler, reason
    )


def parked_overview(limit: int) -> dict[str, Any]:
    """How many events are parked, and the latest ``limit`` of them, newest first."""
    count = db.session.scalar(select(func.count()).select_from(ParkedEvent)) or 0
    latest = db.session.scalars(
        select(ParkedEvent).order_by(ParkedEvent.parked_at.desc()).limit(limit)
    ).all()
    db.session.rollback()
    return {"count": int(count), "latest": list(latest)}


def unpark_events(event_ids: list[uuid.UUID] | None = None) -> int:
    """Forget parked events so their handlers try again: they go back to the relay.

    :param event_ids: only these; None for every parked event.
    :returns: how many (event, handler) pairs were unparked.
    """
    condition = ParkedEvent.event_id.in_(event_ids) if event_ids is not None else true()
    try:
        ids = db.session.scalars(select(ParkedEvent.event_id).where(condition)).all()
        db.session.execute(delete(ParkedEvent).where(ParkedEvent.event_id.in_(ids)))
        if ids:
            db.session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.event_id.in_(ids))
                .values(published_at=None, deliveries=0)
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(ids)
