"""Twenty identical creates under one Idempotency-Key at the same moment: exactly one payment.

The others replay its response or are told it is still in flight (409), never a second charge.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from cgcrm.extensions import db
from cgcrm.payments.models import Payment
from tests.citizens.test_concurrency import race
from tests.conftest import Api
from tests.payments.conftest import PROBLEM_JSON, URL, new_key, payment_body


@pytest.fixture(autouse=True)
def _postgresql_only(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row-lock races need PostgreSQL")


def test_twenty_concurrent_identical_creates_give_one_payment(app: Flask, cashier: Api) -> None:
    key = new_key()
    body = payment_body(amount=4200)

    def attempt(client: Any) -> Any:
        return client.post(URL, json=body, headers=cashier.headers({"Idempotency-Key": key}))

    responses = race(app, *([attempt] * 20))
    created = [r for r in responses if r.status_code == 201]
    in_flight = [r for r in responses if r.status_code == 409]
    assert len(created) + len(in_flight) == 20, [r.status_code for r in responses]
    assert created, "one request must have created the payment"
    assert len({r.get_json()["payment_id"] for r in created}) == 1
    assert all(r.headers["Content-Type"] == PROBLEM_JSON for r in in_flight)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    # Once finished, every retry replays the one payment.
    again = cashier.post(URL, json=body, headers={"Idempotency-Key": key})
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["payment_id"] == created[0].get_json()["payment_id"]
