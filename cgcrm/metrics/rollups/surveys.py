"""Survey events: an invitation or a response counts in the bucket of the contact it is about."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.interactions.models import Interaction
from cgcrm.metrics.rollups.buckets import add_to, add_to_buckets, bucket_of, new_deltas, zone
from cgcrm.surveys.models import SurveyInvitation, SurveyResponse

log = logging.getLogger(__name__)
BUCKET_COLUMNS = (
    Interaction.department_id,
    Interaction.channel_code,
    Interaction.service_id,
    Interaction.started_at,
)


def response_counts(response: Any) -> dict[str, int]:
    """The counters one response adds (``csat``, ``nps``, ``effort``, ``invitation_id``)."""
    counts = {
        f"csat_{response.csat}": 1,
        "invited_responses": int(response.invitation_id is not None),
    }
    if response.nps is not None:
        counts["nps_responses"] = 1
        counts["nps_promoters"] = int(response.nps >= 9)
        counts["nps_detractors"] = int(response.nps <= 6)
    if response.effort is not None:
        counts["effort_responses"] = 1
        counts["effort_total"] = int(response.effort)
    return counts


def _ids(events: Sequence[OutboxEvent], field: str) -> list[uuid.UUID]:
    return sorted({uuid.UUID(str(event.payload[field])) for event in events})


def count_invitations(events: Sequence[OutboxEvent]) -> None:
    """Batch handler of ``survey.invitation_sent``: invitations_sent +1 per invitation.

    :raises KeyError, ValueError: a payload has no valid ``invitation_id``.
    """
    ids = _ids(events, "invitation_id")
    rows = db.session.execute(
        select(SurveyInvitation.id, *BUCKET_COLUMNS)
        .join(Interaction, Interaction.id == SurveyInvitation.interaction_id)
        .where(SurveyInvitation.id.in_(ids))
    ).all()
    if len(rows) < len(ids):
        log.warning("%d survey invitations no longer exist", len(ids) - len(rows))
    tz = zone()
    deltas = new_deltas()
    for row in rows:
        add_to(deltas, bucket_of(row, tz), {"invitations_sent": 1})
    add_to_buckets(deltas)


def count_responses(events: Sequence[OutboxEvent]) -> None:
    """Batch handler of ``survey.response_recorded``: the response's scores in its contact's
    bucket.

    :raises KeyError, ValueError: a payload has no valid ``response_id``.
    """
    ids = _ids(events, "response_id")
    rows = db.session.execute(
        select(
            SurveyResponse.csat,
            SurveyResponse.nps,
            SurveyResponse.effort,
            SurveyResponse.invitation_id,
            *BUCKET_COLUMNS,
        )
        .join(Interaction, Interaction.id == SurveyResponse.interaction_id)
        .where(SurveyResponse.id.in_(ids))
    ).all()
    if len(rows) < len(ids):
        log.warning("%d survey responses no longer exist", len(ids) - len(rows))
    tz = zone()
    deltas = new_deltas()
    for row in rows:
        add_to(deltas, bucket_of(row, tz), response_counts(row))
    add_to_buckets(deltas)


def count_invitation(event: OutboxEvent) -> None:
    """Handler of one ``survey.invitation_sent`` event (the per-event path)."""
    count_invitations([event])


def count_response(event: OutboxEvent) -> None:
    """Handler of one ``survey.response_recorded`` event (the per-event path)."""
    count_responses([event])
