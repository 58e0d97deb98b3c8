"""The outbox relay publishes in order, once per pass, and never while another relay does."""

from __future__ import annotations

import threading
import uuid

import pytest
import redis
import sqlalchemy as sa
from flask import Flask

from cgcrm import jobs
from cgcrm.core.outbox import OutboxEvent, add_event
from cgcrm.extensions import db
from cgcrm.worker.relay import RELAY_LOCK_KEY, publish_pending_events, route


def _add_events(app: Flask, count: int) -> list[str]:
    """Insert events one transaction each; return their ids in seq order."""
    with app.app_context():
        for n in range(count):
            add_event("test.happened", "test", uuid.uuid4(), {"n": n})
            db.session.commit()
        ids = db.session.scalars(sa.select(OutboxEvent.event_id).order_by(OutboxEvent.seq))
        result = [str(event_id) for event_id in ids]
        db.session.remove()
    return result


def _unpublished(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count()).where(OutboxEvent.published_at.is_(None))
        )
        db.session.remove()
    return int(count or 0)


def _queued_event_ids(app: Flask, connection: redis.Redis) -> list[str]:
    with app.app_context():
        queued = jobs.get_queue("metrics", connection).get_jobs()
    return [event_id for job in queued for event_id in job.args[0]]


@pytest.mark.smoke
def test_relay_publishes_batches_in_seq_order_and_marks_them(
    app: Flask, job_queues: redis.Redis
) -> None:
    expected = _add_events(app, 7)
    with app.app_context():
        assert publish_pending_events(events_per_job=3) == 7
        queued = jobs.get_queue("metrics", job_queues).get_jobs()
        assert [len(job.args[0]) for job in queued] == [3, 3, 1]
        job = queued[0]
        assert job.func_name == "cgcrm.worker.handlers.process_events"
        assert job.retries_left == len(jobs.retry_intervals())
        assert job.timeout == app.config["JOB_TIMEOUT"]
        assert publish_pending_events() == 0
        db.session.remove()
    assert _queued_event_ids(app, job_queues) == expected
    assert _unpublished(app) == 0


def test_routes_are_data_with_a_catch_all() -> None:
    assert route("interaction.recorded") == "metrics"
    assert route("case.opened") == "metrics"
    with pytest.raises(LookupError):
        route("x", routes=(("case.", "default"),))


def _postgresql_only(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("advisory locks and SKIP LOCKED are PostgreSQL's")


def test_a_relay_pass_waits_for_none_while_another_holds_the_lock(
    app: Flask, job_queues: redis.Redis
) -> None:
    _postgresql_only(app)
    _add_events(app, 3)
    other = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with other.connect() as conn, conn.begin():
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": RELAY_LOCK_KEY})
        with app.app_context():
            assert publish_pending_events() == 0  # returns at once, publishes nothing
            db.session.remove()
    other.dispose()
    with app.app_context():
        assert publish_pending_events() == 3
        db.session.remove()


def test_two_relays_at_once_neither_duplicate_nor_reorder(
    app: Flask, job_queues: redis.Redis
) -> None:
    _postgresql_only(app)
    expected = _add_events(app, 300)
    start = threading.Barrier(2)
    passes: list[int] = []
    errors: list[BaseException] = []

    def relay() -> None:
        try:
            with app.app_context():
                start.wait()
                while _unpublished(app):
                    passes.append(publish_pending_events(limit=20, events_per_job=7))
                db.session.remove()
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=relay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(passes) == 300
    assert _queued_event_ids(app, job_queues) == expected


def test_redis_down_rolls_the_pass_back(app: Flask, job_queues: redis.Redis) -> None:
    _add_events(app, 4)
    dead = redis.Redis.from_url("redis://127.0.0.1:1/15", socket_connect_timeout=0.5)
    with app.app_context():
        with pytest.raises(redis.RedisError):
            publish_pending_events(connection=dead)
        db.session.remove()
    assert _unpublished(app) == 4
    with app.app_context():
        assert publish_pending_events() == 4
        db.session.remove()
