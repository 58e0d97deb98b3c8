"""The last payment's amount as a knowledge question (RATES-PAY asks it), through the real API:
payments answer it through the source create_app installs; assurance never imports payments."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from cgcrm.assurance import answer_sources, rules
from cgcrm.assurance.models import Verification
from cgcrm.extensions import db
from tests.assurance.payment_helpers import finish, take
from tests.matching.merge_helpers import create as create_citizen
from tests.matching.merge_helpers import merge

RIGHT = {"date_of_birth": "1984-03-02", "postcode": "2150"}
ASKED = {"method": "knowledge_questions", "channel": "phone", "service_code": "RATES-PAY"}


@pytest.fixture
def cashier(make_api: Any) -> Any:
    return make_api("citizens:read payments:write", "RATES")


def answer(api: Any, citizen_id: str, amount: str, **answers: str) -> Any:
    body = {**ASKED, "answers": {**RIGHT, "last_payment_amount": amount, **answers}}
    return api.post(f"/api/v1/citizens/{citizen_id}/verifications", json=body)


def level(api: Any, citizen_id: str) -> str:
    return str(api.get(f"/api/v1/citizens/{citizen_id}/assurance").get_json()["level"])


def outcomes(app: Flask, citizen_id: str) -> list[str]:
    with app.app_context():
        found = sorted(
            db.session.scalars(
                select(Verification.outcome).where(Verification.citizen_id == uuid.UUID(citizen_id))
            )
        )
        db.session.remove()
    return found


def test_rates_pay_asks_the_last_payment_and_create_app_installs_its_source(app: Flask) -> None:
    assert "last_payment_amount" in rules.SERVICE_QUESTIONS["RATES-PAY"]
    assert set(rules.SOURCED_QUESTIONS) <= answer_sources.installed_questions(app)


def test_the_right_amount_records_evidence_and_raises_the_level(
    app: Flask, rates: Any, cashier: Any, citizen_id: str
) -> None:
    take(app, cashier, citizen_id, 6500)
    passed = answer(rates, citizen_id, "65.00")
    assert passed.status_code == 201, passed.get_json()
    assert passed.get_json()["details"] == {"questions": list(rules.SERVICE_QUESTIONS["RATES-PAY"])}
    assert level(rates, citizen_id) == "low"
    # Whole units as said on the phone are the same amount; the amount is never stored.
    assert answer(rates, citizen_id, " 65 ").status_code == 201
    with app.app_context():
        stored = str([v.details for v in db.session.scalars(select(Verification))])
        db.session.remove()
    assert "65" not in stored


def test_the_latest_successful_payment_is_the_one_asked_about(
    app: Flask, rates: Any, cashier: Any, citizen_id: str
) -> None:
    older = take(app, cashier, citizen_id, 1250, state=None)
    take(app, cashier, citizen_id, 9900)
    finish(app, older, "success")  # created first, finished last: the latest payment
    take(app, cashier, citizen_id, 4000, state="failed")  # not a payment the citizen made
    take(app, cashier, citizen_id, 3000, state=None)  # nor one still open
    assert answer(rates, citizen_id, "99.00").status_code == 422
    assert answer(rates, citizen_id, "40").status_code == 422
    assert answer(rates, citizen_id, "12.5").status_code == 201
    assert outcomes(app, citizen_id) == ["failed", "failed", "passed"]


def test_a_wrong_amount_is_a_failed_attempt_counted_to_the_days_limit(
    app: Flask, rates: Any, cashier: Any, citizen_id: str
) -> None:
    take(app, cashier, citizen_id, 6500)
    wrong = answer(rates, citizen_id, "64.99")
    assert wrong.status_code == 422, wrong.get_json()
    assert "65" not in str(wrong.get_json())  # the expected amount is never told
    # Garbage is a wrong answer, never a 500 (nor a billion-digit number to print).
    assert answer(rates, citizen_id, "sNaN").status_code == 422
    assert answer(rates, citizen_id, "1e999999999").status_code == 422
    assert outcomes(app, citizen_id) == ["failed", "failed", "failed"]
    closed = answer(rates, citizen_id, "65.00")
    assert closed.status_code == 429
    assert level(rates, citizen_id) == "none"


@pytest.mark.parametrize("given", ["-65", "65.001", "6,500", "$65", "65.00.0", "٦٥", "6_5", "Inf"])
def test_amounts_that_are_not_plain_major_units_are_wrong_answers(
    app: Flask, rates: Any, cashier: Any, citizen_id: str, given: str
) -> None:
    take(app, cashier, citizen_id, 6500)
    refused = answer(rates, citizen_id, given)
    assert refused.status_code == 422, refused.get_json()
    assert outcomes(app, citizen_id) == ["failed"]


def test_a_citizen_with_no_payment_cannot_be_asked_and_no_attempt_counts(
    app: Flask, rates: Any, cashier: Any, citizen_id: str
) -> None:
    take(app, cashier, citizen_id, 6500, state="failed")
    for _ in range(rules.KNOWLEDGE_FAILURES_PER_DAY + 1):
        refused = answer(rates, citizen_id, "65.00")
        assert refused.status_code == 409, refused.get_json()
    problem = refused.get_json()
    assert refused.content_type == "application/problem+json"
    assert problem["type"].endswith("/question-not-available")
    assert problem["unavailable"] == ["last_payment_amount"]
    assert problem["service_code"] == "RATES-PAY"
    # Left out, the answer still gets the same problem: the agent knows what to do.
    body = {**ASKED, "answers": RIGHT}
    url = f"/api/v1/citizens/{citizen_id}/verifications"
    assert rates.post(url, json=body).status_code == 409
    assert outcomes(app, citizen_id) == []
    # Services that do not ask it are unaffected.
    other = {**body, "service_code": "WASTE-MISSED-BIN"}
    assert rates.post(url, json=other).status_code == 201


def test_a_payment_another_department_took_counts(
    app: Flask, rates: Any, make_api: Any, citizen_id: str
) -> None:
    waste_cashier = make_api("citizens:read payments:write", "WASTE")
    created = waste_cashier.post(
        "/api/v1/payments",
        json={
            "service_code": "WASTE-MISSED-BIN",
            "channel": "counter",
            "provider": "manual",
            "amount": 4200,
            "citizen_id": citizen_id,
        },
        headers={"Idempotency-Key": f"key-{uuid.uuid4().hex}"},
    )
    if created.status_code != 201:
        pytest.skip(f"waste cannot take this citizen's payment: {created.get_json()}")
    finish(app, created.get_json()["provider_id"], "success")
    assert answer(rates, citizen_id, "42").status_code == 201


def test_a_merged_citizens_payments_answer_for_the_survivor(
    app: Flask, rates: Any, cashier: Any
) -> None:
    survivor = create_citizen(rates)["id"]
    duplicate = create_citizen(rates)["id"]
    take(app, cashier, duplicate, 7700)
    unpaid = answer(rates, survivor, "77").get_json()  # nothing paid on this record yet
    assert unpaid["unavailable"] == ["last_payment_amount"]
    assert merge(rates, survivor, duplicate).status_code == 201
    tombstone = answer(rates, duplicate, "77").get_json()  # evidence goes on the survivor
    assert tombstone["merged_into"] == survivor
    assert answer(rates, survivor, "77.00").status_code == 201
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Verification))
        db.session.remove()
    assert count == 1
