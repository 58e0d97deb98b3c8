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
from cgcrm.identity.federation.models import FederatedSignIn
from cgcrm.identity.models import AuthorizationCode, RevokedToken
from cgcrm.identity.service import create_user
from cgcrm.worker import periodic_runs
from cgcrm.worker.housekeeping import purge_expired_records
from cgcrm.worker.models import ProcessedEvent
from cgcrm.worker.periodic import (
    PERIODIC_JOBS,
    PeriodicJob,
    build_scheduler,
    periodic_status,
    run_cron_loop,
)


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
            db.session.add(
                FederatedSignIn(
                    state_hash=key,
                    provider="gov",
                    nonce="n",
                    code_verifier="v",
                    authorize_query="",
                    client_id="c",
                    expires_at=expires,
                )
            )
        clerk = create_user("housekeeping@council.example", "front_office", "RATES")
        for code, expires in (
            ("expired", now - timedelta(seconds=1)),
            ("live", now + timedelta(minutes=5)),
        ):
            db.session.add(
                AuthorizationCode(
                    code_hash=code,
                    client_id="c",
                    user_id=clerk.id,
                    redirect_uri="https://x.example/cb",
                    scope="openid",
                    code_challenge="c" * 43,
                    code_challenge_method="S256",
                    expires_at=expires,
                )
            )
        db.session.commit()

        assert purge_expired_records() == {
            "outbox_events": 1,
            "idempotency_keys": 1,
            "revoked_tokens": 1,
            "federated_sign_ins": 1,
            "authorization_codes": 1,
            "processed_events": 1,
        }
        events = set(db.session.scalars(sa.select(OutboxEvent.event_id)))
        assert events == {published_new.event_id, unpublished_old.event_id}
        assert gone not in set(db.session.scalars(sa.select(ProcessedEvent.event_id)))
        assert list(db.session.scalars(sa.select(IdempotencyRecord.key))) == ["live"]
        assert list(db.session.scalars(sa.select(RevokedToken.jti))) == ["live"]
        assert list(db.session.scalars(sa.select(FederatedSignIn.state_hash))) == ["live"]
        assert list(db.session.scalars(sa.select(AuthorizationCode.code_hash))) == ["live"]
        db.session.remove()


def test_the_leader_moves_due_retries_onto_their_queue(app: Flask, job_queues: redis.Redis) -> None:
    with app.app_context():
        queue = jobs.get_queue("metrics", job_queues)
        job = queue.enqueue_in(timedelta(seconds=0), "cgcrm.worker.housekeeping.no_such_job")
    assert job.id in queue.scheduled_job_registry
    stop = threading.Event()
    loop = threading.Thread(
        target=run_cron_loop, args=(app, stop, redis.Redis.from_url(app.config["REDIS_URL"]))
    )
    loop.start()
    time.sleep(1.5)
    stop.set()
    loop.join(timeout=10)
    assert job.id not in queue.scheduled_job_registry
    assert job.id in queue.get_job_ids()


def _stamp(connection: redis.Redis, app: Flask, name: str, **times: float) -> None:
    connection.hset(periodic_runs.run_key(app.config["QUEUE_NAMESPACE"], name), mapping=times)


def test_the_admin_view_and_readyz_show_when_periodic_jobs_ran_and_flag_the_late_ones(
    app: Flask, job_queues: redis.Redis, make_api: Any, client: Any
) -> None:
    now = utcnow().timestamp()
    late = app.config["HOUSEKEEPING_INTERVAL"] + app.config["PERIODIC_GRACE"] + 60
    _stamp(job_queues, app, "flag-breached-cases", enqueued_at=now - 2, succeeded_at=now - 1)
    _stamp(job_queues, app, "seal-audit-trail", enqueued_at=now - 2, succeeded_at=now - 1)
    _stamp(job_queues, app, "metrics-catch-up", enqueued_at=now - 2, succeeded_at=now - 1)
    _stamp(job_queues, app, "metrics-reconcile", enqueued_at=now - 2, succeeded_at=now - 1)
    _stamp(job_queues, app, "expire-survey-invitations", enqueued_at=now - 2, succeeded_at=now - 1)
    _stamp(job_queues, app, "expire-payments", enqueued_at=now - 2, succeeded_at=now - 1)
    _stamp(job_queues, app, "reconcile-payments", enqueued_at=now - 2, succeeded_at=now - 1)
    _stamp(
        job_queues,
        app,
        "sandbox-redeliver-notifications",
        enqueued_at=now - 2,
        succeeded_at=now - 1,
    )
    _stamp(job_queues, app, "housekeeping", succeeded_at=now - late, failed_at=now - 5)
    # redeliver-unhandled-events: never ran

    response = make_api("admin").get("/api/v1/admin/jobs")
    assert response.status_code == 200, response.get_json()
    runs = {run["name"]: run for run in response.get_json()["periodic"]}
    assert set(runs) == {spec.name for spec in PERIODIC_JOBS}
    assert runs["flag-breached-cases"]["overdue"] is False
    assert runs["flag-breached-cases"]["last_succeeded_at"] is not None
    assert runs["housekeeping"]["overdue"] is True
    assert runs["housekeeping"]["last_failed_at"] is not None
    assert runs["redeliver-unhandled-events"] == {
        "name": "redeliver-unhandled-events",
        "interval_seconds": app.config["REDELIVERY_INTERVAL"],
        "last_enqueued_at": None,
        "last_succeeded_at": None,
        "last_failed_at": None,
        "overdue": True,
    }

    ready = client.get("/readyz")
    assert ready.status_code == 200  # shown, not judged: the API itself is ready
    overdue = {run["name"] for run in ready.get_json()["periodic"] if run["overdue"]}
    assert overdue == {"housekeeping", "redeliver-unhandled-events"}


def test_a_periodic_job_stamps_its_enqueue_and_success(
    app: Flask, job_queues: redis.Redis, burst_worker: Any
) -> None:
    spec = next(spec for spec in PERIODIC_JOBS if spec.name == "housekeeping")
    with app.app_context():
        build_scheduler(app, job_queues, (spec,)).get_jobs()[0].enqueue(job_queues)
    burst_worker(with_relay=False)
    (run,) = [run for run in periodic_status(app, job_queues) if run["name"] == "housekeeping"]
    assert run["last_enqueued_at"] is not None
    assert run["last_succeeded_at"] >= run["last_enqueued_at"]
    assert run["last_failed_at"] is None and run["overdue"] is False
