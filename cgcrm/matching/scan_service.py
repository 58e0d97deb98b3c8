"""Rules of the duplicate scan seen by the API: start one, read its progress."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from cgcrm.core.errors import Conflict, NotFound
from cgcrm.core.outbox import add_event
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.matching.models import DuplicateScan

REQUESTED_EVENT = "duplicate_scan.requested"


def request_scan(actor: Actor) -> DuplicateScan:
    """Queue a scan of the whole population (the ``duplicate_scan.requested`` event starts its
    job on the ``imports`` queue once this commits).

    :raises Conflict: a scan is queued or running already (one at a time: a second would file
        the same pairs at twice the cost).
    """
    try:
        running = db.session.scalar(
            select(DuplicateScan.id)
            .where(DuplicateScan.status.in_(("queued", "running")))
            .with_for_update()
            .limit(1)
        )
        if running is not None:
            raise Conflict(f"scan {running} is not finished yet", existing_scan=str(running))
        scan = DuplicateScan(
            id=uuid.uuid4(),
            status="queued",
            requested_by=actor.principal.ref[:80],
            records_done=0,
            pairs_compared=0,
            pairs_filed=0,
        )
        db.session.add(scan)
        db.session.flush()
        add_event(REQUESTED_EVENT, "duplicate_scan", scan.id, {"scan_id": str(scan.id)})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return scan


def get_scan(scan_id: uuid.UUID) -> DuplicateScan:
    """One scan and its progress.

    :raises NotFound: no such scan.
    """
    try:
        scan = db.session.get(DuplicateScan, scan_id)
        if scan is None:
            raise NotFound(f"no duplicate scan with id {scan_id}")
        return scan
    finally:
        db.session.commit()
