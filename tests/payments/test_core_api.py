"""The payments API through HTTP: create, read, list, history, capture, cancel, scoping."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from cgcrm.extensions import db
from cgcrm.interactions.models import Interaction
from cgcrm.payments import references
from cgcrm.payments.providers.base import CardSummary
from tests.conftest import Api
from tests.payments.conftest import (
    FEE,
    PROBLEM_JSON,
    URL,
    create,
    new_key,
    payment_body,
    report,
    succeed,
)


def test_a_counter_payment_is_created_with_the_fee_and_a_checked_reference(
    cashier: Api,
) -> None:
    response = create(cashier)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"].endswith(f"{URL}/{body['payment_id']}")
    assert references.normalise(body["payment_reference"]) == body["payment_reference"]
    assert body["payment_reference"].startswith("PAY-")
    assert body["amount"] == FEE
    assert body["currency"] == "AUD"
    assert body["reference"] == "INV-1001"
    assert body["state"] == {"status": "created", "finished": False}
    assert body["refund_summary"] == {
        "status": "pending",
        "amount_available": 0,
        "amount_submitted": 0,
    }
    assert body["department_code"] == "RATES"
    assert body["moto"] is False
    assert body["card_details"] is None
    assert body["expires_at"] > body["created_at"]


def test_a_phone_payment_is_moto_and_a_web_one_needs_its_return_url(cashier: Api) -> None:
    phone = create(cashier, channel="phone", amount=1234)
    assert phone.status_code == 201
    assert phone.get_json()["moto"] is True
    assert phone.get_json()["amount"] == 1234
    web = create(cashier, channel="web")
    assert web.status_code == 422
    assert web.headers["Content-Type"] == PROBLEM_JSON
    assert "return_url" in web.get_json()["errors"]
    web = create(cashier, channel="web", return_url="https://rates.example/done")
    assert web.status_code == 201
    assert web.get_json()["return_url"] == "https://rates.example/done"


def test_the_key_is_required_and_bad_input_is_a_problem(cashier: Api) -> None:
    missing = cashier.post(URL, json=payment_body())
    assert missing.status_code == 400
    assert missing.headers["Content-Type"] == PROBLEM_JSON
    assert "Idempotency-Key" in missing.get_json()["errors"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"service_code": "NOPE-NOPE"}, "service_code"),
        ({"service_code": "RATES-PAY"}, "amount"),  # no fee: the amount is needed
        ({"currency": "GBP"}, "currency"),
        ({"amount": 0}, "amount"),
        ({"amount": "12"}, "amount"),
        ({"channel": "pigeon"}, "channel"),
        ({"provider": "nosuch"}, "provider"),
        ({"citizen_id": "0190b7a8-0000-7000-8000-000000000000"}, "citizen_id"),
        ({"return_url": "javascript:alert(1)", "channel": "web"}, "return_url"),
        ({"state": "success"}, "state"),
        ({"description": "a\u0000b"}, "description"),
    ]
    for overrides, field in cases:
        response = create(cashier, **overrides)
        assert response.status_code == 422, (overrides, response.get_json())
        assert response.headers["Content-Type"] == PROBLEM_JSON
        assert field in response.get_json()["errors"], (overrides, response.get_json())
    not_json = cashier.post(
        URL, data="{", headers={"Idempotency-Key": new_key(), "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400


def test_the_same_key_replays_and_another_body_is_refused(app: Flask, cashier: Api) -> None:
    key = new_key()
    first = create(cashier, key)
    again = create(cashier, key)
    assert again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["payment_id"] == first.get_json()["payment_id"]
    other = create(cashier, key, amount=99)
    assert other.status_code == 422
    assert other.headers["Content-Type"] == PROBLEM_JSON
    listed = cashier.get(URL).get_json()
    assert len(listed) == 1


def test_scopes_and_departments_hold(make_api: Any, cashier: Api, other_department: Api) -> None:
    reader = make_api("citizens:read", "RATES")
    assert create(reader).status_code == 403
    payment_id = create(cashier).get_json()["payment_id"]
    assert reader.get(f"{URL}/{payment_id}").status_code == 200
    assert other_department.get(f"{URL}/{payment_id}").status_code == 404
    assert other_department.get(URL).get_json() == []
    assert other_department.post(f"{URL}/{payment_id}/cancel", json={}).status_code == 404
    everywhere = make_api("citizens:read cross_department", "WASTE")
    assert everywhere.get(f"{URL}/{payment_id}").status_code == 200
    assert cashier.get(f"{URL}/0190b7a8-0000-7000-8000-000000000000").status_code == 404


def test_cancel_only_before_submitted(app: Flask, cashier: Api) -> None:
    body = create(cashier).get_json()
    cancelled = cashier.post(f"{URL}/{body['payment_id']}/cancel", json={})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["state"] == {
        "status": "cancelled",
        "finished": True,
        "code": "P0040",
        "message": "Payment was cancelled by the service",
    }
    again = cashier.post(f"{URL}/{body['payment_id']}/cancel", json={})
    assert again.status_code == 409
    assert again.headers["Content-Type"] == PROBLEM_JSON
    submitted = create(cashier).get_json()
    report(app, submitted["provider_id"], "submitted")
    refused = cashier.post(f"{URL}/{submitted['payment_id']}/cancel", json={})
    assert refused.status_code == 409
    assert cashier.get(f"{URL}/{submitted['payment_id']}").get_json()["state"]["status"] == (
        "submitted"
    )


def test_delayed_capture(app: Flask, cashier: Api) -> None:
    body = create(cashier, delayed_capture=True).get_json()
    url = f"{URL}/{body['payment_id']}/capture"
    assert cashier.post(url, json={}).status_code == 409  # not authorised yet
    report(app, body["provider_id"], "capturable", card=CardSummary("visa", "4242", "04/30"))
    captured = cashier.post(url, json={})
    assert captured.status_code == 200, captured.get_json()
    shown = captured.get_json()
    assert shown["state"] == {"status": "success", "finished": True}
    assert shown["card_details"] == {"brand": "visa", "last4": "4242", "expiry": "04/30"}
    assert shown["captured_at"] is not None
    assert cashier.post(url, json={}).status_code == 409


def test_the_history_names_who_and_when(app: Flask, cashier: Api) -> None:
    body = succeed(app, cashier)
    events = cashier.get(f"{URL}/{body['payment_id']}/events")
    assert events.status_code == 200
    history = events.get_json()
    assert [(e["from_state"], e["to_state"]) for e in history] == [
        (None, "created"),
        ("created", "success"),
    ]
    assert history[0]["actor"] == f"client:{cashier.client_id}"
    assert history[1]["actor"] == "provider:manual"
    assert all(e["occurred_at"] and e["recorded_at"] for e in history)


def test_a_success_is_a_completed_contact_of_its_service_and_channel(
    app: Flask, cashier: Api
) -> None:
    body = succeed(app, cashier, channel="phone")
    assert body["state"]["status"] == "success"
    assert body["refund_summary"] == {
        "status": "available",
        "amount_available": FEE,
        "amount_submitted": 0,
    }
    with app.app_context():
        contact = db.session.execute(select(Interaction)).scalar_one()
        assert contact.channel_code == "phone"
        assert contact.service_code == "RATES-CERT"
        assert contact.department_code == "RATES"
        assert contact.outcome == "completed"
        assert contact.transaction_ref == body["payment_reference"]


def test_list_search_and_keyset_pages(app: Flask, cashier: Api) -> None:
    ids = [create(cashier, reference=f"INV-{n}").get_json()["payment_id"] for n in range(5)]
    phone = create(cashier, channel="phone").get_json()
    first = cashier.get(f"{URL}?limit=2")
    assert first.status_code == 200
    assert [p["payment_id"] for p in first.get_json()] == [phone["payment_id"], ids[4]]
    seen = [p["payment_id"] for p in first.get_json()]
    link = first.headers["Link"]
    while link:
        url = link.split(";")[0].strip("<>")
        page = cashier.get(url)
        seen += [p["payment_id"] for p in page.get_json()]
        link = page.headers.get("Link")
    assert seen == [phone["payment_id"], *reversed(ids)]
    by_channel = cashier.get(f"{URL}?channel=phone").get_json()
    assert [p["payment_id"] for p in by_channel] == [phone["payment_id"]]
    typed = phone["payment_reference"].lower().replace("-", "")
    by_ours = cashier.get(f"{URL}?reference={typed}").get_json()
    assert [p["payment_id"] for p in by_ours] == [phone["payment_id"]]
    by_theirs = cashier.get(f"{URL}?reference=INV-3").get_json()
    assert [p["payment_id"] for p in by_theirs] == [ids[3]]
    assert cashier.get(f"{URL}?state=created&service_code=RATES-CERT").status_code == 200
    assert cashier.get(f"{URL}?state=nope").status_code == 422
    assert cashier.get(f"{URL}?cursor=!!").status_code == 422
    created = cashier.get(f"{URL}/{ids[0]}").get_json()["created_at"]
    period = cashier.get(URL, query_string={"created_before": created}).get_json()
    assert period == []


def test_payments_show_in_the_citizens_360_view(
    app: Flask, cashier: Api, other_department: Api, make_api: Any
) -> None:
    from tests.conftest import new_citizen_payload

    registrar = make_api("citizens:read citizens:write", "RATES")
    citizen_id = registrar.post("/api/v1/citizens", json=new_citizen_payload()).get_json()["id"]
    paid = succeed(app, cashier, citizen_id=citizen_id)
    pending = create(cashier, citizen_id=citizen_id, amount=300).get_json()
    theirs = create(other_department, citizen_id=citizen_id, amount=700).get_json()
    overview = cashier.get(f"/api/v1/citizens/{citizen_id}/overview")
    assert overview.status_code == 200, overview.get_json()
    shown = overview.get_json()
    assert [p["payment_id"] for p in shown["payments"]] == [
        pending["payment_id"],
        paid["payment_id"],
    ]
    assert shown["payments"][1]["state"]["status"] == "success"
    assert shown["payments"][1]["refund_summary"]["status"] == "available"
    assert shown["withheld"]["payments"] == 1
    # The successful payment is also a completed contact in the citizen's history.
    assert [c["channel"] for c in shown["latest_interactions"]] == ["counter"]
    assert theirs["payment_id"] not in {p["payment_id"] for p in shown["payments"]}
