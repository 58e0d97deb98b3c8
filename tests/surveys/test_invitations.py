"""Who is invited to rate a contact, one rule at a time, and what they are sent."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.core.clock import utcnow
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.notifications.models import SentNotification
from cgcrm.surveys.invitations import sampled
from cgcrm.surveys.models import SurveyInvitation
from cgcrm.surveys.tokens import signed_interaction, token_hash
from tests.conftest import Api
from tests.surveys.conftest import (
    decide,
    invitation_count,
    new_citizen,
    sent_links,
    set_sampling_rate,
)


@pytest.mark.smoke
def test_an_eligible_contact_is_invited_by_the_preferred_channel_with_a_working_link(
    app: Flask, client: Any, surveyed: None, recent_contact: Any, citizen: str
) -> None:
    contact = recent_contact()
    invitation_id = decide(app, contact)
    assert invitation_id is not None

    [(base, token)] = sent_links(app)
    assert base == app.config["JWT_ISSUER"]  # SURVEY_BASE_URL is empty: the app's own address
    with app.app_context():
        assert signed_interaction(token) == contact
        invitation = db.session.get(SurveyInvitation, invitation_id)
        assert invitation is not None
        assert invitation.token_hash == token_hash(token)  # only the hash is kept
        assert invitation.citizen_id == uuid.UUID(citizen)
        assert invitation.channel == "email"  # no preference given: email first
        ttl = timedelta(days=app.config["SURVEY_INVITATION_TTL_DAYS"])
        assert invitation.expires_at - invitation.sent_at == ttl
        message = db.session.scalar(sa.select(SentNotification))
        assert message is not None
        assert message.reference == f"survey.invitation:{contact}"
        assert token not in message.reference  # references are logged; tokens are credentials
        assert message.recipient_ref == f"citizen:{citizen}"
        assert "@example.com" in message.address
        event = db.session.scalar(
            sa.select(OutboxEvent).where(OutboxEvent.type == "survey.invitation_sent")
        )
        assert event is not None
        assert event.aggregate_type == "survey_invitation"
        assert event.payload == {
            "invitation_id": str(invitation_id),
            "interaction_id": str(contact),
        }
        db.session.remove()
    page = client.get(f"/s/{token}")
    assert page.status_code == 200


def test_the_link_uses_survey_base_url_when_set(
    app: Flask, surveyed: None, recent_contact: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SURVEY_BASE_URL", "https://feedback.example.gov.au/")
    assert decide(app, recent_contact()) is not None
    assert sent_links(app)[0][0] == "https://feedback.example.gov.au"


def test_the_preferred_channel_decides_how_the_invitation_goes(
    app: Flask, rates: Api, surveyed: None, record_contact: Any
) -> None:
    citizen = new_citizen(rates, preferences={"preferred_channel": "phone"})
    started = utcnow() - timedelta(minutes=10)
    decide(app, record_contact(citizen_id=uuid.UUID(citizen), started_at=started))
    with app.app_context():
        message = db.session.scalar(sa.select(SentNotification))
        assert message is not None and message.channel == "sms"
        assert message.address.startswith("+61")
        db.session.remove()


def test_sampling_is_a_deterministic_share_of_contacts() -> None:
    ids = [uuid.uuid4() for _ in range(2000)]
    assert all(sampled(contact, 1.0) for contact in ids)
    assert not any(sampled(contact, 0.0) for contact in ids)
    picked = sum(sampled(contact, 0.2) for contact in ids)
    assert 300 < picked < 500  # about a fifth
    assert [sampled(contact, 0.5) for contact in ids] == [sampled(c, 0.5) for c in ids]


def test_a_rate_of_zero_never_invites(app: Flask, recent_contact: Any) -> None:
    set_sampling_rate(app, 0.0)
    assert decide(app, recent_contact()) is None
    assert invitation_count(app) == 0
    assert sent_links(app) == []


def test_no_second_invitation_within_the_quiet_days(
    app: Flask, surveyed: None, recent_contact: Any
) -> None:
    assert decide(app, recent_contact()) is not None
    assert decide(app, recent_contact()) is None
    # Once the quiet period is over, the citizen may be asked again.
    with app.app_context():
        quiet = timedelta(days=app.config["SURVEY_QUIET_DAYS"], minutes=1)
        db.session.execute(sa.update(SurveyInvitation).values(sent_at=utcnow() - quiet))
        db.session.commit()
        db.session.remove()
    assert decide(app, recent_contact()) is not None
    assert invitation_count(app) == 2


def test_a_contact_is_invited_once_however_often_it_is_decided(
    app: Flask, surveyed: None, recent_contact: Any
) -> None:
    contact = recent_contact()
    first = decide(app, contact)
    assert decide(app, contact) == first
    assert len(sent_links(app)) == 1


@pytest.mark.parametrize(
    ("consents", "invited"),
    [
        ([], False),
        ([{"purpose": "surveys", "granted": True, "channel": "phone"}], True),
        ([{"purpose": "service_updates", "granted": True, "channel": "phone"}], False),
    ],
    ids=["no-decision", "granted", "another-purpose"],
)
def test_only_a_citizen_who_agreed_to_surveys_is_invited(
    app: Flask,
    rates: Api,
    surveyed: None,
    record_contact: Any,
    consents: list[dict[str, Any]],
    invited: bool,
) -> None:
    citizen = new_citizen(rates, consents=consents)
    contact = record_contact(
        citizen_id=uuid.UUID(citizen), started_at=utcnow() - timedelta(minutes=5)
    )
    assert (decide(app, contact) is not None) is invited


def test_a_withdrawn_consent_stops_invitations(
    app: Flask, rates: Api, surveyed: None, recent_contact: Any, citizen: str
) -> None:
    withdrawn = rates.post(
        f"/api/v1/citizens/{citizen}/consents",
        json={"purpose": "surveys", "granted": False, "channel": "web"},
    )
    assert withdrawn.status_code == 201, withdrawn.get_json()
    assert decide(app, recent_contact()) is None
    granted = rates.post(
        f"/api/v1/citizens/{citizen}/consents",
        json={"purpose": "surveys", "granted": True, "channel": "web"},
    )
    assert granted.status_code == 201, granted.get_json()
    assert decide(app, recent_contact()) is not None  # the latest decision counts


@pytest.mark.parametrize(
    "overrides",
    [
        {"citizen_id": None},
        {"direction": "outbound"},
        {"outcome": "abandoned"},
        {"service_code": None},
    ],
    ids=["anonymous", "outbound", "abandoned", "no-service"],
)
def test_contacts_that_are_not_surveyed(
    app: Flask, surveyed: None, recent_contact: Any, overrides: dict[str, Any]
) -> None:
    assert decide(app, recent_contact(**overrides)) is None
    assert invitation_count(app) == 0


def test_a_contact_from_before_today_is_not_surveyed(
    app: Flask, surveyed: None, recent_contact: Any
) -> None:
    hours = app.config["SURVEY_MAX_CONTACT_AGE_HOURS"]
    started = utcnow() - timedelta(hours=hours, minutes=30)
    old = recent_contact(started_at=started, ended_at=started + timedelta(minutes=20))
    assert decide(app, old) is None
    # The end counts: a long contact that ended within the window is still today's.
    long = recent_contact(started_at=started, ended_at=utcnow() - timedelta(minutes=1))
    assert decide(app, long) is not None


def test_a_merged_citizen_is_not_invited(
    app: Flask, rates: Api, surveyed: None, recent_contact: Any, citizen: str
) -> None:
    contact = recent_contact()
    survivor = new_citizen(rates)
    with app.app_context():
        db.session.execute(
            sa.text(
                "UPDATE citizens SET status = 'merged', merged_into_id = :survivor WHERE id = :id"
            ),
            {"survivor": uuid.UUID(survivor), "id": uuid.UUID(citizen)},
        )
        db.session.commit()
        db.session.remove()
    assert decide(app, contact) is None


def test_a_citizen_with_no_address_is_not_invited(
    app: Flask, rates: Api, surveyed: None, record_contact: Any
) -> None:
    citizen = new_citizen(rates, contact_points=[], addresses=[])
    contact = record_contact(
        citizen_id=uuid.UUID(citizen), started_at=utcnow() - timedelta(minutes=5)
    )
    assert decide(app, contact) is None


def test_the_worker_invites_after_a_recorded_contact(
    app: Flask, surveyed: None, recent_contact: Any, burst_worker: Any
) -> None:
    contact = recent_contact()
    burst_worker()
    assert invitation_count(app) == 1
    [(_, token)] = sent_links(app)
    with app.app_context():
        assert signed_interaction(token) == contact
    burst_worker()  # the invitation's own event is handled by no one here; nothing is re-sent
    assert len(sent_links(app)) == 1
