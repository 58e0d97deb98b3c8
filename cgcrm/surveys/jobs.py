"""Work of the surveys domain run by the worker: the invitation decision after each contact
(an event handler) and the expiry of unanswered invitations (a periodic job)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from cgcrm.core.outbox import OutboxEvent
from cgcrm.surveys import service


def invite_after_contact(event: OutboxEvent) -> None:
    """Handler ``surveys.invitation`` of ``interaction.recorded``: decide whether to invite the
    contact's citizen to a satisfaction survey, and send the invitation
    (``service.decide_invitation``).

    Runs in the handler's transaction (``worker.handlers.apply_event``), which commits the
    invitation, its message and its event with the processed-event marker; it does not commit.
    Anonymous contacts and contacts about no service are passed over without a query: most
    contacts are not surveyed.

    :raises Exception: the notification adapter failed (the job is retried).
    """
    payload = event.payload
    interaction_id = uuid.UUID(str(payload["interaction_id"]))  # a malformed event is parked
    if not payload.get("citizen_id") or not payload.get("service_code"):
        return
    service.decide_invitation(interaction_id)


def invite_after_contacts(events: Sequence[OutboxEvent]) -> None:
    """Batch handler ``surveys.invitation``: ``invite_after_contact`` of each event, in the
    batch's one transaction (``worker.handlers.apply_batch``), the contacts read at once.

    :raises KeyError, ValueError: a payload has no valid ``interaction_id``.
    :raises Exception: the notification adapter failed (the job is retried).
    """
    wanted = []
    for event in events:
        payload = event.payload
        interaction_id = uuid.UUID(str(payload["interaction_id"]))
        if payload.get("citizen_id") and payload.get("service_code"):
            wanted.append(interaction_id)
    if wanted:
        service.decide_invitations(wanted)


def expire_survey_invitations() -> int:
    """Periodic job (every ``SURVEY_EXPIRY_INTERVAL`` seconds): mark unanswered invitations
    past their expiry as expired. Idempotent.

    :returns: how many invitations this run marked.
    """
    return service.expire_invitations()
