"""Ten clerks refund the same payment in full at the same moment: exactly one refund is taken
(real threads, each with its own client and connection, against PostgreSQL row locks)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from cgcrm.extensions import db
from cgcrm.payments.models import Refund
from tests.citizens.test_concurrency import race
from tests.conftest import Api
from tests.payments.conftest import FEE, URL, succeed


@pytest.fixture(autouse=True)
def _postgresql_only(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row-lock races need PostgreSQL")


def test_ten_concurrent_full_refunds_give_exactly_one(app: Flask, cashier: Api) -> None:
    payment = succeed(app, cashier)
    url = f"{URL}/{payment['payment_id']}/refunds"
    body = {"amount": FEE, "refund_amount_available": FEE}

    def attempt(client: Any) -> Any:
        return client.post(url, json=body, headers=cashier.headers())

    responses = race(app, *([attempt] * 10))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [202] + [412] * 9, [r.get_json() for r in responses]
    with app.app_context():
        refunds = db.session.scalar(select(func.count()).select_from(Refund))
        assert refunds == 1
    summary = cashier.get(f"{URL}/{payment['payment_id']}").get_json()["refund_summary"]
    assert summary == {"status": "full", "amount_available": 0, "amount_submitted": FEE}
