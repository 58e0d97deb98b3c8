"""The review's consent escalation, replayed: a department may not open other departments'
records to itself by recording the citizen's sharing grant without scope or evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from cgcrm.extensions import db
from cgcrm.notifications.models import SentNotification
from tests.conftest import DEPARTMENT_SYSTEM, new_citizen_payload
from tests.consent_helpers import SHARING, consent_recorder, record_consent_contact

URL = "/api/v1/citizens"
PROBLEM_JSON = "application/problem+json"


def grant(api: Any, citizen_id: str, channel: str = "phone", **extra: Any) -> Any:
    body = {"purpose": SHARING, "granted": True, "channel": channel, **extra}
    return api.post(f"{URL}/{citizen_id}/consents", json=body)


def rates_case(rates: Any, citizen_id: str) -> dict[str, Any]:
    response = rates.post(
        "/api/v1/cases",
        json={"citizen_id": citizen_id, "service_code": "RATES-PAY", "summary": "Rates query"},
    )
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def sees_case(api: Any, case: dict[str, Any]) -> bool:
    return bool(api.get(f"/api/v1/cases/{case['id']}").status_code == 200)


def test_citizens_write_alone_cannot_grant_sharing(rates: Any, waste: Any, citizen_id: str) -> None:
    case = rates_case(rates, citizen_id)
    contact = record_consent_contact(waste, citizen_id)
    refused = grant(waste, citizen_id, interaction_id=contact["id"])
    assert refused.status_code == 403, refused.get_json()
    assert refused.content_type == PROBLEM_JSON
    assert "consents:record" in refused.get_json()["detail"]
    assert not sees_case(waste, case)
    history = waste.get(f"{URL}/{citizen_id}/consents").get_json()
    assert history == []


def test_a_grant_must_name_a_plausible_contact_with_this_citizen(
    make_api: Any, rates: Any, citizen_id: str
) -> None:
    clerk = consent_recorder(make_api, "WASTE")
    case = rates_case(rates, citizen_id)

    missing = grant(clerk, citizen_id)
    assert missing.status_code == 422, missing.get_json()
    assert "interaction_id" in missing.get_json()["errors"]

    other_citizen = clerk.post(URL, json=new_citizen_payload(given_name="Mary")).get_json()
    elsewhere = record_consent_contact(clerk, other_citizen["id"])
    wrong_citizen = grant(clerk, citizen_id, interaction_id=elsewhere["id"])
    assert wrong_citizen.status_code == 422, wrong_citizen.get_json()
    assert wrong_citizen.get_json()["errors"]["interaction_id"] == [
        "the contact is not with this citizen"
    ]

    # Another department's contact, which WASTE may not see: as unknown as a made-up id.
    rates_contact = record_consent_contact(rates, citizen_id)
    for unseen in (rates_contact["id"], "0190b6d2-0000-7000-8000-000000000000"):
        refused = grant(clerk, citizen_id, interaction_id=unseen)
        assert refused.status_code == 422, refused.get_json()
        assert refused.get_json()["errors"]["interaction_id"] == [
            "no contact with this id that you may see"
        ]

    own = record_consent_contact(clerk, citizen_id, channel="phone")
    on_another_channel = grant(clerk, citizen_id, channel="web", interaction_id=own["id"])
    assert on_another_channel.status_code == 422

    long_ago = datetime.now(UTC) - timedelta(days=90)
    old = clerk.post(
        "/api/v1/interactions",
        json={
            "citizen_id": citizen_id,
            "channel": "phone",
            "started_at": long_ago.isoformat(),
            "outcome": "resolved",
        },
    ).get_json()
    assert grant(clerk, citizen_id, interaction_id=old["id"]).status_code == 422

    abandoned = clerk.post(
        "/api/v1/interactions",
        json={
            "citizen_id": citizen_id,
            "channel": "phone",
            "started_at": datetime.now(UTC).isoformat(),
            "outcome": "abandoned",
        },
    ).get_json()
    assert grant(clerk, citizen_id, interaction_id=abandoned["id"]).status_code == 422

    assert not sees_case(clerk, case)
    assert clerk.get(f"{URL}/{citizen_id}/consents").get_json() == []


def test_a_proper_grant_is_recorded_audited_and_notified(
    app: Flask, make_api: Any, rates: Any, citizen_id: str, burst_worker: Any
) -> None:
    clerk = consent_recorder(make_api, "WASTE")
    case = rates_case(rates, citizen_id)
    contact = record_consent_contact(clerk, citizen_id)

    granted = grant(clerk, citizen_id, interaction_id=contact["id"])
    assert granted.status_code == 201, granted.get_json()
    assert granted.get_json()["interaction_id"] == contact["id"]
    assert sees_case(clerk, case)

    auditor = make_api("citizens:read audit cross_department")
    trail = auditor.get(f"{URL}/{citizen_id}/audit?limit=200").get_json()
    sharing_entries = [e for e in trail if e["action"] == "citizen.sharing_granted"]
    assert len(sharing_entries) == 1
    assert sharing_entries[0]["department_code"] == "WASTE"
    assert contact["id"] in sharing_entries[0]["reason"]

    # Nothing is sent in the request: the notification waits for the worker.
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SentNotification)) == 0
        db.session.remove()
    burst_worker()
    with app.app_context():
        sent = list(db.session.scalars(sa.select(SentNotification)))
        db.session.remove()
    assert len(sent) == 1
    message = sent[0]
    assert message.recipient_ref == f"citizen:{citizen_id}"
    assert message.channel == "email"  # no preferred channel: the email given comes first
    assert message.address.startswith("john.smith.")
    assert message.template == f"consent.{SHARING}.granted"
    assert "WASTE" in message.body
    assert message.adapter == "table"

    burst_worker()  # a second run (or a redelivery) sends nothing twice
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SentNotification)) == 1
        db.session.remove()


def test_withdrawal_is_never_restricted(
    app: Flask, make_api: Any, waste: Any, citizen_id: str, burst_worker: Any
) -> None:
    clerk = consent_recorder(make_api, "RATES")
    contact = record_consent_contact(clerk, citizen_id)
    assert grant(clerk, citizen_id, interaction_id=contact["id"]).status_code == 201

    # WASTE holds only citizens:write and names no contact.
    withdrawn = waste.post(
        f"{URL}/{citizen_id}/consents",
        json={"purpose": SHARING, "granted": False, "channel": "web"},
    )
    assert withdrawn.status_code == 201, withdrawn.get_json()
    current = waste.get(f"{URL}/{citizen_id}").get_json()["consents"]
    assert [(c["purpose"], c["status"]) for c in current] == [(SHARING, "withdrawn")]

    burst_worker()
    with app.app_context():
        # Only the grant is notified.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SentNotification)) == 1
        db.session.remove()


def test_purposes_that_do_not_widen_access_need_no_evidence(waste: Any, citizen_id: str) -> None:
    body = {"purpose": "service_updates", "granted": True, "channel": "web"}
    assert waste.post(f"{URL}/{citizen_id}/consents", json=body).status_code == 201


def test_a_new_record_cannot_carry_a_sharing_grant(make_api: Any, waste: Any) -> None:
    consents = [{"purpose": SHARING, "granted": True, "channel": "counter"}]
    refused = waste.post(URL, json=new_citizen_payload(consents=consents))
    assert refused.status_code == 403, refused.get_json()
    clerk = make_api(f"{DEPARTMENT_SYSTEM} consents:record", "WASTE")
    refused = clerk.post(URL, json=new_citizen_payload(consents=consents))
    assert refused.status_code == 422, refused.get_json()
    assert "consents" in refused.get_json()["errors"]
    withdrawal = [{"purpose": SHARING, "granted": False, "channel": "counter"}]
    assert waste.post(URL, json=new_citizen_payload(consents=withdrawal)).status_code == 201
