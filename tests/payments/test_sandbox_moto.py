"""Phone payments: staff key the card in (MOTO), the gateway authorises in the background."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.conftest import Api
from tests.payments.conftest import PROBLEM_JSON, URL
from tests.payments.sandbox_helpers import (
    create_phone_payment,
    create_web_payment,
    get_payment,
)

CARD = {
    "card_number": "5555 5555 5555 4444",
    "expiry": "11/31",
    "cardholder_name": "Sam Caller",
}


def test_a_scripted_moto_phone_payment_reaches_success(
    app: Flask, cashier: Api, burst_worker: Any
) -> None:
    created = create_phone_payment(cashier)
    assert created["moto"] is True and created["next_url"] is None
    keyed = cashier.post(f"{URL}/{created['payment_id']}/card", json=CARD)
    assert keyed.status_code == 202, keyed.get_json()
    body = keyed.get_json()
    assert body["state"]["status"] == "submitted"
    assert body["card_details"] == {"brand": "mastercard", "last4": "4444", "expiry": "11/31"}
    burst_worker()
    payment = get_payment(cashier, created["payment_id"])
    assert payment["state"] == {"status": "success", "finished": True}
    assert payment["moto"] is True
    history = cashier.get(f"{URL}/{created['payment_id']}/events").get_json()
    assert [(e["to_state"], e["actor"].split(":")[0]) for e in history] == [
        ("created", "client"),
        ("submitted", "client"),
        ("success", "provider"),
    ]


def test_moto_card_mistakes_are_422_problems_naming_each_field(cashier: Api) -> None:
    created = create_phone_payment(cashier)
    url = f"{URL}/{created['payment_id']}/card"
    bad = cashier.post(url, json={**CARD, "card_number": "5555 5555 5555 4445", "expiry": "01/20"})
    assert bad.status_code == 422 and bad.headers["Content-Type"] == PROBLEM_JSON
    errors = bad.get_json()["errors"]
    assert set(errors) == {"card_number", "expiry"}
    assert "5555" not in bad.get_data(as_text=True)
    shape = cashier.post(url, json={"card_number": "abc", "cvc": "12345"})
    assert shape.status_code == 422
    assert {"card_number", "expiry", "cardholder_name", "cvc"} <= set(shape.get_json()["errors"])
    assert "abc" not in shape.get_data(as_text=True)
    unknown = cashier.post(url, json={**CARD, "pan": "x"})
    assert unknown.status_code == 422
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "created"


def test_moto_entry_needs_the_scope_and_a_sandbox_phone_payment(
    cashier: Api, make_api: Any, other_department: Api
) -> None:
    created = create_phone_payment(cashier)
    url = f"{URL}/{created['payment_id']}/card"
    reader = make_api("citizens:read", "RATES")
    assert reader.post(url, json=CARD).status_code == 403
    assert other_department.post(url, json=CARD).status_code == 404
    web = create_web_payment(cashier)
    refused = cashier.post(f"{URL}/{web['payment_id']}/card", json=CARD)
    assert refused.status_code == 409
    assert cashier.post(url, json=CARD).status_code == 202
    twice = cashier.post(url, json=CARD)
    assert twice.status_code == 409 and twice.headers["Content-Type"] == PROBLEM_JSON
    missing = cashier.post(f"{URL}/0190b7a8-0000-7000-8000-000000000000/card", json=CARD)
    assert missing.status_code == 404
