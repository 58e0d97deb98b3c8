"""Counter payments: cash and card present succeed at once with a till; the daily cash-up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from cgcrm.core.clock import utcnow
from cgcrm.core.errors import ValidationError
from cgcrm.extensions import db
from cgcrm.interactions.models import Interaction
from cgcrm.payments import service, states
from cgcrm.payments.ledger import JournalEntry, business_date
from cgcrm.payments.models import Payment
from cgcrm.payments.providers import provider_for
from tests.conftest import Api
from tests.payments.conftest import FEE, actor, payment_body


def take(app: Flask, department: str = "RATES", **overrides: Any) -> dict[str, Any]:
    """A counter payment recorded by staff of ``department``, as the service takes it."""
    body = payment_body(**{"provider": "cash", "till_reference": "RATES-T1", **overrides})
    with app.app_context():
        payment = service.create_payment(actor(department), body)
        found = {
            "id": payment.id,
            "reference": payment.reference,
            "state": payment.state,
            "provider_reference": payment.provider_reference,
            "amount": payment.amount_minor,
        }
        db.session.remove()
    return found


def refund(app: Flask, payment_id: Any, amount: int) -> None:
    """Hand ``amount`` back from the till: paid out at once."""
    with app.app_context():
        available = service.get_payment(actor(), payment_id).refund_summary.amount_available
        made = service.create_refund(
            actor(), payment_id, {"amount": amount, "refund_amount_available": available}
        )
        assert made.state == states.REFUND_SUCCESS
        db.session.remove()


def today(app: Flask) -> str:
    with app.app_context():
        return business_date(utcnow()).isoformat()


def test_cash_at_the_counter_succeeds_at_once_posts_and_counts(app: Flask) -> None:
    taken = take(app)

    assert taken["state"] == states.SUCCESS
    assert taken["provider_reference"] == f"CASH-{taken['reference']}"
    with app.app_context():
        entry = db.session.execute(
            select(JournalEntry).where(JournalEntry.payment_id == taken["id"])
        ).scalar_one()
        assert (entry.provider, entry.channel, entry.amount_minor) == ("cash", "counter", FEE)
        contact = db.session.execute(
            select(Interaction).where(Interaction.transaction_ref == taken["reference"])
        ).scalar_one()
        assert (contact.channel_code, contact.outcome) == ("counter", "completed")
        payment = db.session.get(Payment, taken["id"])
        assert payment is not None and payment.provider_data["till"] == "RATES-T1"


def test_a_counter_refund_is_paid_out_at_once_and_posted(app: Flask, cashier: Api) -> None:
    taken = take(app)
    detail = cashier.get(f"/api/v1/payments/{taken['id']}").get_json()
    response = cashier.post(
        f"/api/v1/payments/{taken['id']}/refunds",
        json={
            "amount": 1500,
            "refund_amount_available": detail["refund_summary"]["amount_available"],
        },
        headers={"Idempotency-Key": f"refund-{taken['reference']}"},
    )
    assert response.status_code in (201, 202), response.get_json()
    assert response.get_json()["status"] == "success", response.get_json()
    with app.app_context():
        amounts = db.session.scalars(
            select(JournalEntry.amount_minor).where(JournalEntry.payment_id == taken["id"])
        ).all()
        assert sorted(amounts) == [-1500, FEE]


def test_card_present_is_recorded_the_same_way(app: Flask) -> None:
    taken = take(app, provider="card_present")
    assert taken["state"] == states.SUCCESS
    assert taken["provider_reference"] == f"CP-{taken['reference']}"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"till_reference": None}, "till_reference"),
        ({"till_reference": "till 1; drop"}, "till_reference"),
        ({"delayed_capture": True}, "delayed_capture"),
    ],
)
def test_a_counter_payment_needs_a_till(app: Flask, overrides: dict[str, Any], field: str) -> None:
    body = payment_body(provider="cash", till_reference="RATES-T1")
    body.update(overrides)
    with app.app_context(), pytest.raises(ValidationError) as raised:
        service.create_payment(actor(), body)
    assert field in (raised.value.errors or {})
    with app.app_context():
        assert db.session.scalar(select(Payment.id)) is None  # nothing half-written


def test_cash_is_taken_at_a_counter_only(app: Flask) -> None:
    body = payment_body(provider="cash", till_reference="T1", channel="phone")
    with app.app_context(), pytest.raises(ValidationError):
        service.create_payment(actor(), body)


def test_the_cash_report_of_a_day_is_the_till_records(app: Flask) -> None:
    first, second = take(app), take(app, amount=1200)
    refund(app, second["id"], 200)
    take(app, provider="card_present")  # another provider's

    with app.app_context():
        lines = provider_for("cash").settlement_report(business_date(utcnow()))
        yesterday = business_date(utcnow()) - timedelta(days=1)
        assert provider_for("cash").settlement_report(yesterday) == []
    got = sorted((line.kind, line.amount_minor, line.provider_reference) for line in lines)
    assert [(kind, amount) for kind, amount, _ in got] == [
        ("payment", 1200),
        ("payment", FEE),
        ("refund", 200),
    ]
    assert {ref for _, _, ref in got} >= {first["provider_reference"], second["provider_reference"]}


def test_the_cash_up_gives_each_till_its_takings_and_what_the_drawer_should_hold(
    app: Flask, cashier: Api
) -> None:
    cash = take(app)
    take(app, amount=1000)
    take(app, provider="card_present", amount=2500)
    take(app, till_reference="RATES-T2", amount=700)
    refund(app, cash["id"], 1500)

    response = cashier.get(f"/api/v1/payments/cash-up?date={today(app)}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    tills = {till["till"]: till for till in body["tills"]}
    assert set(tills) == {"RATES-T1", "RATES-T2"}
    one = tills["RATES-T1"]
    assert one["payments"]["cash"] == {"count": 2, "amount_minor": FEE + 1000}
    assert one["payments"]["card_present"] == {"count": 1, "amount_minor": 2500}
    assert one["refunds"]["cash"] == {"count": 1, "amount_minor": 1500}
    assert one["expected_cash_minor"] == FEE + 1000 - 1500
    assert one["card_present_net_minor"] == 2500
    assert (one["department_code"], one["currency"]) == ("RATES", "AUD")
    kinds = [(e["kind"], e["amount_minor"]) for e in one["entries"]]
    assert ("refund", -1500) in kinds and len(kinds) == 4
    assert all(e["recorded_by"].startswith("client:") for e in one["entries"])

    only = cashier.get(f"/api/v1/payments/cash-up?date={today(app)}&till=RATES-T2").get_json()
    assert [t["till"] for t in only["tills"]] == ["RATES-T2"]
    assert only["tills"][0]["expected_cash_minor"] == 700


def test_a_department_sees_its_own_tills_only(app: Flask, other_department: Api) -> None:
    take(app)
    response = other_department.get(f"/api/v1/payments/cash-up?date={today(app)}")
    assert response.status_code == 200
    assert response.get_json()["tills"] == []


def test_another_day_has_nothing_to_cash_up(app: Flask, cashier: Api) -> None:
    take(app)
    response = cashier.get("/api/v1/payments/cash-up?date=2020-01-01")
    assert response.status_code == 200 and response.get_json()["tills"] == []


@pytest.mark.parametrize(
    "query",
    ["", "?date=yesterday", "?date=2026-02-30", "?date=9999-01-01", "?date=2026-01-01&till=a%20b"],
)
def test_bad_cash_up_queries_are_422(cashier: Api, query: str) -> None:
    response = cashier.get(f"/api/v1/payments/cash-up{query}")
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"


def test_the_cash_up_needs_a_token_with_a_read_scope(make_api: Any, client: Any) -> None:
    assert client.get("/api/v1/payments/cash-up?date=2026-01-01").status_code == 401
    analyst = make_api("metrics:read", "RATES")
    assert analyst.get("/api/v1/payments/cash-up?date=2026-01-01").status_code == 403
