"""Citizens who may be surveyed, contacts about a sampled service, and the links sent them."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.catalog.models import Service
from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.notifications.models import SentNotification
from cgcrm.surveys.models import SurveyInvitation
from cgcrm.surveys.service import decide_invitation
from tests.conftest import Api, new_citizen_payload

LINK = re.compile(r"(https?://\S+)/s/([A-Za-z0-9_-]{44})")
SURVEYS_GRANTED = {"purpose": "surveys", "granted": True, "channel": "phone"}


def set_sampling_rate(app: Flask, rate: float, code: str = "RATES-PAY") -> None:
    with app.app_context():
        db.session.execute(
            sa.update(Service).where(Service.code == code).values(survey_sampling_rate=rate)
        )
        db.session.commit()
        db.session.remove()


def new_citizen(api: Api, consents: list[dict[str, Any]] | None = None, **overrides: Any) -> str:
    payload = new_citizen_payload(
        consents=[SURVEYS_GRANTED] if consents is None else consents, **overrides
    )
    response = api.post("/api/v1/citizens?on_match=create", json=payload)
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def decide(app: Flask, interaction_id: uuid.UUID, **kwargs: Any) -> uuid.UUID | None:
    """Run the invitation decision as its event handler does, in a transaction committed
    after it; the invitation's id, or None."""
    with app.app_context():
        invitation = decide_invitation(interaction_id, **kwargs)
        found = invitation.id if invitation else None
        db.session.commit()
        db.session.remove()
    return found


def sent_links(app: Flask) -> list[tuple[str, str]]:
    """(base URL, token) of every survey link sent so far, oldest first."""
    with app.app_context():
        bodies = list(
            db.session.scalars(
                sa.select(SentNotification.body)
                .where(SentNotification.template == "survey.invitation")
                .order_by(SentNotification.sent_at)
            )
        )
        db.session.remove()
    return [match.groups() for body in bodies if (match := LINK.search(body))]


def invitation_count(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(SurveyInvitation))
        db.session.remove()
    return int(count or 0)


@pytest.fixture
def surveyed(app: Flask) -> None:
    """Every contact about RATES-PAY is sampled."""
    set_sampling_rate(app, 1.0)


@pytest.fixture
def citizen(rates: Api) -> str:
    """A citizen who agreed to be surveyed."""
    return new_citizen(rates)


@pytest.fixture
def recent_contact(record_contact: Any, citizen: str) -> Any:
    """Record a contact with the citizen that ended a few minutes ago (overridable)."""

    def record(**overrides: Any) -> uuid.UUID:
        started = utcnow() - timedelta(minutes=10)
        values: dict[str, Any] = {
            "citizen_id": uuid.UUID(citizen),
            "started_at": started,
            "ended_at": started + timedelta(minutes=5),
            **overrides,
        }
        contact: uuid.UUID = record_contact(**values)
        return contact

    return record


@pytest.fixture
def invited(app: Flask, surveyed: None, recent_contact: Any) -> tuple[uuid.UUID, str]:
    """A contact whose citizen was invited: (contact id, the link's token)."""
    contact = recent_contact()
    assert decide(app, contact) is not None
    (_, token), *_ = sent_links(app)
    return contact, token
