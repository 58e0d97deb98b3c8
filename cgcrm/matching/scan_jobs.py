"""Jobs of the duplicate scan: start on the outbox event, then scan on the imports queue."""

from __future__ import annotations

import uuid

from flask import current_app

from cgcrm.core.outbox import OutboxEvent
from cgcrm.worker.long_jobs import enqueue_long_job

RUN_SCAN = "cgcrm.matching.scan_jobs.apply_scan"


def start_scan(event: OutboxEvent) -> None:
    """Handler of ``duplicate_scan.requested``: queue the scan's job on ``imports``."""
    scan_id = str(event.payload["scan_id"])
    enqueue_long_job(RUN_SCAN, scan_id, f"duplicate scan {scan_id}")


def apply_scan(scan_id: str) -> str:
    """RQ job: run (or resume) a duplicate scan (``scan.run_scan``).

    :param scan_id: the ``DuplicateScan`` id.
    :returns: the scan's status afterwards.
    """
    from cgcrm.core.advisory import exclusive_run
    from cgcrm.matching.scan import run_scan

    key = uuid.UUID(scan_id)
    with exclusive_run(key) as mine:
        if not mine:
            return "running elsewhere"
        return run_scan(key, int(current_app.config["SCAN_BLOCK_CAP"]))
