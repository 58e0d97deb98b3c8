"""Recording identity evidence in the console: a document at the counter, answers on the phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.assurance.payment_helpers import take
from tests.console.conftest import ConsoleBrowser
from tests.console.journey_helpers import error_links, location, one_h1, submit, text, titled_error


@pytest.fixture
def counter(sign_in: Any) -> ConsoleBrowser:
    return sign_in(["front_office"], "RATES")


def _verifications(api: Any, citizen_id: str) -> list[dict[str, Any]]:
    return list(api.get(f"/api/v1/citizens/{citizen_id}/verifications").get_json())


def test_a_passport_seen_at_the_counter_is_recorded_and_raises_the_level(
    counter: ConsoleBrowser, citizen_id: str, rates: Any
) -> None:
    url = f"/console/citizens/{citizen_id}/evidence/new"
    form = counter.get(url)
    assert form.status_code == 200 and one_h1(text(form))
    done = submit(
        counter,
        url,
        {"method": "document_check", "document_type": "passport", "last_digits": "123"},
    )
    assert done.status_code == 303
    confirmation = text(counter.get(location(done)))
    assert "Identity evidence recorded" in confirmation and one_h1(confirmation)
    level = rates.get(f"/api/v1/citizens/{citizen_id}/assurance").get_json()["level"]
    assert f'id="assurance-level">{level.capitalize()}<' in confirmation and level != "none"
    (evidence,) = _verifications(rates, citizen_id)
    assert evidence["method"] == "document_check" and evidence["channel"] == "counter"
    assert evidence["details"]["last_digits"] == "123"


def test_a_whole_document_number_is_refused_on_its_field(
    counter: ConsoleBrowser, citizen_id: str, rates: Any
) -> None:
    refused = submit(
        counter,
        f"/console/citizens/{citizen_id}/evidence/new",
        {"method": "document_check", "document_type": "passport", "last_digits": "PA1234567"},
    )
    html = text(refused)
    assert refused.status_code == 400 and titled_error(html)
    assert error_links(html) == ["last_digits"]
    assert _verifications(rates, citizen_id) == []


def test_answers_on_the_phone_are_checked_against_the_record(
    counter: ConsoleBrowser, citizen_id: str, rates: Any
) -> None:
    url = f"/console/citizens/{citizen_id}/evidence/new"
    answers = {
        "method": "knowledge_questions",
        "service_code": "WASTE-MISSED-BIN",
        "dob-day": "2",
        "dob-month": "3",
        "dob-year": "1984",
    }
    missing = submit(counter, url, answers)
    assert missing.status_code == 400 and error_links(text(missing)) == ["postcode"]
    wrong = submit(counter, url, {**answers, "postcode": "2000"})
    assert wrong.status_code == 400 and "do not match the record" in text(wrong)
    right = submit(counter, url, {**answers, "postcode": "2150"})
    assert right.status_code == 303
    outcomes = sorted(v["outcome"] for v in _verifications(rates, citizen_id))
    assert outcomes == ["failed", "passed"]


def test_evidence_form_mistakes_are_linked_to_their_fields(
    counter: ConsoleBrowser, citizen_id: str
) -> None:
    url = f"/console/citizens/{citizen_id}/evidence/new"
    nothing = submit(counter, url, {})
    assert error_links(text(nothing)) == ["method"]
    document = submit(counter, url, {"method": "document_check"})
    assert error_links(text(document)) == ["document_type", "last_digits"]
    date = submit(
        counter,
        url,
        {
            "method": "knowledge_questions",
            "service_code": "RATES-PAY",
            "dob-day": "31",
            "dob-month": "2",
            "dob-year": "1984",
        },
    )
    assert error_links(text(date)) == ["dob-day"]


def test_evidence_without_the_csrf_token_is_refused(
    counter: ConsoleBrowser, citizen_id: str, rates: Any
) -> None:
    refused = counter.post(
        f"/console/citizens/{citizen_id}/evidence/new",
        data={"method": "document_check", "document_type": "passport", "last_digits": "123"},
    )
    assert refused.status_code == 400
    assert _verifications(rates, citizen_id) == []


def test_the_last_payment_is_asked_where_the_service_asks_it(
    app: Any, counter: ConsoleBrowser, citizen_id: str, rates: Any, make_api: Any
) -> None:
    url = f"/console/citizens/{citizen_id}/evidence/new"
    assert 'name="last_payment_amount"' in text(counter.get(url))
    answers = {
        "method": "knowledge_questions",
        "service_code": "RATES-PAY",
        "dob-day": "2",
        "dob-month": "3",
        "dob-year": "1984",
        "postcode": "2150",
        "last_payment_amount": "65.00",
    }
    # No payment yet: the question cannot be asked, said on its field; no attempt counted.
    unpaid = submit(counter, url, answers)
    assert unpaid.status_code == 409 and error_links(text(unpaid)) == ["last_payment_amount"]
    assert "no payment on record" in text(unpaid)
    assert _verifications(rates, citizen_id) == []
    take(app, make_api("citizens:read payments:write", "RATES"), citizen_id, 6500)
    missing = submit(counter, url, {**answers, "last_payment_amount": ""})
    assert missing.status_code == 400
    assert error_links(text(missing)) == ["last_payment_amount"]
    assert submit(counter, url, answers).status_code == 303
    assert [v["outcome"] for v in _verifications(rates, citizen_id)] == ["passed"]
