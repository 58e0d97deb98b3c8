"""Survey invitations and responses count in the bucket of the contact they are about.

The surveys service (cgcrm.surveys) writes the rows and their events; here they are written as
it does, so that these tests hold the rollup side alone.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from cgcrm.core.clock import utcnow
from cgcrm.core.outbox import add_event
from cgcrm.extensions import db
from cgcrm.surveys.models import SurveyInvitation, SurveyResponse
from tests.metrics.conftest import figures, process

T = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # noon in Sydney


def _invite(app: Flask, interaction_id: str, citizen_id: str) -> uuid.UUID:
    with app.app_context():
        invitation = SurveyInvitation(
            interaction_id=uuid.UUID(interaction_id),
            citizen_id=uuid.UUID(citizen_id),
            channel="sms",
            token_hash=hashlib.sha256(interaction_id.encode()).hexdigest(),
            expires_at=utcnow() + timedelta(days=14),
        )
        db.session.add(invitation)
        db.session.flush()
        payload = {"invitation_id": str(invitation.id), "interaction_id": interaction_id}
        add_event("survey.invitation_sent", "survey_invitation", invitation.id, payload)
        db.session.commit()
        invitation_id = invitation.id
        db.session.remove()
    return invitation_id


def _respond(
    app: Flask,
    interaction_id: str,
    csat: int,
    *,
    invitation_id: uuid.UUID | None = None,
    nps: int | None = None,
    effort: int | None = None,
) -> None:
    with app.app_context():
        response = SurveyResponse(
            interaction_id=uuid.UUID(interaction_id),
            invitation_id=invitation_id,
            csat=csat,
            nps=nps,
            effort=effort,
            source="citizen" if invitation_id else "staff",
            recorded_by="citizen" if invitation_id else "client:counter",
            request_id="req-test",
        )
        db.session.add(response)
        db.session.flush()
        payload = {
            "response_id": str(response.id),
            "interaction_id": interaction_id,
            "invited": invitation_id is not None,
        }
        add_event("survey.response_recorded", "survey_response", response.id, payload)
        db.session.commit()
        db.session.remove()


@pytest.mark.smoke
def test_responses_and_invitations_count_where_their_contact_does(
    app: Flask, post_contact: Any, new_citizen: Any
) -> None:
    citizen = new_citizen()
    by_phone = post_contact(T, citizen_id=citizen)
    on_the_web = post_contact(T + timedelta(days=1), channel="web", citizen_id=citizen)
    at_the_counter = post_contact(T + timedelta(days=1), channel="counter")
    invited = _invite(app, by_phone, citizen)
    _invite(app, on_the_web, citizen)  # never answered
    _respond(app, by_phone, 4, invitation_id=invited, nps=9, effort=3)
    _respond(app, at_the_counter, 2, nps=5)  # taken by staff: no invitation
    process(app)
    surveyed = {
        key: {name: value for name, value in counts.items() if name not in CONTACT_COUNTERS}
        for key, counts in figures(app).items()
    }
    assert surveyed == {
        # Invited by SMS and answered: CSAT 4, a promoter (9), effort 3.
        (date(2026, 3, 2), "phone", "RATES-PAY"): {
            "invitations_sent": 1,
            "invited_responses": 1,
            "csat_4": 1,
            "nps_responses": 1,
            "nps_promoters": 1,
            "effort_responses": 1,
            "effort_total": 3,
        },
        # Invited, no answer: the response rate's denominator only.
        (date(2026, 3, 3), "web", "RATES-PAY"): {"invitations_sent": 1},
        # Taken at the counter: CSAT 2, a detractor (5), no invitation.
        (date(2026, 3, 3), "counter", "RATES-PAY"): {
            "csat_2": 1,
            "nps_responses": 1,
            "nps_detractors": 1,
        },
    }


CONTACT_COUNTERS = {
    "interactions",
    "resolved",
    "handling_seconds",
    "handled",
    "inbound_identified",
    "fcr_eligible",
    "avoidable",
    "fcr_repeated",
    "transactions_started",
    "transactions_completed",
}
