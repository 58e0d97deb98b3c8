"""Events whose job Redis lost are published again, a bounded number of times, applied once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import redis
import sqlalchemy as sa
from flask import Flask

from cgcrm.core.clock import utcnow
from cgcrm.core.outbox import OutboxEvent, add_event
from cgcrm.extensions import db
from cgcrm.metrics.models import InteractionDailyRollup
from cgcrm.worker.handlers import handlers_for
from cgcrm.worker.models import ProcessedEvent
from cgcrm.worker.redelivery import redeliver_unhandled_events
from cgcrm.worker.relay import drain
from tests.conftest import purge_job_queues


def _age_publications(app: Flask) -> None:
    """What REDELIVERY_AFTER seconds of waiting would do."""
    with app.app_context():
        long_ago = utcnow() - timedelta(seconds=app.config["REDELIVERY_AFTER"] + 1)
        db.session.execute(
            sa.update(OutboxEvent)
            .where(OutboxEvent.published_at.is_not(None))
            .values(published_at=long_ago)
        )
        db.session.commit()
        db.session.remove()


def _counted(app: Flask) -> int:
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.sum(InteractionDailyRollup.interactions)))
        db.session.remove()
    return int(total or 0)


def test_a_job_lost_by_redis_is_published_again_and_applied_once(
    app: Flask, record_contact: Any, burst_worker: Any, job_queues: redis.Redis
) -> None:
    handled = record_contact()
    burst_worker()  # the first contact is handled
    lost = record_contact()
    with app.app_context():
        assert drain(job_queues) == 1  # published ...
        db.session.remove()
    purge_job_queues(app, job_queues)  # ... and gone with a Redis restart
    _age_publications(app)

    with app.app_context():
        assert redeliver_unhandled_events() == 1  # only the lost one lacks its marker
        db.session.remove()
    burst_worker()
    assert _counted(app) == 2
    with app.app_context():
        deliveries = dict(
            db.session.execute(sa.select(OutboxEvent.aggregate_id, OutboxEvent.deliveries)).all()
        )
        assert deliveries == {handled: 1, lost: 2}

    _age_publications(app)
    with app.app_context():
        assert redeliver_unhandled_events() == 0  # both applied: nothing to send again
        db.session.remove()


def test_redelivery_leaves_recent_unhandled_and_exhausted_events_alone(app: Flask) -> None:
    now = utcnow()
    old = now - timedelta(seconds=app.config["REDELIVERY_AFTER"] + 60)
    limit = app.config["MAX_DELIVERIES"]
    cases = {
        "lost": (old, 1, False),
        "recent": (now, 1, False),
        "handled": (old, 1, True),
        "exhausted": (old, limit, False),
        "never published": (None, 0, False),
    }
    with app.app_context():
        ids = {}
        for name, (published_at, deliveries, marked) in cases.items():
            event_id = add_event("interaction.recorded", "interaction", uuid.uuid4(), {"n": name})
            db.session.execute(
                sa.update(OutboxEvent)
                .where(OutboxEvent.event_id == event_id)
                .values(published_at=published_at, deliveries=deliveries)
            )
            if marked:  # by every handler of its type
                db.session.add_all(
                    ProcessedEvent(event_id=event_id, handler=spec.name, processed_at=now)
                    for spec in handlers_for("interaction.recorded")
                )
            ids[event_id] = name
        # An event type without handlers has nothing to wait for.
        add_event("citizen.created", "citizen", uuid.uuid4(), {})
        db.session.commit()

        assert redeliver_unhandled_events() == 1
        unpublished = db.session.scalars(
            sa.select(OutboxEvent.event_id).where(OutboxEvent.published_at.is_(None))
        ).all()
        assert sorted(ids[e] for e in unpublished if e in ids) == ["lost", "never published"]
        db.session.remove()
