"""Event handlers, declared as data, and the batch job that applies them exactly once.

Each handler has a stable name (the key of its ``processed_events`` markers) and a dotted path
imported only when an event of its type arrives, so a domain's module loads in the worker alone.
"""

from __future__ import annotations

import importlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from sqlalchemy import select

from cgcrm.core.clock import utcnow
from cgcrm.core.outbox import OutboxEvent
from cgcrm.core.upsert import insert_ignoring_conflicts
from cgcrm.extensions import db
from cgcrm.worker.models import ParkedEvent, ProcessedEvent
from cgcrm.worker.parking import is_transient, park_event

log = logging.getLogger(__name__)

EventHandler = Callable[[OutboxEvent], None]


@dataclass(frozen=True)
class HandlerSpec:
    """One consumer of one event type.

    :param name: stable key in ``processed_events``; never rename a deployed handler.
    :param path: ``module:function`` taking the ``OutboxEvent``; it must not commit.
    """

    event_type: str
    name: str
    path: str


HANDLERS: tuple[HandlerSpec, ...] = (
    HandlerSpec(
        "interaction.recorded",
        "metrics.interaction_daily_rollups",
        "cgcrm.metrics.service:count_recorded_interaction",
    ),
    HandlerSpec(
        "interaction.recorded",
        "surveys.invitation",
        "cgcrm.surveys.jobs:invite_after_contact",
    ),
    HandlerSpec(
        "citizen.consent_recorded",
        "citizens.consent_notification",
        "cgcrm.citizens.jobs:notify_consent_recorded",
    ),
)


class EventHandlingFailed(RuntimeError):
    """Some events of a batch failed; the others were applied. A retry redoes only the failed."""


def handlers_for(event_type: str, handlers: Sequence[HandlerSpec] = HANDLERS) -> list[HandlerSpec]:
    """The handlers registered for ``event_type``, in declaration order."""
    return [spec for spec in handlers if spec.event_type == event_type]


@cache
def _resolve(path: str) -> EventHandler:
    module, _, attribute = path.partition(":")
    handler: EventHandler = getattr(importlib.import_module(module), attribute)
    return handler


def _claim(event_id: uuid.UUID, handler: str) -> bool:
    """Insert the marker in the current transaction; False when it was already there.

    A concurrent claim of the same marker waits for the other transaction: if that one commits
    this returns False, if it rolls back this one wins. So two deliveries never both apply.
    """
    table = ProcessedEvent.__table__
    inserted = db.session.execute(
        insert_ignoring_conflicts(table)
        .values(event_id=event_id, handler=handler, processed_at=utcnow())
        .returning(table.c.event_id)
    ).scalar()
    return inserted is not None


def apply_event(event: OutboxEvent, spec: HandlerSpec) -> bool:
    """Apply one handler to one event exactly once, in one transaction of its own.

    :returns: True when the handler ran, False when its marker showed an earlier delivery did.
    :raises Exception: whatever the handler raised (the transaction was rolled back).
    """
    try:
        applied = _claim(event.event_id, spec.name)
        if applied:
            _resolve(spec.path)(event)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return applied


def _parked(event: OutboxEvent, spec: HandlerSpec, exc: Exception) -> bool:
    try:
        park_event(event, spec.name, exc)
    except Exception:
        log.exception("could not park event %s; it will be retried", event.event_id)
        return False
    return True


def process_events(event_ids: Sequence[str]) -> int:
    """RQ job: hand each outbox event of a relay batch to every handler of its type.

    Each (event, handler) pair is its own transaction, so one failing event neither undoes nor
    blocks the others. A transient failure (database or Redis away, a deadlock) fails the job,
    whose retry finds the applied pairs already marked; any other failure would recur on every
    retry, so that event is parked (``cgcrm.worker.parking``) and the job goes on.
    Events deleted by housekeeping, and parked ones, are skipped.

    :param event_ids: outbox ``event_id`` values as strings, in publication order.
    :returns: how many (event, handler) effects were applied by this run.
    :raises EventHandlingFailed: at least one handler failed transiently (or could not be
        parked); the message names the events.
    """
    applied = 0
    failed: list[str] = []
    ids = [uuid.UUID(str(event_id)) for event_id in event_ids]
    found = {
        event.event_id: event
        for event in db.session.scalars(select(OutboxEvent).where(OutboxEvent.event_id.in_(ids)))
    }
    parked = set(
        db.session.execute(
            select(ParkedEvent.event_id, ParkedEvent.handler).where(ParkedEvent.event_id.in_(ids))
        ).tuples()
    )
    db.session.commit()
    for event_id in ids:
        event = found.get(event_id)
        if event is None:
            log.warning("event %s is gone (past retention?); skipped", event_id)
            continue
        for spec in handlers_for(event.type):
            if (event_id, spec.name) in parked:
                continue  # set aside until an administrator unparks it
            try:
                applied += apply_event(event, spec)
            except Exception as exc:
                if not is_transient(exc) and _parked(event, spec, exc):
                    continue
                log.exception("handler %s failed on event %s", spec.name, event_id)
                failed.append(f"{event_id} ({spec.name})")
    if failed:
        raise EventHandlingFailed(f"{len(failed)} of {len(ids)} events failed: {', '.join(failed)}")
    return applied
