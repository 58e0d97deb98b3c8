"""A one-time code sent through the notification adapter verifies a contact point."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from cgcrm.assurance.models import CodeChallenge
from cgcrm.extensions import db
from cgcrm.worker.handlers import handlers_for
from cgcrm.worker.relay import route


def test_codes_are_sent_by_a_handler_on_the_notifications_queue() -> None:
    assert [spec.path for spec in handlers_for("assurance.code_requested")] == [
        "cgcrm.assurance.jobs:send_verification_code"
    ]
    assert route("assurance.code_requested") == "notifications"


def test_a_confirmed_code_verifies_the_contact_point(
    app: Flask, rates: Any, citizen_id: str, verifications: str, burst_worker: Any, sent_code: Any
) -> None:
    started = rates.post(f"{verifications}/codes", json={"kind": "phone"})
    assert started.status_code == 202, started.get_json()
    challenge = started.get_json()
    assert challenge["sent_to"] == "*********678" and challenge["attempts_left"] == 5
    confirm = f"{verifications}/codes/{challenge['id']}/confirm"
    early = rates.post(confirm, json={"code": "000000"})
    assert early.status_code == 409  # not sent yet: the request never waits on a gateway
    burst_worker()
    code = sent_code(challenge["id"])
    with app.app_context():
        stored = db.session.get(CodeChallenge, challenge["id"])
        assert stored is not None and stored.code_hash and code not in stored.code_hash
        db.session.remove()
    wrong = "000000" if code != "000000" else "111111"
    refused = rates.post(confirm, json={"code": wrong})
    assert refused.status_code == 422 and refused.get_json()["attempts_left"] == 4
    confirmed = rates.post(confirm, json={"code": code})
    assert confirmed.status_code == 201, confirmed.get_json()
    evidence = confirmed.get_json()
    assert evidence["method"] == "contact_otp" and evidence["channel"] == "sms"
    assert evidence["details"]["sent_to"] == "*********678"
    assert "contact_hash" not in evidence["details"]
    record = rates.get(f"/api/v1/citizens/{citizen_id}").get_json()
    assert record["assurance"]["level"] == "low"
    again = rates.post(confirm, json={"code": code})
    assert again.status_code == 409  # a code is used once
    burst_worker()  # a redelivery sends nothing twice and makes no new code
    assert sent_code(challenge["id"]) == code


def test_five_wrong_codes_lock_the_challenge(
    rates: Any, verifications: str, burst_worker: Any, sent_code: Any
) -> None:
    challenge = rates.post(f"{verifications}/codes", json={"kind": "email"}).get_json()
    assert challenge["sent_to"].startswith("j***@example.com")
    burst_worker()
    code = sent_code(challenge["id"])
    wrong = "000000" if code != "000000" else "111111"
    confirm = f"{verifications}/codes/{challenge['id']}/confirm"
    for left in (4, 3, 2, 1, 0):
        response = rates.post(confirm, json={"code": wrong})
        assert response.status_code == 422 and response.get_json()["attempts_left"] == left
    locked = rates.post(confirm, json={"code": code})
    assert locked.status_code == 409 and "locked" in locked.get_json()["detail"]


def test_an_expired_code_is_refused_and_codes_are_rationed(
    rates: Any, verifications: str, burst_worker: Any, sent_code: Any, age: Any
) -> None:
    challenge = rates.post(f"{verifications}/codes", json={"kind": "phone"}).get_json()
    burst_worker()
    code = sent_code(challenge["id"])
    age(CodeChallenge, challenge["id"], expires_at=datetime.now(UTC) - timedelta(seconds=1))
    expired = rates.post(f"{verifications}/codes/{challenge['id']}/confirm", json={"code": code})
    assert expired.status_code == 409 and "expired" in expired.get_json()["detail"]
    for _ in range(4):
        assert rates.post(f"{verifications}/codes", json={"kind": "phone"}).status_code == 202
    rationed = rates.post(f"{verifications}/codes", json={"kind": "phone"})
    assert rationed.status_code == 429, rationed.get_json()
    assert rationed.headers["Retry-After"] == "3600"


def test_bad_code_requests_are_problems_not_errors(
    app: Flask, rates: Any, citizen_id: str, verifications: str
) -> None:
    other = rates.post(f"{verifications}/codes", json={"kind": "phone", "value": "0499 999 999"})
    assert other.status_code == 422, other.get_json()
    for body in ({"kind": "fax"}, {}, {"kind": "email", "value": "not an email"}, [1]):
        response = rates.post(f"{verifications}/codes", json=body)
        assert response.status_code in (400, 422), (body, response.get_json())
    unknown = f"{verifications}/codes/00000000-0000-4000-8000-000000000000/confirm"
    assert rates.post(unknown, json={"code": "123456"}).status_code == 404
    assert rates.post(unknown, json={"code": "12345"}).status_code == 422
    assert (
        rates.post(unknown, json={"code": "\uff11\uff12\uff13\uff14\uff15\uff16"}).status_code
        == 422
    )
    with app.app_context():
        assert db.session.scalars(select(CodeChallenge)).all() == []
        db.session.remove()
