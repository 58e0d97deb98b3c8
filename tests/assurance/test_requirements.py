"""Services declare the level an action needs; the service layer refuses below it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask

from cgcrm.assurance import rules
from cgcrm.assurance.errors import AssuranceRequired
from cgcrm.assurance.service import require_assurance
from cgcrm.extensions import db
from tests.assurance.conftest import PASSPORT


def verify_phone(rates: Any, verifications: str, burst_worker: Any, sent_code: Any) -> None:
    challenge = rates.post(f"{verifications}/codes", json={"kind": "phone"}).get_json()
    burst_worker()
    confirm = f"{verifications}/codes/{challenge['id']}/confirm"
    confirmed = rates.post(confirm, json={"code": sent_code(challenge["id"])})
    assert confirmed.status_code == 201, confirmed.get_json()


def patch(rates: Any, citizen_id: str, changes: dict[str, Any]) -> Any:
    url = f"/api/v1/citizens/{citizen_id}"
    etag = rates.get(url).headers["ETag"]
    return rates.patch(url, json=changes, headers={"If-Match": etag})


def test_replacing_a_verified_phone_is_refused_until_evidence_gives_medium(
    rates: Any, citizen_id: str, verifications: str, burst_worker: Any, sent_code: Any
) -> None:
    verify_phone(rates, verifications, burst_worker, sent_code)
    record = rates.get(f"/api/v1/citizens/{citizen_id}").get_json()
    emails = [
        {"kind": "email", "value": p["value"]}
        for p in record["contact_points"]
        if p["kind"] == "email"
    ]
    new_phone = [*emails, {"kind": "phone", "value": "0499 111 222"}]

    refused = patch(rates, citizen_id, {"contact_points": new_phone})
    assert refused.status_code == 403, refused.get_json()
    assert refused.content_type == "application/problem+json"
    problem = refused.get_json()
    assert problem["type"].endswith("/assurance-required")
    assert problem["required_level"] == "medium" and problem["current_level"] == "low"
    assert problem["current_evidence"] == ["contact_otp"]
    assert problem["service_code"] == "CS-CHANGE-ADDRESS"
    assert problem["action"] == "change_verified_contact_point"
    assert any("photo document" in way for way in problem["satisfied_by"])
    assert "high" not in problem["detail"]
    # Nothing changed: the refusal rolled the whole change back.
    unchanged = rates.get(f"/api/v1/citizens/{citizen_id}").get_json()
    assert unchanged["version"] == record["version"]

    # Keeping the verified phone, changing the rest, needs nothing more.
    kept = patch(rates, citizen_id, {"given_name": "Jon"})
    assert kept.status_code == 200, kept.get_json()

    assert rates.post(verifications, json=PASSPORT).status_code == 201
    assert rates.get(f"/api/v1/citizens/{citizen_id}").get_json()["assurance"]["level"] == (
        "medium"
    )
    allowed = patch(rates, citizen_id, {"contact_points": new_phone})
    assert allowed.status_code == 200, allowed.get_json()
    # The verified phone left the record: its evidence no longer counts.
    after = rates.get(f"/api/v1/citizens/{citizen_id}").get_json()["assurance"]
    assert after["level"] == "low" and [e["method"] for e in after["evidence"]] == [
        "document_check"
    ]


def test_a_record_without_verified_contact_points_changes_as_before(
    rates: Any, citizen_id: str
) -> None:
    changed = patch(rates, citizen_id, {"contact_points": []})
    assert changed.status_code == 200, changed.get_json()


def test_the_declared_table_is_enforced_by_the_service_layer(
    app: Flask, rates: Any, citizen_id: str, verifications: str
) -> None:
    assert rules.required_level("COMM-HARDSHIP", "change_bank_details") == "medium"
    assert rules.required_level("COMM-HARDSHIP", "no_such_action") == "none"
    with app.app_context():
        with pytest.raises(AssuranceRequired) as refused:
            require_assurance(uuid.UUID(citizen_id), "LIC-DRIVER-RENEW", "pay_in_name")
        assert refused.value.status == 403
        db.session.remove()
    signin = {"method": "external_signin", "provider": "https://idp.test", "vot": "P2"}
    assert rates.post(verifications, json=signin).status_code == 201
    with app.app_context():
        found = require_assurance(uuid.UUID(citizen_id), "LIC-DRIVER-RENEW", "pay_in_name")
        assert found.level == "medium"
        with pytest.raises(AssuranceRequired):
            require_assurance(uuid.UUID(citizen_id), "CS-FOI", "release_personal_information")
        db.session.remove()


def test_every_requirement_names_a_level_and_is_reachable() -> None:
    for (service_code, action), level in rules.REQUIREMENTS.items():
        assert level in rules.LEVELS, (service_code, action)
        assert rules.ways_to_reach(level), level
    strong = [rules.Evidence("external_signin", "high")]
    assert rules.level_of(strong) == "high"
    assert rules.level_of([rules.Evidence("document_check", "other")]) == "low"
    assert (
        rules.level_of([rules.Evidence("document_check", "other"), rules.Evidence("contact_otp")])
        == "low"
    )
    assert rules.level_of([]) == "none"


def test_the_360_view_shows_the_level_and_its_evidence(
    rates: Any, citizen_id: str, verifications: str
) -> None:
    assert rates.post(verifications, json=PASSPORT).status_code == 201
    view = rates.get(f"/api/v1/citizens/{citizen_id}/overview").get_json()
    assert view["assurance"]["level"] == "low"
    assert view["citizen"]["assurance"]["level"] == "low"
    assert [e["method"] for e in view["assurance"]["evidence"]] == ["document_check"]


def test_services_ask_only_questions_the_record_can_answer() -> None:
    asked = {q for questions in rules.SERVICE_QUESTIONS.values() for q in questions}
    assert asked | set(rules.DEFAULT_QUESTIONS) <= set(rules.CHECKED_QUESTIONS)
