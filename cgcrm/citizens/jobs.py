"""Jobs of the citizen record, run by the worker from outbox events.

``notify_consent_recorded`` tells a citizen that a department recorded a consent that opens
their records to other departments: if they did not give it, they hear of it and can withdraw.
It resolves how to reach the citizen (their preferred channel and its address) here, in the
citizens layer, and hands the message to the notification service, which knows no citizens.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import select

from cgcrm.catalog.codes import catalog_codes
from cgcrm.citizens.models import Citizen, Consent
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.notifications.message import Message
from cgcrm.notifications.service import send_notification

log = logging.getLogger(__name__)

CONSENT_NOTIFICATION_HANDLER = "citizens.consent_notification"
# Preferred channel -> the notification channels to try, in order.
CHANNEL_ROUTES: dict[str | None, tuple[str, ...]] = {
    "email": ("email", "sms", "post"),
    "phone": ("sms", "email", "post"),
    "mobile_app": ("sms", "email", "post"),
    "mail": ("post", "email", "sms"),
}
DEFAULT_ROUTE = ("email", "sms", "post")
PURPOSE_WORDING = {
    "whole_of_government_sharing": "government departments may share your records with each "
    "other (cases, contacts and notes)",
}


def _address(citizen: Citizen, channel: str) -> str | None:
    if channel == "post":
        current = [a for a in citizen.addresses if a.valid_to is None]
        if not current:
            return None
        address = current[0]
        parts = [address.line1, address.line2, address.locality, address.region, address.postcode]
        return ", ".join(part for part in parts if part) + f" {address.country}"
    kind = "email" if channel == "email" else "phone"
    points = sorted(
        (p for p in citizen.contact_points if p.kind == kind),
        key=lambda p: (not p.is_primary, p.position),
    )
    return points[0].value if points else None


def contact_route(citizen: Citizen) -> tuple[str, str] | None:
    """The notification channel and address to reach ``citizen`` by: their preferred channel
    first, then any other they gave; None when there is no way to reach them."""
    for channel in CHANNEL_ROUTES.get(citizen.preferred_channel, DEFAULT_ROUTE):
        address = _address(citizen, channel)
        if address:
            return channel, address
    return None


def _consent_message(citizen: Citizen, consent: Consent, payload: dict[str, Any]) -> str:
    department_id = payload.get("department_id")
    department = catalog_codes.department_by_id(uuid.UUID(department_id)) if department_id else None
    who = f"the {department.code} department" if department else "a government department"
    what = PURPOSE_WORDING.get(consent.purpose, f"your records may be used for {consent.purpose}")
    return (
        f"On {consent.recorded_at:%d %B %Y} {who} recorded that you agreed, in a contact by "
        f"{consent.channel}, that {what}. If you did not agree to this, or have changed your "
        "mind, tell us: you can withdraw it at any time and it takes effect at once."
    )


def notify_consent_recorded(event: OutboxEvent) -> None:
    """Handler of ``citizen.consent_recorded``: notify the citizen of a grant that widens who
    may see their records; other decisions need no notice.

    Runs in the handler's transaction (``worker.handlers.apply_event``), which commits the
    message with the handler's processed-event marker; its reference is the event id, so a
    redelivered event sends nothing twice.

    :raises Exception: the notification adapter failed (the job is retried).
    """
    payload = event.payload
    if not payload.get("widens"):
        return
    citizen = db.session.get(Citizen, uuid.UUID(payload["citizen_id"]))
    consent = db.session.scalar(
        select(Consent).where(Consent.id == uuid.UUID(payload["consent_id"]))
    )
    if citizen is None or consent is None:
        log.warning("consent notification %s: the citizen or consent is gone", event.event_id)
        return
    route = contact_route(citizen)
    if route is None:
        log.warning(
            "consent notification %s: citizen %s has no address", event.event_id, citizen.id
        )
        return
    channel, address = route
    send_notification(
        Message(
            reference=f"consent.{consent.purpose}:{event.event_id}"[:120],
            template=f"consent.{consent.purpose}.granted"[:60],
            channel=channel,
            address=address,
            recipient_ref=f"citizen:{citizen.id}",
            subject="A consent to share your records was recorded",
            body=_consent_message(citizen, consent, payload),
        )
    )
