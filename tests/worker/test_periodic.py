"""Periodic jobs: declared as data, enqueued with retries by one leader, and housekeeping."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from typing import Any

import redis
import sqlalchemy as sa
from flask import Flask

from cgcrm import jobs
from cgcrm.core.clock import utcnow
from cgcrm.core.idempotency import IdempotencyRecord
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.identity.models import RevokedToken
from cgcrm.worker.housekeeping import purge_expired_records
from cgcrm.worker.models import ProcessedEvent
from cgcrm.worker.periodic import PERIODIC_JOBS, PeriodicJob, build_scheduler, run_cron_loop


def test_periodic_jobs_are_declared_with_their_interval_settings(app: Flask) -> None:
    by_name = {spec.name: spec for spec in PERIODIC_JOBS}
    assert by_name["flag-breached-cases"].func == "cgcrm.cases.jobs.flag_breached_cases"
    assert by_name["flag-breached-cases"].interval_setting == "SLA_CHECK_INTERVAL"
    assert by_name["housekeeping"].interval_setting == "HOUSEKEEPING_INTERVAL"
    for spec in PERIODIC_JOBS:
        assert spec.queue in jobs.QUEUE_NAMES
        assert isinstance(app.config[spec.interval_setting], int)


def test_a_job_whose_module_does_not_exist_yet_is_not_scheduled(
    app: Flask, job_queues: redis.Redis
) -> None:
    specs = (
        PeriodicJob("later", "cgcrm.not_written_yet.jobs.run", "default", "SLA_CHECK_INTERVAL"),
        PERIODIC_JOBS[1],
    )
    scheduler = build_scheduler(app, job_queues, specs)
    assert [job.func_name for job in scheduler.get_jobs()] == [PERIODIC_JOBS[1].func]
    with app.app_context():
        job = scheduler.get_jobs()[0].enqueue(job_queues)
    assert job.origin == jobs.queue_name("default", app)
    assert job.retries_left == len(jobs.retry_intervals(app))
    assert job.timeout == app.config["JOB_TIMEOUT"]


def test_only_one_of_two_workers_enqueues_the_periodic_jobs(
    app: Flask, job_queues: redis.Redis
) -> None:
    stop = threading.Event()
    loops = [
        threading.Thread(target=run_cron_loop, args=(app, stop, redis.Redis.from_url(url)))
        for url in (app.config["REDIS_URL"], app.config["REDIS_URL"])
    ]
    for loop in loops:
        loop.start()
    time.sleep(2.5)
    stop.set()
    for loop in loops:
        loop.join(timeout=10)
    with app.app_context():
        queued = jobs.get_queue("default", job_queues).get_jobs()
    housekeeping = [j for j in queued if j.func_name == PERIODIC_JOBS[1].func]
    assert len(housekeeping) == 1  # hourly: enqueued once at start, by the leader only


def _event(**times: Any) -> OutboxEvent:
    return OutboxEvent(
        event_id=uuid.uuid4(),
        type="t.e",
        aggregate_type="t",
        aggregate_id=uuid.uuid4(),
        payload={},
        **times,
    )


def test_housekeeping_deletes_only_what_has_expired(app: Flask) -> None:
    now = utcnow()
    old = now - timedelta(days=app.config["OUTBOX_RETENTION_DAYS"] + 1)
    with app.app_context():
        published_old = _event(occurred_at=now, published_at=old)
        published_new = _event(occurred_at=now, published_at=now)
        unpublished_old = _event(occurred_at=old, published_at=None)
        db.session.add_all([published_old, published_new, unpublished_old])
        gone = uuid.uuid4()
        db.session.add_all(
            [
                ProcessedEvent(event_id=gone, handler="h", processed_at=old),
                ProcessedEvent(event_id=uuid.uuid4(), handler="h", processed_at=now),
                ProcessedEvent(event_id=unpublished_old.event_id, handler="h", processed_at=old),
            ]
        )
        for key, expires in (
            ("expired", now - timedelta(seconds=1)),
            ("live", now + timedelta(hours=1)),
        ):
            db.session.add(
                IdempotencyRecord(
                    principal_id="p",
                    scope="s",
                    key=key,
                    request_hash="h",
                    created_at=now - timedelta(days=1),
                    expires_at=expires,
                )
            )
            db.session.add(RevokedToken(jti=key, expires_at=expires))
        db.session.commit()

        assert purge_expired_records() == {
            "outbox_events": 1,
            "idempotency_keys": 1,
            "revoked_tokens": 1,
            "processed_events": 1,
        }
        events = set(db.session.scalars(sa.select(OutboxEvent.event_id)))
        assert events == {published_new.event_id, unpublished_old.event_id}
        assert gone not in set(db.session.scalars(sa.select(ProcessedEvent.event_id)))
        assert list(db.session.scalars(sa.select(IdempotencyRecord.key))) == ["live"]
        assert list(db.session.scalars(sa.select(RevokedToken.jti))) == ["live"]
        db.session.remove()
