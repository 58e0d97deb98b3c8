"""The real ``flask worker``: every queue, and a job killed mid-way is retried and applied once.

The job is held mid-transaction by a row lock this test takes on the rollup bucket it updates.
RQ runs each job in a work horse with a process group of its own, so killing the worker's group
leaves the horse running; a crashed host kills both, which is what the test does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from rq import Worker
from rq.job import Job, JobStatus

from cgcrm import jobs
from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.metrics.models import InteractionDailyRollup
from cgcrm.metrics.rollups.counted import ROLLUP_HANDLER
from cgcrm.worker.models import ProcessedEvent
from cgcrm.worker.periodic import PERIODIC_JOBS, periodic_status
from cgcrm.worker.runner import build_worker

ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_listens_on_every_queue(app: Flask, job_queues: redis.Redis) -> None:
    worker = build_worker(app, job_queues)
    assert worker.queue_names() == [jobs.queue_name(name, app) for name in jobs.QUEUE_NAMES]
    assert set(jobs.QUEUE_NAMES) == {"default", "metrics", "webhooks", "imports", "notifications"}


def _wait_for(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _horses(worker_pid: int) -> list[int]:
    """The worker's children that lead a process group of their own: its work horses."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        pid, ppid, pgrp = int(stat.parent.name), int(fields[1]), int(fields[2])
        if ppid == worker_pid and pgrp == pid:
            found.append(pid)
    return found


class WorkerProcesses:
    """``flask worker`` subprocesses with short crash-recovery settings, one session each."""

    def __init__(self, app: Flask, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []
        self.env = {
            **os.environ,
            "CGCRM_ENV": "test",
            "CGCRM_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "CGCRM_REDIS_URL": app.config["REDIS_URL"],
            "CGCRM_QUEUE_NAMESPACE": app.config["QUEUE_NAMESPACE"],
            "CGCRM_JWT_PRIVATE_KEY_FILE": app.config["JWT_PRIVATE_KEY_FILE"],
            "CGCRM_WORKER_TTL": "3",
            "CGCRM_WORKER_MAINTENANCE_INTERVAL": "1",
            # No backoff, so a retry is due at once.
            "CGCRM_JOB_RETRY_INTERVALS": "0,0,0",
            "CGCRM_RELAY_INTERVAL": "0.2",
        }

    def start(self) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{len(self.started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                # A horse has a process group of its own and may be stuck behind a test's lock.
                for horse in _horses(process.pid):
                    os.kill(horse, signal.SIGKILL)
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


@pytest.fixture
def workers(app: Flask, job_queues: redis.Redis, tmp_path: Path) -> Iterator[WorkerProcesses]:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("needs a database shared with a subprocess and row locks")
    processes = WorkerProcesses(app, tmp_path)
    yield processes
    processes.stop_all()


def _counted(app: Flask) -> tuple[int, int]:
    with app.app_context():
        # The rollup's markers: what this file follows (other handlers of the event mark too).
        markers = db.session.scalar(
            sa.select(sa.func.count()).where(ProcessedEvent.handler == ROLLUP_HANDLER)
        )
        total = db.session.scalar(sa.select(sa.func.sum(InteractionDailyRollup.interactions)))
        db.session.remove()
    return int(markers or 0), int(total or 0)


def _lock_waiters(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            or 0
        )


def _metrics_job(app: Flask, connection: redis.Redis, registry: str) -> list[str]:
    with app.app_context():
        queue = jobs.get_queue("metrics", connection)
    return list(getattr(queue, registry).get_job_ids(cleanup=False))


def test_a_job_killed_mid_transaction_is_retried_and_applied_once(
    app: Flask,
    workers: WorkerProcesses,
    record_contact: Any,
    burst_worker: Any,
    job_queues: redis.Redis,
) -> None:
    record_contact()
    burst_worker()  # the bucket's row now exists, so the test can lock it
    assert _counted(app) == (1, 1)

    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    holder = engine.connect()
    lock = holder.begin()
    holder.execute(sa.text("SELECT 1 FROM interaction_daily_rollups FOR UPDATE"))
    try:
        record_contact()
        first = workers.start()
        _wait_for("the job to block on the bucket's row", lambda: _lock_waiters(engine))
        registered = Worker.all(queue=jobs.get_queue("metrics", job_queues, app))
        (listening,) = [w for w in registered if w.pid == first.pid]
        assert listening.queue_names() == [jobs.queue_name(n, app) for n in jobs.QUEUE_NAMES]
        (job_id,) = _metrics_job(app, job_queues, "started_job_registry")

        horses = _horses(first.pid)
        assert horses, "the job runs in a work horse"
        os.killpg(first.pid, signal.SIGKILL)
        for horse in horses:
            os.kill(horse, signal.SIGKILL)
        first.wait(timeout=10)
        # Nobody is left to report the job: it stays "started" until its heartbeat lapses.
        assert _metrics_job(app, job_queues, "started_job_registry") == [job_id]

        workers.start()
    finally:
        lock.rollback()
        holder.close()
    job = Job.fetch(job_id, connection=job_queues)
    _wait_for("the retried job to finish", lambda: job.get_status() == JobStatus.FINISHED)
    job.refresh()
    assert job.retries_left == 2  # one retry spent on the abandoned run
    assert _counted(app) == (2, 2)

    # The work horse alone killed: the worker sees it die and retries at once.
    holder = engine.connect()
    lock = holder.begin()
    holder.execute(sa.text("SELECT 1 FROM interaction_daily_rollups FOR UPDATE"))
    try:
        record_contact()
        second = workers.started[-1]
        _wait_for("the next job to block", lambda: _lock_waiters(engine))
        (job_id,) = _metrics_job(app, job_queues, "started_job_registry")
        (horse,) = _horses(second.pid)
        os.kill(horse, signal.SIGKILL)
        _wait_for("a new horse to block again", lambda: set(_horses(second.pid)) - {horse})
    finally:
        lock.rollback()
        holder.close()
        engine.dispose()
    job = Job.fetch(job_id, connection=job_queues)
    _wait_for("the retried job to finish", lambda: job.get_status() == JobStatus.FINISHED)
    job.refresh()
    assert job.retries_left == 2
    assert _counted(app) == (3, 3)
    assert _metrics_job(app, job_queues, "failed_job_registry") == []


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for whichever process adopted it to reap it."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _periodic_runs(app: Flask, connection: redis.Redis) -> dict[str, dict[str, Any]]:
    return {run["name"]: run for run in periodic_status(app, connection)}


def test_a_sigkilled_worker_leaves_no_child_and_its_successor_runs_the_periodic_jobs(
    app: Flask,
    workers: WorkerProcesses,
    record_contact: Any,
    burst_worker: Any,
    job_queues: redis.Redis,
    client: FlaskClient,
) -> None:
    # Every 2 s: six periodic jobs a second, each in a forked horse, outran the one worker on a
    # busy machine, and the contact's job queued behind them past the test's timeouts. So at
    # most three of them a second, however many there are (nine with the payments' three).
    every = str(max(2, -(-len(PERIODIC_JOBS) // 3)))
    workers.env.update({f"CGCRM_{spec.interval_setting}": every for spec in PERIODIC_JOBS})
    workers.env["CGCRM_CRON_LEADER_TTL"] = "2"
    record_contact()
    burst_worker()  # the bucket's row now exists, so the test can lock it

    first = workers.start()
    started = utcnow()
    _wait_for(
        "the first worker to run every periodic job",
        lambda: all(
            run["last_succeeded_at"] and run["last_succeeded_at"] > started
            for run in _periodic_runs(app, job_queues).values()
        ),
    )

    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    holder = engine.connect()
    lock = holder.begin()
    holder.execute(sa.text("SELECT 1 FROM interaction_daily_rollups FOR UPDATE"))
    try:
        record_contact()
        _wait_for("a job to block in a work horse", lambda: _lock_waiters(engine))
        children = _children(first.pid)
        assert _horses(first.pid), "the job runs in a work horse"
        # The worker alone, as the kernel's OOM killer or `kill -9 <pid>` would.
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        killed = utcnow()
        # Blocked on the test's row lock, the horse would otherwise live on until it is freed.
        _wait_for("every child of the killed worker to die", lambda: not any(map(_alive, children)))
    finally:
        lock.rollback()
        holder.close()
        engine.dispose()

    workers.start()
    # Bounded by the leader lock's TTL (2 s here) plus the worker's start-up.
    _wait_for(
        "the new worker to run every periodic job",
        lambda: all(
            run["last_succeeded_at"] and run["last_succeeded_at"] > killed
            for run in _periodic_runs(app, job_queues).values()
        ),
        timeout=20,
    )
    _wait_for("the abandoned job's retry to apply", lambda: _counted(app) == (2, 2))
    ready = client.get("/readyz").get_json()
    assert {run["name"] for run in ready["periodic"]} == {spec.name for spec in PERIODIC_JOBS}
    assert not any(run["overdue"] for run in ready["periodic"])
