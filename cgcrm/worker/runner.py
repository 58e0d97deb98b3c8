"""The worker process: an RQ worker on every queue, the relay thread and the scheduler thread.

Relay and scheduler are threads of the worker process rather than processes of their own: they
only wait on PostgreSQL and Redis, they die with the worker (nothing to orphan), and a second
worker is a second copy of the whole set. That includes RQ's own scheduler (due retries), which
RQ would fork as a process that outlives a SIGKILLed worker. Jobs run in forked work horses
(``rq.Worker``), so a job that crashes, leaks or hangs cannot take the worker down; every horse
dies with the worker (``lifeline``), and the SQLAlchemy pool is replaced in every forked child
so a horse never shares a database connection with its parent's threads.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Sequence
from typing import Any

from flask import Flask
from redis import Redis, RedisError
from rq import Worker
from rq.job import Job
from sqlalchemy.orm import configure_mappers

from cgcrm import jobs
from cgcrm.extensions import db
from cgcrm.worker import periodic, relay
from cgcrm.worker.failures import record_last_error
from cgcrm.worker.lifeline import children_die_with_this_process

log = logging.getLogger(__name__)
_engines_disposed_in_children: set[int] = set()
# The relay and scheduler threads hold this while they work, and every fork of this process
# (a work horse) takes it first. A child inherits the locks its parent's threads held at
# the fork but not the threads that would release them (seen: a horse hung for good on
# SQLAlchemy's mapper-configuration mutex that the relay thread held at the fork), so forks
# happen only while those threads sit idle.
FORK_GATE = threading.Lock()
_fork_gate_installed = False


class CgcrmWorker(Worker):
    """``rq.Worker`` whose crash recovery follows WORKER_TTL and WORKER_MAINTENANCE_INTERVAL.

    RQ 2.12 keeps a running job in the StartedJobRegistry until ``now + heartbeat TTL`` and
    renews that every ``job_monitoring_interval``; its TTL is that interval + 60 s, so a worker
    killed with its horse leaves the job "started" for up to 90 s. Here the TTL is WORKER_TTL
    (heartbeats every third of it). After it lapses, the next registry clean-up of any worker
    (every WORKER_MAINTENANCE_INTERVAL) hands the job to its ``Retry``. RQ only runs that
    clean-up between blocking dequeues, so the dequeue timeout is capped by the interval too.
    """

    def get_heartbeat_ttl(self, job: Job) -> int:
        return int(self.worker_ttl)

    @property
    def dequeue_timeout(self) -> int:
        return max(1, min(self.worker_ttl - 15, self.maintenance_interval))

    def _install_signal_handlers(self) -> None:
        # Only the main thread may install handlers (a test may run a burst worker elsewhere).
        if threading.current_thread() is threading.main_thread():
            super()._install_signal_handlers()


def _install_fork_gate() -> None:
    global _fork_gate_installed
    if _fork_gate_installed:
        return
    _fork_gate_installed = True
    os.register_at_fork(
        before=FORK_GATE.acquire,
        after_in_parent=FORK_GATE.release,
        after_in_child=FORK_GATE.release,
    )


def _dispose_engine_in_children(app: Flask) -> None:
    """After every fork (a work horse), give the child a fresh connection pool.

    ``close=False``: the parent's connections stay open for the parent (psycopg does not close a
    connection from a process that did not open it).
    """
    with app.app_context():
        engine = db.engine
    if id(engine) in _engines_disposed_in_children:
        return
    _engines_disposed_in_children.add(id(engine))
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))


def build_worker(app: Flask, connection: Redis, queues: Sequence[str] | None = None) -> CgcrmWorker:
    """An RQ worker on ``queues`` (default every queue, namespaced), jobs run as ``AppJob``.

    :raises ValueError: an unknown queue name.
    """
    ttl = int(app.config["WORKER_TTL"])
    return CgcrmWorker(
        [jobs.get_queue(name, connection, app) for name in (queues or jobs.QUEUE_NAMES)],
        connection=connection,
        worker_ttl=ttl,
        maintenance_interval=int(app.config["WORKER_MAINTENANCE_INTERVAL"]),
        job_monitoring_interval=max(1, ttl // 3),
        job_class=jobs.AppJob,
        exception_handlers=[record_last_error],
    )


def _wait_for_redis(connection: Redis) -> None:
    delay = 1.0
    while True:
        try:
            connection.ping()
            return
        except (RedisError, OSError) as exc:
            log.warning("worker: Redis unavailable (%s); retrying in %.0f s", exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, 30.0)


def _work(worker: CgcrmWorker, app: Flask, burst: bool) -> bool:
    main = threading.current_thread() is threading.main_thread()
    saved: dict[int, Any] = {}
    if main:
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        # RQ's scheduler would be a forked process; the scheduler thread (or, in a burst, one
        # call before the work) does its part instead.
        return worker.work(burst=burst, with_scheduler=False, logging_level=app.config["LOG_LEVEL"])
    finally:
        # RQ leaves its handlers installed; restore the caller's (matters when embedded).
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def run_worker(
    app: Flask,
    *,
    queues: Sequence[str] | None = None,
    burst: bool = False,
    with_relay: bool = True,
    with_cron: bool = True,
) -> bool:
    """Run the worker until SIGINT/SIGTERM (warm shutdown), or until the queues are empty.

    :param queues: logical queue names (default all of ``cgcrm.jobs.QUEUE_NAMES``).
    :param burst: relay everything pending once, run the queued jobs (and retries already due),
        then return; no relay or cron thread.
    :param with_relay: run the outbox relay (every RELAY_INTERVAL seconds).
    :param with_cron: run the scheduler thread (periodic jobs, due retries); some worker must.
    :returns: whether any job was run.
    :raises redis.RedisError: in burst mode, when Redis is unreachable.
    :raises ValueError: an unknown queue name.
    """
    connection = Redis.from_url(app.config["REDIS_URL"])
    jobs.bind_app(app)
    _install_fork_gate()
    children_die_with_this_process()
    _dispose_engine_in_children(app)
    configure_mappers()  # once, here, rather than lazily in a thread
    worker = build_worker(app, connection, queues)
    if burst:
        if with_relay:
            with app.app_context():
                relay.drain()
                db.session.remove()
        periodic.enqueue_due_jobs(app, connection)
        return _work(worker, app, burst=True)

    _wait_for_redis(connection)
    stop = threading.Event()
    threads = []
    if with_relay:
        threads.append(
            threading.Thread(
                target=relay.run_relay_loop,
                args=(app, stop, None, FORK_GATE),
                name="outbox-relay",
                daemon=True,
            )
        )
    if with_cron:
        cron_connection = Redis.from_url(app.config["REDIS_URL"], socket_timeout=10)
        threads.append(
            threading.Thread(
                target=periodic.run_cron_loop,
                args=(app, stop, cron_connection, FORK_GATE),
                name="scheduler",
                daemon=True,
            )
        )
    for thread in threads:
        thread.start()
    try:
        return _work(worker, app, burst=False)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
