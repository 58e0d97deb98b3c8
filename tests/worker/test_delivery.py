"""Writes never need Redis, and every event reaches its handler exactly once."""

from __future__ import annotations

from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask

from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.metrics.models import InteractionDailyRollup
from cgcrm.metrics.rollups.counted import ROLLUP_HANDLER
from cgcrm.worker.handlers import process_events
from cgcrm.worker.models import ProcessedEvent
from cgcrm.worker.relay import publish_pending_events
from tests.conftest import new_citizen_payload

DEAD_REDIS = "redis://127.0.0.1:1/15"


def _scalar(app: Flask, query: Any) -> Any:
    with app.app_context():
        value = db.session.scalar(query)
        db.session.remove()
    return value


def _state(app: Flask) -> dict[str, int]:
    return {
        "events": _scalar(app, sa.select(sa.func.count()).select_from(OutboxEvent)),
        "unpublished": _scalar(
            app, sa.select(sa.func.count()).where(OutboxEvent.published_at.is_(None))
        ),
        # The rollup's markers (the survey invitation handler marks the same events too).
        "markers": _scalar(
            app, sa.select(sa.func.count()).where(ProcessedEvent.handler == ROLLUP_HANDLER)
        ),
        "counted": _scalar(app, sa.select(sa.func.sum(InteractionDailyRollup.interactions))) or 0,
    }


def test_no_event_is_lost_while_redis_is_down(
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    staff: Any,
    record_contact: Any,
    burst_worker: Any,
) -> None:
    dead = redis.Redis.from_url(DEAD_REDIS, socket_connect_timeout=0.5, socket_timeout=0.5)
    monkeypatch.setitem(app.config, "REDIS_URL", DEAD_REDIS)
    monkeypatch.setitem(app.extensions, "cgcrm.redis", dead)
    for _ in range(3):
        created = staff.post("/api/v1/citizens?on_match=create", json=new_citizen_payload())
        assert created.status_code == 201, created.get_json()
        record_contact()
        with app.app_context():
            with pytest.raises(redis.RedisError):
                publish_pending_events()
            db.session.remove()
    with pytest.raises(redis.RedisError):
        burst_worker()
    before = _state(app)
    assert before["unpublished"] == before["events"] >= 6
    assert before["markers"] == before["counted"] == 0

    monkeypatch.undo()
    burst_worker()
    delivered = _state(app)
    assert delivered["unpublished"] == 0
    # Three interaction.recorded events, each rolled up once; citizen events have no handler.
    assert delivered["markers"] == 3
    assert delivered["counted"] == 3

    # A relay that crashed between Redis and its commit publishes everything again.
    with app.app_context():
        db.session.execute(sa.update(OutboxEvent).values(published_at=None))
        db.session.commit()
        db.session.remove()
    burst_worker()
    assert _state(app) == delivered


def test_a_redelivered_batch_has_no_second_effect(
    app: Flask, record_contact: Any, job_queues: redis.Redis
) -> None:
    record_contact()
    record_contact(channel="web", outcome="completed", transaction_stage="completed")
    with app.app_context():
        ids = [str(e) for e in db.session.scalars(sa.select(OutboxEvent.event_id))]
        assert process_events(ids) == 4  # two contacts, two handlers (rollup, invitation)
        assert process_events(ids) == 0
        db.session.remove()
    state = _state(app)
    assert (state["markers"], state["counted"]) == (2, 2)
