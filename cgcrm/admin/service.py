"""What the background work is doing: queues, started, failed and scheduled jobs, the relay.

Reads Redis without side effects (no registry clean-up from a GET); job arguments are shown as
a summary of their shapes, since a job's arguments are ids today but need not stay so.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar

from flask import current_app
from redis import RedisError
from rq import Queue
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.results import Result

from cgcrm import jobs
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import Conflict, DomainError, NotFound
from cgcrm.worker.failures import LAST_ERROR_META, error_tail
from cgcrm.worker.parking import parked_overview
from cgcrm.worker.periodic import periodic_status
from cgcrm.worker.relay import relay_backlog

STATES = ("queued", "started", "failed", "scheduled")
LIST_LIMIT = 50
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
F = TypeVar("F", bound=Callable[..., Any])


class QueueUnavailable(DomainError):
    status, title, slug = 503, "Service unavailable", "queue-unavailable"


def _redis_errors_are_503(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RedisError as exc:
            raise QueueUnavailable(f"the job queues are unavailable: {type(exc).__name__}") from exc

    return wrapper  # type: ignore[return-value]


def _summarize(value: Any) -> str:
    if isinstance(value, bool | int | float) or value is None:
        return repr(value)
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            return f"<text, {len(value)} characters>"
    if isinstance(value, list | tuple | set):
        return f"<{len(value)} items>"
    if isinstance(value, dict):
        return f"<mapping, {len(value)} keys>"
    return f"<{type(value).__name__}>"


def summarize_arguments(args: Sequence[Any], kwargs: dict[str, Any]) -> list[str]:
    """Each argument's shape: ids and numbers as they are, text and collections by size only."""
    summary = [_summarize(value) for value in args]
    summary += [f"{name}={_summarize(value)}" for name, value in sorted(kwargs.items())]
    return summary


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _view(
    job: Job, queue: str, state: str, scheduled_for: datetime | None = None
) -> dict[str, Any]:
    try:
        function, arguments = job.func_name, summarize_arguments(job.args, job.kwargs)
    except Exception:  # an undecodable job must still be listable (and requeueable)
        function, arguments = None, []
    result = job.latest_result() if state == "failed" else None
    failed = result is not None and result.type in (
        Result.Type.FAILED,
        Result.Type.MAX_RETRIES_EXCEEDED,
    )
    error = error_tail(result.exc_string) if failed and result is not None else []
    failed_at = result.created_at if failed and result is not None else job.ended_at
    return {
        "id": job.id,
        "queue": queue,
        "state": state,
        "function": function,
        "arguments": arguments,
        "enqueued_at": _utc(job.enqueued_at),
        "started_at": _utc(job.started_at),
        "failed_at": _utc(failed_at) if state == "failed" else None,
        "scheduled_for": _utc(scheduled_for),
        "retries_left": job.retries_left,
        "error": error or list(job.meta.get(LAST_ERROR_META) or []),
    }


def _fetch(queue: Queue, ids: list[str]) -> list[Job]:
    return [job for job in Job.fetch_many(ids, connection=queue.connection) if job is not None]


def _queue_overview(name: str, states: Sequence[str], limit: int) -> dict[str, Any]:
    queue = jobs.get_queue(name)
    started = StartedJobRegistry(queue=queue)
    failed = FailedJobRegistry(queue=queue)
    scheduled = ScheduledJobRegistry(queue=queue)
    overview: dict[str, Any] = {
        "queue": name,
        "counts": {
            "queued": queue.count,
            "started": started.get_job_count(cleanup=False),
            "failed": failed.get_job_count(cleanup=False),
            "scheduled": scheduled.get_job_count(cleanup=False),
        },
        "started": [],
        "failed": [],
        "scheduled": [],
    }
    if "started" in states:
        ids = started.get_job_ids(0, limit - 1, cleanup=False)
        overview["started"] = [_view(job, name, "started") for job in _fetch(queue, ids)]
    if "failed" in states:
        # Scored by expiry, which is failure time + a fixed TTL: newest failures first.
        ids = failed.get_job_ids(0, limit - 1, desc=True, cleanup=False)
        overview["failed"] = [_view(job, name, "failed") for job in _fetch(queue, ids)]
    if "scheduled" in states:
        ids = scheduled.get_job_ids(0, limit - 1, cleanup=False)
        overview["scheduled"] = [
            _view(job, name, "scheduled", scheduled.get_scheduled_time(job.id))
            for job in _fetch(queue, ids)
        ]
    return overview


@_redis_errors_are_503
def list_jobs(
    *, state: str | None = None, queue: str | None = None, limit: int = LIST_LIMIT
) -> dict[str, Any]:
    """Counts per queue and state, the latest ``limit`` jobs of each listed state, the relay,
    when each periodic job last ran (``periodic_status``) and the parked events (their
    count and the latest ``limit``).

    :param state: list only jobs in this state (counts are always complete).
    :param queue: only this logical queue.
    :raises QueueUnavailable: Redis cannot be reached (503).
    """
    states = (state,) if state else STATES
    names = (queue,) if queue else jobs.QUEUE_NAMES
    unpublished, oldest = relay_backlog()
    age = (utcnow() - oldest).total_seconds() if oldest is not None else None
    return {
        "queues": [_queue_overview(name, states, limit) for name in names],
        "relay": {
            "unpublished": unpublished,
            "oldest_unpublished_at": oldest,
            "oldest_unpublished_age_seconds": age,
        },
        "periodic": periodic_status(current_app),
        "parked": parked_overview(limit),
    }


@_redis_errors_are_503
def requeue_failed_job(job_id: str) -> dict[str, Any]:
    """Put a failed job back on its queue with a fresh retry allowance.

    :raises NotFound: no such job in our queues.
    :raises Conflict: the job exists but is not in the failed registry.
    :raises QueueUnavailable: Redis cannot be reached (503).
    """
    if not JOB_ID.fullmatch(job_id):
        raise NotFound(f"no job with id {job_id}")
    try:
        job = Job.fetch(job_id, connection=jobs.redis_connection())
    except NoSuchJobError as exc:
        raise NotFound(f"no job with id {job_id}") from exc
    name = jobs.logical_queue_name(job.origin or "")
    if name is None:
        raise NotFound(f"no job with id {job_id}")
    queue = jobs.get_queue(name)
    registry = FailedJobRegistry(queue=queue)
    if job.id not in registry:
        raise Conflict(f"job {job_id} is {job.get_status()}, not failed; only failed jobs requeue")
    intervals = jobs.retry_intervals()
    if intervals:
        job.retries_left = len(intervals)
        job.retry_intervals = intervals
    try:
        registry.requeue(job)
    except InvalidJobOperation as exc:  # requeued or expired meanwhile
        raise Conflict(f"job {job_id} is no longer failed") from exc
    return _view(job, name, "queued")
