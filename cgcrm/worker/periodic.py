"""Periodic jobs, declared as data and enqueued by RQ's CronScheduler in the worker.

Every worker runs a scheduler thread, but only the holder of a Redis leader lock enqueues, so
running more workers does not multiply the periodic jobs. The leader also moves retries (and any
job scheduled for later) onto their queues when due: that is RQ's scheduler, run here as a thread
instead of the process RQ forks, which outlived a SIGKILLed worker and kept its locks (issue 9).
The lock lasts CRON_LEADER_TTL seconds and is renewed every second, so when a leader dies another
worker takes over within that time. Functions are named by dotted path and imported by the
worker only when the job runs; a job whose module does not exist yet is not scheduled.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from flask import Flask
from redis import Redis, RedisError
from redis.lock import Lock
from rq import cron_job_registry
from rq.cron import CronJob, CronScheduler
from rq.job import Callback, Job
from rq.scheduler import RQScheduler

from cgcrm import jobs
from cgcrm.core.clock import utcnow
from cgcrm.worker import periodic_runs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    """A function run every ``interval_setting`` seconds on ``queue``; it takes no arguments."""

    name: str
    func: str
    queue: str
    interval_setting: str


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob(
        "flag-breached-cases",
        "cgcrm.cases.jobs.flag_breached_cases",
        "default",
        "SLA_CHECK_INTERVAL",
    ),
    PeriodicJob(
        "housekeeping",
        "cgcrm.worker.housekeeping.purge_expired_records",
        "default",
        "HOUSEKEEPING_INTERVAL",
    ),
    PeriodicJob(
        "metrics-catch-up",
        "cgcrm.metrics.rollups.reconcile.catch_up_metrics",
        "metrics",
        "METRICS_CATCH_UP_INTERVAL",
    ),
    PeriodicJob(
        "metrics-reconcile",
        "cgcrm.metrics.rollups.reconcile.reconcile_rollups",
        "metrics",
        "METRICS_RECONCILE_INTERVAL",
    ),
    PeriodicJob(
        "redeliver-unhandled-events",
        "cgcrm.worker.redelivery.redeliver_unhandled_events",
        "default",
        "REDELIVERY_INTERVAL",
    ),
    PeriodicJob(
        "expire-survey-invitations",
        "cgcrm.surveys.jobs.expire_survey_invitations",
        "default",
        "SURVEY_EXPIRY_INTERVAL",
    ),
    PeriodicJob(
        "seal-audit-trail",
        "cgcrm.worker.audit_sealing.seal_audit_trail",
        "default",
        "AUDIT_SEAL_INTERVAL",
    ),
    PeriodicJob(
        "expire-payments",
        "cgcrm.payments.jobs.expire_payments",
        "default",
        "PAYMENT_EXPIRY_INTERVAL",
    ),
    PeriodicJob(
        "sandbox-redeliver-notifications",
        "cgcrm.payments.providers.sandbox.jobs.redeliver_notifications",
        "default",
        "SANDBOX_REDELIVERY_INTERVAL",
    ),
    PeriodicJob(
        "reconcile-payments",
        "cgcrm.payments.reconciliation_jobs.reconcile_payments",
        "default",
        "PAYMENT_RECONCILIATION_INTERVAL",
    ),
)


class PeriodicCronJob(CronJob):
    """A CronJob whose jobs carry our retry policy and may name their function by dotted path.

    RQ's ``CronJob.enqueue`` passes only a fixed set of options (no ``retry``) and needs the
    function object; this enqueues through ``cgcrm.jobs.enqueue`` and keeps RQ's bookkeeping.
    """

    def __init__(self, spec: PeriodicJob, app: Flask) -> None:
        super().__init__(
            queue_name=jobs.queue_name(spec.queue, app),
            func_name=spec.func,
            interval=int(app.config[spec.interval_setting]),
            job_timeout=int(app.config["JOB_TIMEOUT"]),
            name=f"{app.config['QUEUE_NAMESPACE']}{spec.name}",
        )
        self.logical_queue = spec.queue
        self.runs_key = periodic_runs.run_key(app.config["QUEUE_NAMESPACE"], spec.name)

    def enqueue(self, connection: Redis) -> Job:
        with connection.pipeline() as pipeline:
            job = jobs.enqueue(
                self.func_name,
                queue=self.logical_queue,
                description=f"periodic {self.name}",
                pipeline=pipeline,
                connection=connection,
                meta={periodic_runs.RUN_KEY_META: self.runs_key},
                on_success=Callback(periodic_runs.record_success),
                on_failure=Callback(periodic_runs.record_failure),
            )
            assert job.enqueued_at is not None
            periodic_runs.stamp_enqueued(pipeline, self.runs_key, job.enqueued_at)
            stamp = job.enqueued_at.timestamp()
            pipeline.zadd(self.job_history_key, {job.id: stamp})
            pipeline.zremrangebyrank(self.job_history_key, 0, -1001)
            cron_job_registry.add(self.name, pipeline, enqueue_timestamp=stamp)
            pipeline.execute()
        log.info("periodic: enqueued %s on %s", self.func_name, self.queue_name)
        return job


class PeriodicScheduler(CronScheduler):
    """RQ's CronScheduler, fed with ``PeriodicCronJob`` instances."""

    def add(self, cron_job: CronJob) -> None:
        self._cron_jobs.append(cron_job)


def _importable(dotted: str) -> bool:
    module = dotted.rpartition(".")[0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def build_scheduler(
    app: Flask, connection: Redis, specs: tuple[PeriodicJob, ...] = PERIODIC_JOBS
) -> PeriodicScheduler:
    """A cron scheduler holding every periodic job whose module exists."""
    scheduler = PeriodicScheduler(connection=connection)
    for spec in specs:
        if not _importable(spec.func):
            log.warning("periodic: %s not scheduled, %s does not exist yet", spec.name, spec.func)
            continue
        scheduler.add(PeriodicCronJob(spec, app))
    return scheduler


def build_retry_scheduler(app: Flask, connection: Redis) -> RQScheduler:
    """RQ's scheduler for every queue of ours, driven by the caller (no process, no RQ locks).

    ``enqueue_scheduled_jobs`` on it moves due retries and jobs scheduled for later onto their
    queues; whoever calls it must be the only one doing so (the leader, or a burst worker).
    """
    names = [jobs.queue_name(name, app) for name in jobs.QUEUE_NAMES]
    scheduler = RQScheduler(names, connection=connection)
    scheduler.prepare_registries(names)
    return scheduler


def enqueue_due_jobs(app: Flask, connection: Redis) -> None:
    """Move every due retry and scheduled job onto its queue once (``flask worker --burst``)."""
    build_retry_scheduler(app, connection).enqueue_scheduled_jobs()


def periodic_status(app: Flask, connection: Redis | None = None) -> list[dict[str, Any]]:
    """Each periodic job's last enqueue, success and failure, and whether it is overdue
    (``periodic_runs.describe_runs``).

    :raises redis.RedisError: Redis cannot be reached.
    """
    return periodic_runs.describe_runs(
        connection if connection is not None else jobs.redis_connection(app),
        app.config["QUEUE_NAMESPACE"],
        app.config,
        PERIODIC_JOBS,
        utcnow(),
    )


def _lead(lock: Lock, leading: bool) -> bool:
    """Keep or take the leader lock; True while this worker is the one that enqueues."""
    if leading:
        try:
            return bool(lock.reacquire())
        except RedisError:
            return False
    return bool(lock.acquire(blocking=False))


def run_cron_loop(
    app: Flask,
    stop: threading.Event,
    connection: Redis,
    busy: AbstractContextManager[Any] | None = None,
) -> None:
    """The worker's scheduler thread: while leader, enqueue due periodic jobs and move due
    retries onto their queues, until ``stop`` is set.

    RQ's ``CronScheduler.start`` installs signal handlers, which only the main thread may do, so
    this runs the same steps (enqueue due jobs, save, heartbeat) in its own loop.

    :param busy: held while working (the worker's fork gate), released while idle.
    """
    ttl = int(app.config["CRON_LEADER_TTL"])
    lock = connection.lock(f"{app.config['QUEUE_NAMESPACE']}cgcrm:cron-leader", timeout=ttl)
    leading = False
    with busy or nullcontext(), app.app_context():
        scheduler = build_scheduler(app, connection)
        retries = build_retry_scheduler(app, connection)
        try:
            scheduler.register_birth()
        except RedisError as exc:
            log.warning("periodic: cannot register the scheduler: %s", exc)
    while not stop.is_set():
        with busy or nullcontext(), app.app_context():
            try:
                was_leading, leading = leading, _lead(lock, leading)
                if leading and not was_leading:
                    log.info("periodic: this worker now enqueues the periodic jobs")
                if leading and scheduler.enqueue_jobs():
                    scheduler.save()
                if leading:
                    retries.enqueue_scheduled_jobs()
                scheduler.heartbeat()
            except RedisError as exc:
                log.warning("periodic: Redis unavailable: %s", exc)
                leading = False
            except Exception:
                log.exception("periodic: unexpected failure")
        # Wake at least every second: the leader lock must be renewed well within its TTL.
        stop.wait(max(0.1, min(1.0, scheduler.calculate_sleep_interval())) if leading else 1.0)
    try:
        scheduler.register_death()
        if leading:
            lock.release()
    except RedisError:
        pass
