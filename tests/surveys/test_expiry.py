"""The periodic job that marks unanswered invitations past their expiry as expired."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.surveys.jobs import expire_survey_invitations
from cgcrm.surveys.models import SurveyInvitation
from cgcrm.surveys.service import expire_invitations
from cgcrm.worker.periodic import PERIODIC_JOBS
from tests.conftest import new_citizen_payload
from tests.surveys.conftest import SURVEYS_GRANTED, decide


def test_the_job_is_declared_with_its_interval_setting(app: Flask) -> None:
    [spec] = [spec for spec in PERIODIC_JOBS if spec.name == "expire-survey-invitations"]
    assert spec.func == "cgcrm.surveys.jobs.expire_survey_invitations"
    assert isinstance(app.config[spec.interval_setting], int)


def test_only_unanswered_invitations_past_expiry_are_marked_once(
    app: Flask, client: Any, rates: Any, surveyed: None, record_contact: Any
) -> None:
    invitations = []
    for _ in range(3):  # three citizens: the quiet period is per citizen
        payload = new_citizen_payload(consents=[SURVEYS_GRANTED])
        created = rates.post("/api/v1/citizens?on_match=create", json=payload)
        contact = record_contact(
            citizen_id=uuid.UUID(created.get_json()["id"]),
            started_at=utcnow() - timedelta(minutes=5),
        )
        invitations.append(decide(app, contact))
    expired, answered, current = invitations
    with app.app_context():
        past = utcnow() - timedelta(minutes=1)
        db.session.execute(
            sa.update(SurveyInvitation)
            .where(SurveyInvitation.id.in_([expired, answered]))
            .values(expires_at=past)
        )
        db.session.execute(
            sa.update(SurveyInvitation)
            .where(SurveyInvitation.id == answered)
            .values(answered_at=past - timedelta(minutes=1))
        )
        db.session.commit()
        assert expire_survey_invitations() == 1
        assert expire_invitations() == 0  # idempotent
        marked = dict(
            db.session.execute(sa.select(SurveyInvitation.id, SurveyInvitation.expired_at)).all()
        )
        assert marked[expired] is not None
        assert marked[answered] is None and marked[current] is None
        # A week on, the current one has expired too.
        later = utcnow() + timedelta(days=app.config["SURVEY_INVITATION_TTL_DAYS"], seconds=1)
        assert expire_invitations(now=later) == 1
        db.session.remove()


def test_an_invitation_marked_expired_answers_410(
    app: Flask, client: Any, invited: tuple[uuid.UUID, str]
) -> None:
    _, token = invited
    with app.app_context():
        later = utcnow() + timedelta(days=app.config["SURVEY_INVITATION_TTL_DAYS"], seconds=1)
        assert expire_invitations(now=later) == 1
        db.session.remove()
    response = client.post("/api/v1/surveys/responses", json={"token": token, "csat": 5})
    assert response.status_code == 410
