"""Which raw rows the rollups count: those whose event the metrics handler has processed, or
whose event is gone. A rebuild leaves out the rest, and the handler adds them when it runs, so
the two never count a row twice nor miss one."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Select, exists, select

from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.worker.models import ProcessedEvent

# The handlers' names key processed_events; renaming one would make every event look new.
ROLLUP_HANDLER = "metrics.interaction_daily_rollups"
RECORDED_EVENT = "interaction.recorded"
CASE_HANDLER = "metrics.case_resolutions"
CASE_EVENT = "case.status_changed"
INVITATIONS_HANDLER = "metrics.survey_invitations"
INVITATION_EVENT = "survey.invitation_sent"
RESPONSES_HANDLER = "metrics.survey_responses"
RESPONSE_EVENT = "survey.response_recorded"
# Ids per IN list: well within SQLite's and PostgreSQL's limits on parameters.
CHUNK = 5000


def pending_select(event_type: str, handler: str) -> Select[tuple[uuid.UUID]]:
    """Aggregate ids of the events of ``event_type`` that ``handler`` has not processed."""
    processed = exists().where(
        ProcessedEvent.event_id == OutboxEvent.event_id, ProcessedEvent.handler == handler
    )
    return select(OutboxEvent.aggregate_id).where(OutboxEvent.type == event_type, ~processed)


def pending_among(event_type: str, handler: str, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``ids`` whose event ``handler`` has not processed (uncounted rows)."""
    wanted = sorted(set(ids))
    pending: set[uuid.UUID] = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        query = pending_select(event_type, handler).where(OutboxEvent.aggregate_id.in_(chunk))
        pending.update(db.session.scalars(query))
    return pending


def all_pending(event_type: str, handler: str) -> set[uuid.UUID]:
    """Every aggregate id whose event ``handler`` has not processed."""
    return set(db.session.scalars(pending_select(event_type, handler)))
