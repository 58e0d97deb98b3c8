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
from typing import Any

from sqlalchemy import Uuid, any_, bindparam, cast, select, text
from sqlalchemy.dialects import postgresql

from cgcrm.core.arrays import array_literal
from cgcrm.core.clock import utcnow
from cgcrm.core.outbox import OutboxEvent
from cgcrm.core.upsert import insert_ignoring_conflicts
from cgcrm.extensions import db
from cgcrm.worker.models import ParkedEvent, ProcessedEvent
from cgcrm.worker.parking import is_transient, park_event

log = logging.getLogger(__name__)

EventHandler = Callable[[OutboxEvent], None]
BatchHandler = Callable[[Sequence[OutboxEvent]], None]


@dataclass(frozen=True)
class HandlerSpec:
    """One consumer of one event type.

    :param name: stable key in ``processed_events``; never rename a deployed handler.
    :param path: ``module:function`` taking the ``OutboxEvent``; it must not commit.
    :param batch_path: optional ``module:function`` taking a list of events, applied to all the
        events of a job at once (one transaction); it must not commit, and must have the same
        effect as ``path`` applied to each event, in any order.
    :param sql_path: optional ``module:function`` taking a job's event ids (strings), tried
        first, at the start of a transaction: it claims this handler's markers of those events
        itself and applies them in that transaction, without committing (it may roll back and
        start again), and returns how many it applied, or None when it does not apply here
        (then ``batch_path`` runs). The events are not loaded into
        Python for it: a handler that reads no payload costs no parsing.
    """

    event_type: str
    name: str
    path: str
    batch_path: str | None = None
    sql_path: str | None = None


HANDLERS: tuple[HandlerSpec, ...] = (
    HandlerSpec(
        "interaction.recorded",
        "metrics.interaction_daily_rollups",
        "cgcrm.metrics.rollups.incremental:count_recorded_interaction",
        "cgcrm.metrics.rollups.incremental:count_recorded_interactions",
        "cgcrm.metrics.rollups.incremental_sql:count_recorded_events",
    ),
    HandlerSpec(
        "case.status_changed",
        "metrics.case_resolutions",
        "cgcrm.metrics.rollups.cases:count_case_resolution",
        "cgcrm.metrics.rollups.cases:count_case_resolutions",
    ),
    HandlerSpec(
        "survey.invitation_sent",
        "metrics.survey_invitations",
        "cgcrm.metrics.rollups.surveys:count_invitation",
        "cgcrm.metrics.rollups.surveys:count_invitations",
    ),
    HandlerSpec(
        "survey.response_recorded",
        "metrics.survey_responses",
        "cgcrm.metrics.rollups.surveys:count_response",
        "cgcrm.metrics.rollups.surveys:count_responses",
    ),
    HandlerSpec(
        "interaction.recorded",
        "surveys.invitation",
        "cgcrm.surveys.jobs:invite_after_contact",
        "cgcrm.surveys.jobs:invite_after_contacts",
    ),
    HandlerSpec(
        "citizen.merged",
        "metrics.merge_rollups",
        "cgcrm.metrics.rollups.merges:rebuild_after_merge",
    ),
    HandlerSpec(
        "citizen.unmerged",
        "metrics.unmerge_rollups",
        "cgcrm.metrics.rollups.merges:rebuild_after_merge",
    ),
    HandlerSpec(
        "citizen.consent_recorded",
        "citizens.consent_notification",
        "cgcrm.citizens.jobs:notify_consent_recorded",
    ),
    # Issue 11: the long jobs go on the imports queue, enqueued once their request committed.
    HandlerSpec(
        "citizen_import.requested",
        "imports.start",
        "cgcrm.integrations.imports.jobs:start_import",
    ),
    HandlerSpec(
        "duplicate_scan.requested",
        "matching.scan_start",
        "cgcrm.matching.scan_jobs:start_scan",
    ),
    # Issue 12: the sandbox gateway's work (authorise, capture, refund) runs in its jobs.
    HandlerSpec(
        "sandbox.work_requested",
        "payments.sandbox_gateway",
        "cgcrm.payments.providers.sandbox.jobs:queue_gateway_work",
    ),
    # Issue 13: a one-time code is made and sent once its request committed.
    HandlerSpec(
        "assurance.code_requested",
        "assurance.send_code",
        "cgcrm.assurance.jobs:send_verification_code",
    ),
)


class EventHandlingFailed(RuntimeError):
    """Some events of a batch failed; the others were applied. A retry redoes only the failed."""


def handlers_for(event_type: str, handlers: Sequence[HandlerSpec] = HANDLERS) -> list[HandlerSpec]:
    """The handlers registered for ``event_type``, in declaration order."""
    return [spec for spec in handlers if spec.event_type == event_type]


@cache
def _resolve(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


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


_CLAIM_ALL = text(
    "INSERT INTO processed_events (event_id, handler, processed_at) "
    "SELECT id, :handler, :now FROM unnest(CAST(:ids AS uuid[])) AS id ORDER BY id "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)


def _claim_all(event_ids: Sequence[uuid.UUID], handler: str) -> set[uuid.UUID]:
    """Insert the markers of many events in one statement; the ids whose marker is new.

    In id order, so two jobs claiming overlapping events wait for each other in one order. On
    PostgreSQL the ids go as one array: one prepared statement whatever the batch's size.
    """
    now = utcnow()
    ordered = sorted(set(event_ids))
    if db.session.get_bind().dialect.name == "postgresql":
        params = {"ids": array_literal(ordered), "handler": handler, "now": now}
        return set(db.session.scalars(_CLAIM_ALL, params))
    table = ProcessedEvent.__table__
    rows = [{"event_id": e, "handler": handler, "processed_at": now} for e in ordered]
    inserted = db.session.scalars(
        insert_ignoring_conflicts(table).values(rows).returning(table.c.event_id)
    )
    return set(inserted)


def _among(column: Any, ids: Sequence[uuid.UUID]) -> Any:
    """``column IN ids``; on PostgreSQL ``= ANY(array)``, one statement whatever the count."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(cast(bindparam("ids", array_literal(ids)), postgresql.ARRAY(Uuid)))
    return column.in_(ids)


def apply_batch(events: Sequence[OutboxEvent], spec: HandlerSpec) -> int:
    """Apply ``spec``'s batch handler to the events no earlier delivery applied, in one
    transaction.

    :returns: how many events it applied.
    :raises Exception: whatever the handler raised (the transaction was rolled back).
    """
    assert spec.batch_path is not None
    try:
        claimed = _claim_all([event.event_id for event in events], spec.name)
        if claimed:
            handler: BatchHandler = _resolve(spec.batch_path)
            handler([event for event in events if event.event_id in claimed])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(claimed)


def apply_in_sql(event_ids: Sequence[str], spec: HandlerSpec) -> int | None:
    """Apply ``spec``'s SQL path to the events among ``event_ids`` that no earlier delivery
    applied, in one transaction.

    :returns: how many events it applied, or None when the path does not apply here.
    :raises Exception: whatever the handler raised (the transaction was rolled back).
    """
    assert spec.sql_path is not None
    try:
        applied: int | None = _resolve(spec.sql_path)(event_ids)
        if applied is None:
            db.session.rollback()
            return None
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return applied


def _apply_sql_paths(
    event_ids: Sequence[str], handlers: Sequence[HandlerSpec], failed: list[str]
) -> tuple[int, set[str]]:
    """Run the SQL paths of ``handlers``; how many effects they applied, and the names of the
    handlers done with this job (applied, or failed transiently: noted in ``failed``). A
    handler whose SQL path failed otherwise is left to the batch and per-event paths."""
    applied = 0
    done: set[str] = set()
    for spec in handlers:
        if spec.sql_path is None:
            continue
        try:
            count = apply_in_sql(event_ids, spec)
        except Exception as exc:
            if not is_transient(exc):
                log.warning("handler %s: SQL path failed (%s); the other paths", spec.name, exc)
                continue
            log.exception("handler %s failed on %d events", spec.name, len(event_ids))
            failed.append(f"{len(event_ids)} events ({spec.name})")
            done.add(spec.name)
            continue
        if count is not None:
            applied += count
            done.add(spec.name)
    return applied, done


def apply_event(event: OutboxEvent, spec: HandlerSpec) -> bool:
    """Apply one handler to one event exactly once, in one transaction of its own.

    :returns: True when the handler ran, False when its marker showed an earlier delivery did.
    :raises Exception: whatever the handler raised (the transaction was rolled back).
    """
    try:
        applied = _claim(event.event_id, spec.name)
        if applied:
            handler: EventHandler = _resolve(spec.path)
            handler(event)
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


def process_events(event_ids: Sequence[str], handlers: Sequence[HandlerSpec] = HANDLERS) -> int:
    """RQ job: hand each outbox event of a relay batch to every handler of its type.

    A handler with a SQL path (PostgreSQL) claims and applies its events in one statement
    before any event is loaded. A handler with a batch function takes all its events of the
    batch in one transaction; if that fails for a reason a retry cannot cure, it is rolled back
    and its events go the per-event way. Each (event, handler) pair is then its own
    transaction, so one failing event neither undoes nor blocks the others. A transient
    failure (database or Redis away, a deadlock) fails the job, whose retry finds the applied
    pairs already marked; any other failure would recur on every retry, so that event is
    parked (``cgcrm.worker.parking``) and the job goes on.
    Events deleted by housekeeping, and parked ones, are skipped.

    :param event_ids: outbox ``event_id`` values as strings, in publication order.
    :param handlers: the handlers to run (default all; the metrics catch-up runs its own).
    :returns: how many (event, handler) effects were applied by this run.
    :raises EventHandlingFailed: at least one handler failed transiently (or could not be
        parked); the message names the events.
    """
    failed: list[str] = []
    applied, done = _apply_sql_paths([str(event_id) for event_id in event_ids], handlers, failed)
    handlers = [spec for spec in handlers if spec.name not in done]
    if handlers:
        applied += _apply_loaded(event_ids, handlers, failed)
    if failed:
        raise EventHandlingFailed(
            f"{len(failed)} of {len(event_ids)} events failed: {', '.join(failed)}"
        )
    return applied


def _apply_loaded(
    event_ids: Sequence[str], handlers: Sequence[HandlerSpec], failed: list[str]
) -> int:
    """The batch and per-event paths of ``process_events``: the events loaded, then each
    handler's batch, then every (event, handler) pair left, each in a transaction of its own.
    Failures are noted in ``failed``."""
    applied = 0
    ids = [uuid.UUID(str(event_id)) for event_id in event_ids]
    # Rows, not ORM objects: nothing to track, and the commits below expire nothing.
    events = OutboxEvent.__table__
    found: dict[uuid.UUID, Any] = {
        row.event_id: row
        for row in db.session.execute(select(events).where(_among(events.c.event_id, ids)))
    }
    parked = set(
        db.session.execute(
            select(ParkedEvent.event_id, ParkedEvent.handler).where(
                _among(ParkedEvent.event_id, ids)
            )
        ).tuples()
    )
    db.session.commit()
    batched: set[tuple[uuid.UUID, str]] = set()
    for spec in handlers:
        if spec.batch_path is None:
            continue
        batch = [
            found[event_id]
            for event_id in ids
            if event_id in found
            and found[event_id].type == spec.event_type
            and (event_id, spec.name) not in parked
        ]
        if not batch:
            continue
        try:
            applied += apply_batch(batch, spec)
        except Exception as exc:
            if not is_transient(exc):
                log.warning("handler %s: batch failed (%s); one event at a time", spec.name, exc)
                continue
            log.exception("handler %s failed on a batch of %d", spec.name, len(batch))
            failed.extend(f"{item.event_id} ({spec.name})" for item in batch)
        batched.update((item.event_id, spec.name) for item in batch)
    for event_id in ids:
        event = found.get(event_id)
        if event is None:
            log.warning("event %s is gone (past retention?); skipped", event_id)
            continue
        for spec in handlers_for(event.type, handlers):
            if (event_id, spec.name) in parked or (event_id, spec.name) in batched:
                continue  # parked: set aside until an administrator unparks it
            try:
                applied += apply_event(event, spec)
            except Exception as exc:
                if not is_transient(exc) and _parked(event, spec, exc):
                    continue
                log.exception("handler %s failed on event %s", spec.name, event_id)
                failed.append(f"{event_id} ({spec.name})")
    return applied
