"""Jobs of bulk import: start on the outbox event, then apply the file on the imports queue."""

from __future__ import annotations

import uuid

from flask import current_app

from cgcrm.core.outbox import OutboxEvent
from cgcrm.worker.long_jobs import enqueue_long_job

RUN_IMPORT = "cgcrm.integrations.imports.jobs.apply_import"


def start_import(event: OutboxEvent) -> None:
    """Handler of ``citizen_import.requested``: queue the import's job on ``imports``.

    Enqueueing twice (a redelivered event) is harmless: the job of an import already applied,
    or being applied by another worker, does nothing.
    """
    import_id = str(event.payload["import_id"])
    enqueue_long_job(RUN_IMPORT, import_id, f"import {import_id}")


def apply_import(import_id: str) -> str:
    """RQ job: apply an import's file from where it stopped (``apply.run_import``).

    :param import_id: the ``CitizenImport`` id.
    :returns: the import's status afterwards.
    """
    from cgcrm.integrations.imports.apply import run_import

    return run_import(uuid.UUID(import_id), int(current_app.config["IMPORT_BATCH_SIZE"]))
