"""The handler registry and the batch job's failure isolation."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from flask import Flask

from cgcrm.core.outbox import OutboxEvent, add_event
from cgcrm.extensions import db
from cgcrm.metrics.models import InteractionDailyRollup
from cgcrm.metrics.rollups.counted import ROLLUP_HANDLER
from cgcrm.worker.handlers import HANDLERS, handlers_for, process_events
from cgcrm.worker.models import ParkedEvent, ProcessedEvent


def test_the_rollup_handler_is_registered_under_its_marker_name() -> None:
    assert [spec.name for spec in handlers_for("interaction.recorded")] == [
        ROLLUP_HANDLER,
        "surveys.invitation",
    ]
    assert handlers_for("citizen.created") == []
    assert len({spec.name for spec in HANDLERS}) == len(HANDLERS)


def test_one_bad_event_is_parked_and_its_batch_goes_on(app: Flask, record_contact: Any) -> None:
    record_contact()
    with app.app_context():
        bad = add_event("interaction.recorded", "interaction", uuid.uuid4(), {"nothing": 1})
        db.session.commit()
        ids = [str(e) for e in db.session.scalars(sa.select(OutboxEvent.event_id))]
        # The good event's two handlers (rollup, survey invitation) apply. A malformed payload
        # fails the same on every retry, so the survey handler parks it; on PostgreSQL the
        # rollups read the event's contact, not its payload, and count nothing for a contact
        # that does not exist (elsewhere they read the payload, and park it too).
        on_postgresql = db.engine.dialect.name == "postgresql"
        assert process_events(ids) == (3 if on_postgresql else 2)
        markers = list(db.session.scalars(sa.select(ProcessedEvent.event_id)))
        assert (bad in markers) is on_postgresql
        parked = list(db.session.scalars(sa.select(ParkedEvent.event_id)))
        assert parked == ([bad] if on_postgresql else [bad, bad])
        assert db.session.scalar(sa.select(sa.func.sum(InteractionDailyRollup.interactions))) == 1
        # A second delivery applies nothing twice and leaves the parked event alone.
        assert process_events(ids) == 0
        assert db.session.scalar(sa.select(sa.func.sum(InteractionDailyRollup.interactions))) == 1
        db.session.remove()


def test_events_gone_by_retention_are_skipped(app: Flask) -> None:
    with app.app_context():
        assert process_events([str(uuid.uuid4())]) == 0
        db.session.remove()
