"""Recording identity evidence and the level it gives, through the HTTP API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from cgcrm.assurance.models import Verification
from cgcrm.citizens.models import Citizen
from cgcrm.core.audit import AuditEvent
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from tests.assurance.conftest import PASSPORT
from tests.conftest import new_citizen_payload


def level(api: Any, citizen_id: str) -> str:
    response = api.get(f"/api/v1/citizens/{citizen_id}/assurance")
    assert response.status_code == 200, response.get_json()
    return str(response.get_json()["level"])


def test_a_new_citizen_has_no_assurance(rates: Any, citizen_id: str) -> None:
    record = rates.get(f"/api/v1/citizens/{citizen_id}").get_json()
    assert record["assurance"] == {"level": "none", "valid_until": None, "evidence": []}
    assert level(rates, citizen_id) == "none"


def test_a_document_checked_at_the_counter_is_recorded_with_who_when_how(
    app: Flask, rates: Any, citizen_id: str, verifications: str
) -> None:
    response = rates.post(verifications, json=PASSPORT)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["method"] == "document_check" and body["strength"] == "photo"
    assert body["details"] == {"document_type": "passport", "last_digits": "4821"}
    assert body["verified_by"].startswith("client:") and body["department_code"] == "RATES"
    assert body["channel"] == "counter" and body["outcome"] == "passed"
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=364) < expires - datetime.now(UTC) <= timedelta(days=365)
    # One document alone proves the identity exists, not that it is this person's: low.
    record = rates.get(f"/api/v1/citizens/{citizen_id}").get_json()
    assert record["assurance"]["level"] == "low"
    assert [e["method"] for e in record["assurance"]["evidence"]] == ["document_check"]
    listed = rates.get(verifications).get_json()
    assert [v["id"] for v in listed] == [body["id"]]
    with app.app_context():
        events = db.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "assurance.verification_recorded")
        ).all()
        assert [e.payload["level"] for e in events] == ["low"]
        assert "4821" not in str(events[0].payload)
        actions = set(
            db.session.scalars(
                select(AuditEvent.action).where(AuditEvent.citizen_id == uuid.UUID(citizen_id))
            )
        )
        assert {"citizen.verification_passed", "citizen.verifications_read"} <= actions
        db.session.remove()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"last_digits": "123456789"}, "last_digits"),
        ({"last_digits": "12-34"}, "last_digits"),
        ({"note": "passport no. 1234 5678 9"}, "note"),
        ({"image": "data:image/png;base64,AAAA"}, "image"),
        ({"document_number": "PA1234567"}, "document_number"),
        ({"document_type": "selfie"}, "document_type"),
    ],
)
def test_a_full_number_or_an_image_is_refused(
    rates: Any, verifications: str, change: dict[str, Any], field: str
) -> None:
    response = rates.post(verifications, json={**PASSPORT, **change})
    assert response.status_code == 422, response.get_json()
    assert response.content_type == "application/problem+json"
    assert field in str(response.get_json()["errors"])
    assert rates.get(verifications).get_json() == []


def test_an_external_sign_in_gives_the_level_its_vot_or_acr_says(
    rates: Any, citizen_id: str, verifications: str
) -> None:
    signin = {"method": "external_signin", "channel": "web", "provider": "https://idp.test"}
    refused = rates.post(verifications, json={**signin, "acr": "urn:somewhere:gold"})
    assert refused.status_code == 422 and "acr" in refused.get_json()["errors"]
    assert rates.post(verifications, json=signin).status_code == 422
    medium = rates.post(verifications, json={**signin, "vot": "P2"})
    assert medium.status_code == 201, medium.get_json()
    assert medium.get_json()["strength"] == "medium"
    assert level(rates, citizen_id) == "medium"
    # A photo document on top of a medium sign-in: two independent strong checks give high.
    assert rates.post(verifications, json=PASSPORT).status_code == 201
    assert level(rates, citizen_id) == "high"


def test_disagreeing_claims_count_as_the_lower(
    rates: Any, citizen_id: str, verifications: str
) -> None:
    body = {
        "method": "external_signin",
        "provider": "https://idp.test",
        "vot": "P3",
        "acr": "http://eidas.europa.eu/LoA/low",
    }
    assert rates.post(verifications, json=body).get_json()["strength"] == "low"
    assert level(rates, citizen_id) == "low"


def test_knowledge_questions_are_checked_against_the_record_never_stored(
    app: Flask, rates: Any, citizen_id: str, verifications: str
) -> None:
    # A service that asks the default questions, answered by the record alone (the payment
    # question of RATES-PAY: tests/assurance/test_payment_question.py).
    asked = {
        "method": "knowledge_questions",
        "channel": "phone",
        "service_code": "WASTE-MISSED-BIN",
    }
    right = {"date_of_birth": "1984-03-02", "postcode": " 2150 "}
    missing = rates.post(verifications, json={**asked, "answers": {"postcode": "2150"}})
    assert missing.status_code == 422
    assert "date_of_birth" in missing.get_json()["errors"]["answers"]
    extra = rates.post(verifications, json={**asked, "answers": {**right, "family_name": "X"}})
    assert extra.status_code == 422
    unknown_service = rates.post(verifications, json={**asked, "service_code": "NO-SUCH"})
    assert unknown_service.status_code == 422
    wrong = rates.post(verifications, json={**asked, "answers": {**right, "postcode": "2000"}})
    assert wrong.status_code == 422, wrong.get_json()
    assert "postcode" not in wrong.get_json()["detail"]  # which answer was wrong is not said
    assert level(rates, citizen_id) == "none"
    passed = rates.post(verifications, json={**asked, "answers": right})
    assert passed.status_code == 201, passed.get_json()
    assert passed.get_json()["details"] == {"questions": ["date_of_birth", "postcode"]}
    assert level(rates, citizen_id) == "low"
    outcomes = [v["outcome"] for v in rates.get(verifications).get_json()]
    assert sorted(outcomes) == ["failed", "passed"]
    with app.app_context():
        stored = str([v.details for v in db.session.scalars(select(Verification))])
        assert "1984" not in stored and "2150" not in stored and "2000" not in stored
        db.session.remove()


def test_the_phone_route_closes_after_three_wrong_answers_in_a_day(
    rates: Any, verifications: str
) -> None:
    wrong = {
        "method": "knowledge_questions",
        "service_code": "WASTE-MISSED-BIN",
        "answers": {"date_of_birth": "1990-01-01", "postcode": "2150"},
    }
    for _ in range(3):
        assert rates.post(verifications, json=wrong).status_code == 422
    closed = rates.post(verifications, json=wrong)
    assert closed.status_code == 429 and closed.content_type == "application/problem+json"
    assert closed.headers["Retry-After"] == "86400"
    right = {**wrong, "answers": {"date_of_birth": "1984-03-02", "postcode": "2150"}}
    assert rates.post(verifications, json=right).status_code == 429


def test_expired_evidence_no_longer_counts(
    app: Flask, rates: Any, citizen_id: str, verifications: str, age: Any
) -> None:
    soon = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    too_late = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    assert rates.post(verifications, json={**PASSPORT, "expires_at": too_late}).status_code == 422
    created = rates.post(verifications, json={**PASSPORT, "expires_at": soon}).get_json()
    assert level(rates, citizen_id) == "low"
    record = rates.get(f"/api/v1/citizens/{citizen_id}").get_json()["assurance"]
    assert record["valid_until"] == created["expires_at"]
    age(Verification, created["id"], expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert level(rates, citizen_id) == "none"
    assert len(rates.get(verifications).get_json()) == 1  # still listed, no longer counted


def test_only_writers_record_evidence_and_unknown_citizens_are_404(
    make_api: Any, rates: Any
) -> None:
    reader = make_api("citizens:read", "RATES")
    created = rates.post("/api/v1/citizens", json=new_citizen_payload()).get_json()
    url = f"/api/v1/citizens/{created['id']}/verifications"
    refused = reader.post(url, json=PASSPORT)
    assert refused.status_code == 403
    assert reader.get(url).status_code == 200
    missing = f"/api/v1/citizens/{uuid.uuid4()}/verifications"
    assert rates.post(missing, json=PASSPORT).status_code == 404
    assert rates.get(missing).status_code == 404
    assert rates.get(f"/api/v1/citizens/{uuid.uuid4()}/assurance").status_code == 404
    for body in ([], "x", {"method": "contact_otp"}, {"method": None}, {}):
        response = rates.post(url, json=body)
        assert response.status_code in (400, 422), (body, response.get_json())


def test_a_merged_record_answers_as_the_rest_of_the_api(
    app: Flask, rates: Any, citizen_id: str, verifications: str
) -> None:
    survivor = rates.post("/api/v1/citizens?on_match=create", json=new_citizen_payload()).get_json()
    with app.app_context():
        db.session.execute(
            update(Citizen)
            .where(Citizen.id == uuid.UUID(citizen_id))
            .values(status="merged", merged_into_id=uuid.UUID(survivor["id"]))
        )
        db.session.commit()
        db.session.remove()
    refused = rates.post(verifications, json=PASSPORT)
    assert refused.status_code == 409
    assert refused.get_json()["merged_into"] == survivor["id"]
    codes = rates.post(f"{verifications}/codes", json={"kind": "email"})
    assert codes.status_code == 409
