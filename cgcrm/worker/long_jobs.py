"""The long jobs of issue 11 (a bulk import, a duplicate scan): queued on ``imports`` once the
request that asks for one has committed (its outbox event), with the long jobs' timeout."""

from __future__ import annotations

from flask import current_app

from cgcrm import jobs


def enqueue_long_job(function: str, record_id: str, description: str) -> None:
    """Queue ``function(record_id)`` on the ``imports`` queue.

    Enqueueing twice (a redelivered event) is harmless: each long job does nothing for a
    record already done, or being done by another worker.
    """
    jobs.enqueue(
        function,
        record_id,
        queue="imports",
        description=description,
        timeout=int(current_app.config["IMPORT_JOB_TIMEOUT"]),
    )
