"""When each periodic job was last enqueued, last succeeded and last failed, and which are late.

A periodic job that silently stops (no worker leads the scheduler, its queue is stuck, it fails
every time) looks exactly like one with nothing to do. So the scheduler stamps each enqueue, the
job's own success and failure callbacks stamp its outcome (in the work horse, after the job),
and the admin jobs view and ``/readyz`` compare the last success with the job's interval.
One Redis hash per periodic job, under the queue namespace; times are Unix seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from redis import Redis
from redis.client import Pipeline
from rq.job import Job

RUN_KEY_META = "cgcrm_periodic_runs_key"
ENQUEUED, SUCCEEDED, FAILED = "enqueued_at", "succeeded_at", "failed_at"


class Periodic(Protocol):
    """What ``describe_runs`` reads of a ``periodic.PeriodicJob``."""

    @property
    def name(self) -> str: ...

    @property
    def interval_setting(self) -> str: ...


def run_key(namespace: str, name: str) -> str:
    """The Redis hash holding periodic job ``name``'s last run times."""
    return f"{namespace}cgcrm:periodic-runs:{name}"


def stamp_enqueued(pipeline: Pipeline, key: str, at: datetime) -> None:
    pipeline.hset(key, ENQUEUED, repr(at.timestamp()))


def _stamp(job: Job, connection: Redis, field: str) -> None:
    key = job.meta.get(RUN_KEY_META)
    if key:
        connection.hset(key, field, repr(datetime.now(UTC).timestamp()))


def record_success(job: Job, connection: Redis, result: Any) -> None:
    """RQ success callback of every periodic job."""
    _stamp(job, connection, SUCCEEDED)


def record_failure(job: Job, connection: Redis, *exc_info: Any) -> None:
    """RQ failure callback of every periodic job (each failed attempt, retried or not)."""
    _stamp(job, connection, FAILED)


def _time(raw: dict[bytes, bytes], field: str) -> datetime | None:
    value = raw.get(field.encode())
    return datetime.fromtimestamp(float(value), UTC) if value else None


def describe_runs(
    connection: Redis,
    namespace: str,
    config: Any,
    specs: Iterable[Periodic],
    now: datetime,
) -> list[dict[str, Any]]:
    """Each periodic job's last enqueue, success and failure, and whether it is overdue.

    A job is overdue when it has not succeeded within its interval plus ``PERIODIC_GRACE``
    seconds of ``now``, or has never succeeded at all.

    :raises redis.RedisError: Redis cannot be reached.
    """
    specs = list(specs)
    with connection.pipeline(transaction=False) as pipeline:
        for spec in specs:
            pipeline.hgetall(run_key(namespace, spec.name))
        hashes = pipeline.execute()
    grace = int(config["PERIODIC_GRACE"])
    runs = []
    for spec, raw in zip(specs, hashes, strict=True):
        interval = int(config[spec.interval_setting])
        succeeded = _time(raw, SUCCEEDED)
        overdue = succeeded is None or (now - succeeded).total_seconds() > interval + grace
        runs.append(
            {
                "name": spec.name,
                "interval_seconds": interval,
                "last_enqueued_at": _time(raw, ENQUEUED),
                "last_succeeded_at": succeeded,
                "last_failed_at": _time(raw, FAILED),
                "overdue": overdue,
            }
        )
    return runs
