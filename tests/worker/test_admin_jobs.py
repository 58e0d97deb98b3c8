"""Administrators see failed jobs with their retries, requeue them, and see the relay backlog."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import redis
from flask import Flask

from cgcrm import jobs
from cgcrm.core.outbox import add_event
from cgcrm.extensions import db

URL = "/api/v1/admin/jobs"
FAILING = "cgcrm.metrics.rollups.rebuild.rebuild_rollups"


def _metrics(admin: Any, state: str) -> dict[str, Any]:
    response = admin.get(URL, query_string={"state": state, "queue": "metrics"})
    assert response.status_code == 200, response.get_json()
    (queue,) = response.get_json()["queues"]
    assert queue["queue"] == "metrics"
    return dict(queue)


def test_a_failing_job_retries_then_shows_as_failed_and_requeues(
    app: Flask,
    make_api: Any,
    burst_worker: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "JOB_RETRY_INTERVALS", "1")
    admin = make_api("admin")
    with app.app_context():
        # A real job that fails for real: its range is inverted.
        job = jobs.enqueue(FAILING, "2026-03-02", "2026-03-01", queue="metrics")
    burst_worker(with_relay=False)

    waiting = _metrics(admin, "scheduled")
    assert waiting["counts"] == {"queued": 0, "started": 0, "failed": 0, "scheduled": 1}
    (retry,) = waiting["scheduled"]
    assert (retry["id"], retry["retries_left"], retry["state"]) == (job.id, 0, "scheduled")
    assert retry["scheduled_for"] is not None
    assert "day_to is before day_from" in retry["error"][-1]

    time.sleep(1.2)
    burst_worker(with_relay=False)  # the retry is due: queued by the scheduler, fails again
    failed = _metrics(admin, "failed")
    assert failed["counts"]["failed"] == 1 and failed["counts"]["scheduled"] == 0
    (shown,) = failed["failed"]
    assert shown["id"] == job.id
    assert shown["function"] == FAILING
    assert shown["arguments"] == ["<text, 10 characters>", "<text, 10 characters>"]
    assert shown["retries_left"] == 0
    assert shown["failed_at"] is not None
    assert shown["error"] and "ValidationError" in shown["error"][-1]
    assert not any("[parameters:" in line for line in shown["error"])

    requeued = admin.post(f"{URL}/{job.id}/requeue", json={})
    assert requeued.status_code == 200, requeued.get_json()
    assert requeued.get_json()["state"] == "queued"
    assert requeued.get_json()["retries_left"] == 1
    after = _metrics(admin, "failed")
    assert after["counts"]["queued"] == 1 and after["counts"]["failed"] == 0

    again = admin.post(f"{URL}/{job.id}/requeue", json={})
    assert again.status_code == 409
    assert again.content_type == "application/problem+json"


def test_unknown_jobs_are_404(make_api: Any, job_queues: redis.Redis) -> None:
    admin = make_api("admin")
    for job_id in (uuid.uuid4().hex, "nope!", "x" * 300):
        response = admin.post(f"{URL}/{job_id}/requeue", json={})
        assert response.status_code == 404, job_id
        assert response.content_type == "application/problem+json"


def test_the_overview_lists_every_queue_and_the_relay_backlog(
    app: Flask, make_api: Any, job_queues: redis.Redis
) -> None:
    with app.app_context():
        add_event("test.happened", "test", uuid.uuid4(), {})
        db.session.commit()
        db.session.remove()
    body = make_api("admin").get(URL).get_json()
    assert [q["queue"] for q in body["queues"]] == list(jobs.QUEUE_NAMES)
    assert body["relay"]["unpublished"] == 1
    assert body["relay"]["oldest_unpublished_age_seconds"] >= 0


def test_a_bad_filter_is_422(make_api: Any, job_queues: redis.Redis) -> None:
    response = make_api("admin").get(URL, query_string={"state": "exploded"})
    assert response.status_code == 422


def test_jobs_are_for_administrators_only(make_api: Any, job_queues: redis.Redis) -> None:
    staff = make_api("citizens:read citizens:write metrics:read")
    assert staff.get(URL).status_code == 403
    assert staff.post(f"{URL}/{uuid.uuid4().hex}/requeue", json={}).status_code == 403


def test_redis_down_is_503_not_500(
    app: Flask, make_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = make_api("admin")
    dead = redis.Redis.from_url("redis://127.0.0.1:1/15", socket_connect_timeout=0.5)
    monkeypatch.setitem(app.extensions, "cgcrm.redis", dead)
    response = admin.get(URL)
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
