"""A handler that meets a row it cannot process parks the event, visibly, instead of retrying."""

from __future__ import annotations

import uuid
from typing import Any

import redis
import sqlalchemy as sa
from flask import Flask
from psycopg.errors import NumericValueOutOfRange
from sqlalchemy.exc import DataError, OperationalError

from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.metrics.models import InteractionDailyRollup
from cgcrm.metrics.rollups.counted import ROLLUP_HANDLER
from cgcrm.worker.housekeeping import purge_expired_records
from cgcrm.worker.models import ParkedEvent, ProcessedEvent
from cgcrm.worker.parking import is_transient, unpark_events
from cgcrm.worker.redelivery import redeliver_unhandled_events

JOBS = "/api/v1/admin/jobs"


def _counted(app: Flask) -> int:
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.sum(InteractionDailyRollup.interactions)))
        db.session.remove()
    return int(total or 0)


def _poison(app: Flask, interaction_id: uuid.UUID) -> None:
    """What the review stored through the API before dates were bounded: 31 Dec of year 0 in
    UTC, which PostgreSQL holds and Python cannot."""
    with app.app_context():
        db.session.execute(
            sa.text(
                "UPDATE interactions SET started_at = '0001-01-01T00:00:00+14:00' WHERE id = :id"
            ),
            {"id": interaction_id},
        )
        db.session.commit()
        db.session.remove()


def test_a_poisoned_row_is_parked_shown_and_not_retried(
    app: Flask,
    record_contact: Any,
    burst_worker: Any,
    make_api: Any,
    job_queues: redis.Redis,
    monkeypatch: Any,
) -> None:
    record_contact()
    poisoned = record_contact()
    _poison(app, poisoned)

    burst_worker()

    assert _counted(app) == 1  # the healthy contact was counted all the same
    with app.app_context():
        (parked,) = db.session.scalars(sa.select(ParkedEvent)).all()
        assert parked.handler == ROLLUP_HANDLER
        assert parked.event_type == "interaction.recorded"
        assert parked.parked_at is not None
        assert "DataError" in parked.reason or "range" in parked.reason, parked.reason
        assert "[parameters:" not in parked.reason
        event_id = parked.event_id
        db.session.remove()

    body = make_api("admin").get(JOBS).get_json()
    assert body["parked"]["count"] == 1
    (shown,) = body["parked"]["latest"]
    assert shown["event_id"] == str(event_id)
    assert shown["handler"] == ROLLUP_HANDLER and shown["reason"]
    metrics = next(q for q in body["queues"] if q["queue"] == "metrics")
    assert metrics["counts"]["failed"] == 0 and metrics["counts"]["scheduled"] == 0

    # The redelivery sweep leaves a parked event alone.
    monkeypatch.setitem(app.config, "REDELIVERY_AFTER", 0)
    with app.app_context():
        assert redeliver_unhandled_events() == 0
        db.session.remove()

    # Once the row is repaired, unparking hands the event back, and it is counted once.
    with app.app_context():
        db.session.execute(
            sa.text(
                "UPDATE interactions SET started_at = ended_at - interval '5 minutes' "
                "WHERE id = :id"
            ),
            {"id": poisoned},
        )
        db.session.commit()
        assert unpark_events([event_id]) == 1
        db.session.remove()
    burst_worker()
    assert _counted(app) == 2
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ParkedEvent)) == 0
        rolled_up = sa.select(sa.func.count()).where(ProcessedEvent.handler == ROLLUP_HANDLER)
        assert db.session.scalar(rolled_up) == 2
        db.session.remove()


def test_a_contact_with_an_absurd_handling_time_is_parked_not_counted(
    app: Flask,
    record_contact: Any,
    burst_worker: Any,
    job_queues: redis.Redis,
    monkeypatch: Any,
) -> None:
    record_contact()
    absurd = record_contact()
    with app.app_context():
        db.session.execute(
            sa.text("UPDATE interactions SET ended_at = '9000-01-01T00:00:00Z' WHERE id = :id"),
            {"id": absurd},
        )
        db.session.commit()
        db.session.remove()
    burst_worker()
    assert _counted(app) == 1
    with app.app_context():
        (parked,) = db.session.scalars(sa.select(ParkedEvent)).all()
        assert "ImplausibleContact" in parked.reason and str(absurd) in parked.reason
        seconds = sa.func.sum(InteractionDailyRollup.handling_seconds)
        assert db.session.scalar(sa.select(seconds)) == 300
        # Housekeeping keeps a parked event, so that it can still be unparked.
        monkeypatch.setitem(app.config, "OUTBOX_RETENTION_DAYS", 0)
        assert purge_expired_records()["outbox_events"] == 1
        remaining = db.session.scalars(sa.select(OutboxEvent.event_id)).all()
        assert remaining == [parked.event_id]
        db.session.remove()


def test_only_failures_a_retry_may_cure_are_transient() -> None:
    lost = OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    assert is_transient(lost)
    assert is_transient(redis.ConnectionError("refused"))
    out_of_range = DataError("SELECT 1", {}, NumericValueOutOfRange("integer out of range"))
    assert not is_transient(out_of_range)
    assert not is_transient(KeyError("interaction_id"))
    assert not is_transient(OverflowError("date value out of range"))
