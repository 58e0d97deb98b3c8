"""The RQ entry point: queues, how every job is enqueued, and the app context jobs run in.

Jobs are enqueued only through this module (after commit, via the outbox relay or the periodic
scheduler), take ids or primitives, and always carry the same retry policy, timeout and failure
TTL. A worker process builds one application and binds it here; each job runs in a fresh app
context of that application (``AppJob``), so a job function is plain service code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.client import Pipeline
from rq import Queue, Retry
from rq.job import Callback, Job

QUEUE_NAMES = ("default", "metrics", "webhooks", "imports", "notifications")
# A finished job's return value is only kept for debugging; the effect lives in the database.
RESULT_TTL = 600
JobFunction = str | Callable[..., Any]

_bound_app: Flask | None = None


def bind_app(app: Flask) -> None:
    """Make ``app`` the application every job of this process runs in (called by the worker)."""
    global _bound_app
    _bound_app = app


def job_app() -> Flask:
    """The application jobs run in: the bound one, the current one, or one built from the
    environment (a plain ``rq worker`` started without ``flask worker``)."""
    global _bound_app
    if _bound_app is not None:
        return _bound_app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
    from cgcrm import create_app

    _bound_app = create_app()
    return _bound_app


@contextmanager
def job_context() -> Iterator[None]:
    """A fresh app context for one job; its teardown returns the job's database session."""
    with job_app().app_context():
        yield


class AppJob(Job):
    """An RQ job that runs its function inside an app context of the worker's application."""

    def perform(self) -> Any:
        with job_context():
            return super().perform()


def _config(app: Flask | None) -> Any:
    return (app or current_app).config


def queue_name(name: str, app: Flask | None = None) -> str:
    """The Redis-level name of logical queue ``name`` (with the QUEUE_NAMESPACE prefix).

    :raises ValueError: ``name`` is not one of ``QUEUE_NAMES``.
    """
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}; queues are {', '.join(QUEUE_NAMES)}")
    return f"{_config(app)['QUEUE_NAMESPACE']}{name}"


def logical_queue_name(redis_name: str, app: Flask | None = None) -> str | None:
    """The logical name of a namespaced queue, or None when it is not one of ours."""
    namespace: str = _config(app)["QUEUE_NAMESPACE"]
    if not redis_name.startswith(namespace):
        return None
    name = redis_name[len(namespace) :]
    return name if name in QUEUE_NAMES else None


def redis_connection(app: Flask | None = None) -> Redis:
    """The application's Redis client (short socket timeouts: fine for enqueueing, not BLPOP)."""
    return (app or current_app).extensions["cgcrm.redis"]  # type: ignore[no-any-return]


def get_queue(name: str, connection: Redis | None = None, app: Flask | None = None) -> Queue:
    """The RQ queue for logical queue ``name``.

    :raises ValueError: unknown queue name.
    """
    return Queue(
        queue_name(name, app),
        connection=connection if connection is not None else redis_connection(app),
        job_class=AppJob,
    )


def all_queues(connection: Redis | None = None, app: Flask | None = None) -> list[Queue]:
    """Every queue of DESIGN §5, in priority order (a worker drains them first to last)."""
    return [get_queue(name, connection, app) for name in QUEUE_NAMES]


def retry_intervals(app: Flask | None = None) -> list[int]:
    """JOB_RETRY_INTERVALS as seconds; empty means no retry."""
    raw: str = _config(app)["JOB_RETRY_INTERVALS"]
    return [int(part) for part in raw.split(",") if part.strip()]


def retry_policy(app: Flask | None = None) -> Retry | None:
    """The retry every job carries: one retry per interval of JOB_RETRY_INTERVALS."""
    intervals = retry_intervals(app)
    return Retry(max=len(intervals), interval=intervals) if intervals else None


def job_options(app: Flask | None = None) -> dict[str, Any]:
    """Keyword arguments of ``Queue.enqueue``/``prepare_data`` every job gets.

    A failed job stays requeueable only as long as the outbox events it refers to are kept, so
    its failure TTL is the outbox retention.
    """
    config = _config(app)
    return {
        "timeout": config["JOB_TIMEOUT"],
        "retry": retry_policy(app),
        "result_ttl": RESULT_TTL,
        "failure_ttl": config["OUTBOX_RETENTION_DAYS"] * 86400,
    }


def enqueue(
    func: JobFunction,
    *args: Any,
    queue: str = "default",
    description: str | None = None,
    pipeline: Pipeline | None = None,
    connection: Redis | None = None,
    meta: dict[str, Any] | None = None,
    on_success: Callback | None = None,
    on_failure: Callback | None = None,
    timeout: int | None = None,
) -> Job:
    """Enqueue one job with the standard retry, timeout and TTLs.

    Call it only after the change the job follows up has committed (normally the outbox relay
    does). ``func`` may be a dotted path, so the function's module is imported by the worker
    only when the job runs.

    :param args: ids and primitives only, never ORM objects or personal data.
    :param pipeline: enqueue as part of a Redis pipeline the caller executes.
    :param meta, on_success, on_failure: as ``rq.Queue.enqueue_call`` (bookkeeping about the
        job, such as the periodic jobs' run times; never personal data).
    :param timeout: seconds instead of JOB_TIMEOUT, for the long jobs (an import, a scan).
    :raises ValueError: unknown queue name.
    :raises redis.RedisError: Redis is unreachable (nothing was enqueued).
    """
    target = get_queue(queue, connection)
    options = job_options()
    if timeout is not None:
        options["timeout"] = timeout
    return target.enqueue_call(
        cast(Any, func),
        args=args,
        description=description,
        pipeline=pipeline,
        meta=meta,
        on_success=on_success,
        on_failure=on_failure,
        **options,
    )
