"""Housekeeping: delete what has outlived its purpose. A periodic job; safe to run any time."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, exists, select

from cgcrm.core.clock import utcnow
from cgcrm.core.idempotency import IdempotencyRecord
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.identity.federation.models import FederatedSignIn
from cgcrm.identity.models import AuthorizationCode, RevokedToken
from cgcrm.worker.models import ParkedEvent, ProcessedEvent

log = logging.getLogger(__name__)
# Deleting in chunks keeps each transaction short when a large backlog has accumulated.
CHUNK = 5000


def _delete_published_events(cutoff: object) -> int:
    total = 0
    while True:
        seqs = select(OutboxEvent.seq).where(
            OutboxEvent.published_at.is_not(None),
            OutboxEvent.published_at < cutoff,
            # A parked event waits for an administrator to unpark it; it must still be there.
            ~exists().where(ParkedEvent.event_id == OutboxEvent.event_id),
        )
        chunk = db.session.scalars(seqs.order_by(OutboxEvent.seq).limit(CHUNK)).all()
        if not chunk:
            return total
        db.session.execute(delete(OutboxEvent).where(OutboxEvent.seq.in_(chunk)))
        db.session.commit()
        total += len(chunk)


def purge_expired_records() -> dict[str, int]:
    """Periodic job: delete expired rows that nothing reads any more.

    - published outbox events older than OUTBOX_RETENTION_DAYS (unpublished or parked ones
      never);
    - idempotency keys past their expiry;
    - revoked-token entries past the token's own expiry (the token is refused as expired);
    - sign-ins through an external provider past their expiry (their answer is refused);
    - authorization codes past their expiry: a used code is kept only so that a second use
      within its life revokes what the first issued; once expired, any use is refused anyway;
    - processed-event markers older than OUTBOX_RETENTION_DAYS whose event is gone. A marker
      guards against redelivery, and only an existing event can be delivered: failed jobs stay
      requeueable only as long as the events (``cgcrm.jobs.job_options``), so no job can bring
      back an event whose marker was deleted.

    :returns: rows deleted per kind.
    """
    now = utcnow()
    cutoff = now - timedelta(days=current_app.config["OUTBOX_RETENTION_DAYS"])
    counts: dict[str, int] = {}
    try:
        counts["outbox_events"] = _delete_published_events(cutoff)
        for name, statement in (
            (
                "idempotency_keys",
                delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < now),
            ),
            ("revoked_tokens", delete(RevokedToken).where(RevokedToken.expires_at < now)),
            (
                "federated_sign_ins",
                delete(FederatedSignIn).where(FederatedSignIn.expires_at < now),
            ),
            (
                "authorization_codes",
                delete(AuthorizationCode).where(AuthorizationCode.expires_at < now),
            ),
            (
                "processed_events",
                delete(ProcessedEvent).where(
                    ProcessedEvent.processed_at < cutoff,
                    ~exists().where(OutboxEvent.event_id == ProcessedEvent.event_id),
                ),
            ),
        ):
            counts[name] = db.session.execute(statement).rowcount  # type: ignore[attr-defined]
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("housekeeping: deleted %s", counts)
    return counts
