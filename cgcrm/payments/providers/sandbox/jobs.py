"""The sandbox gateway's own time: RQ jobs that authorise, capture, pay refunds and deliver.

A request that needs the gateway to act later writes ``sandbox.work_requested`` in its
transaction; the outbox relay hands it to ``queue_gateway_work``, which queues the job. Each job
is one transaction on the gateway's books (nothing to do if the step was already taken, so a
retried or duplicated job is harmless), then delivers what it has to tell us.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from cgcrm import jobs
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.payments.providers.sandbox import delivery, gateway
from cgcrm.payments.providers.sandbox.models import SandboxRefund

log = logging.getLogger(__name__)

_JOBS = {
    "authorise": "cgcrm.payments.providers.sandbox.jobs.authorise_charge",
    "capture": "cgcrm.payments.providers.sandbox.jobs.capture_charge",
    "refund": "cgcrm.payments.providers.sandbox.jobs.settle_refund",
}


def queue_gateway_work(event: OutboxEvent) -> None:
    """Handler of ``sandbox.work_requested``: queue the gateway's job for it.

    Queued twice (a redelivered event), the second job finds the step taken and does nothing.
    """
    work = str(event.payload.get("work"))
    target = _JOBS.get(work)
    if target is None:
        log.warning("sandbox: unknown work %r in event %s; ignored", work, event.event_id)
        return
    jobs.enqueue(target, str(event.payload["id"]), description=f"sandbox {work}")


def _step(step: Callable[[uuid.UUID], str | None], record_id: uuid.UUID) -> str | None:
    try:
        reached = step(record_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return reached


def authorise_charge(charge_id: str) -> str | None:
    """RQ job: authorise a submitted charge, then tell us the outcome.

    :returns: the charge's state when it moved, else None (already done, or no answer).
    """
    reached = _step(gateway.authorise, uuid.UUID(charge_id))
    delivery.deliver_due(uuid.UUID(charge_id))
    return reached


def capture_charge(charge_id: str) -> str | None:
    """RQ job: capture a charge whose capture was asked for, then tell us."""
    reached = _step(gateway.capture, uuid.UUID(charge_id))
    delivery.deliver_due(uuid.UUID(charge_id))
    return reached


def settle_refund(refund_id: str) -> str | None:
    """RQ job: pay (or fail) a submitted refund, then tell us."""
    reached = _step(gateway.settle_refund, uuid.UUID(refund_id))
    charge_id = db.session.scalar(
        db.select(SandboxRefund.charge_id).where(SandboxRefund.id == uuid.UUID(refund_id))
    )
    db.session.commit()
    if charge_id is not None:
        delivery.deliver_due(charge_id)
    return reached


def redeliver_notifications() -> int:
    """Periodic job: send every notification not yet taken whose next attempt is due.

    :returns: how many were taken.
    """
    return delivery.deliver_due()
