"""Event handlers of identity assurance: the one-time code is made and sent here."""

from __future__ import annotations

import logging
import secrets
import uuid

from sqlalchemy import select

from cgcrm.assurance.codes import CODE_DIGITS, code_hash
from cgcrm.assurance.evidence import contact_hash
from cgcrm.assurance.models import CodeChallenge
from cgcrm.citizens.models import ContactPoint
from cgcrm.core.clock import utcnow
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.notifications.message import Message
from cgcrm.notifications.service import send_notification

log = logging.getLogger(__name__)


def send_verification_code(event: OutboxEvent) -> None:
    """Handler of ``assurance.code_requested``: make a code, keep its keyed hash, send it.

    Runs in the handler's transaction, which commits the hash with the message and the
    processed-event marker; a redelivered event finds the hash written and sends nothing.
    A challenge no longer pending or already expired is left alone.

    :raises Exception: the notification adapter failed (the job is retried).
    """
    challenge = db.session.scalars(
        select(CodeChallenge)
        .where(CodeChallenge.id == uuid.UUID(event.payload["challenge_id"]))
        .with_for_update()
    ).one_or_none()
    now = utcnow()
    if challenge is None or challenge.code_hash is not None or challenge.status != "pending":
        return
    if challenge.expires_at <= now:
        log.info("verification code %s expired before it was sent", challenge.id)
        return
    points = db.session.scalars(
        select(ContactPoint).where(
            ContactPoint.citizen_id == challenge.citizen_id, ContactPoint.kind == challenge.kind
        )
    )
    point = next(
        (p for p in points if contact_hash(p.kind, p.value) == challenge.contact_hash), None
    )
    if point is None:
        log.warning("verification code %s: the contact point left the record", challenge.id)
        return
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    challenge.code_hash = code_hash(challenge.id, code)
    challenge.sent_at = now
    minutes = int((challenge.expires_at - now).total_seconds() // 60)
    send_notification(
        Message(
            reference=f"assurance.code:{challenge.id}",
            template="assurance.verification_code",
            channel="email" if challenge.kind == "email" else "sms",
            address=point.value,
            recipient_ref=f"citizen:{challenge.citizen_id}",
            subject="Your verification code",
            body=(
                f"Your verification code is {code}. It expires in {minutes} minutes. "
                "Nobody from the council will ask you to read it out unless you asked for it."
            ),
        )
    )
