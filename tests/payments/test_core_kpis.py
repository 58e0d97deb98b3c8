"""A successful payment counts in the KPIs: its completed contact reaches the rollups through
the worker (the outbox relay and the metrics handlers), like any contact."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

from cgcrm.core.clock import utcnow
from tests.conftest import Api
from tests.payments.conftest import create, report, succeed


def test_a_successful_payment_is_a_completed_transaction_of_its_service(
    app: Flask, cashier: Api, make_api: Any, burst_worker: Any
) -> None:
    succeed(app, cashier, channel="counter")
    succeed(app, cashier, channel="phone")
    declined = create(cashier).get_json()
    report(app, declined["provider_id"], "failed", code="P0010")
    burst_worker()
    today = utcnow().astimezone(ZoneInfo(app.config["TIME_ZONE"])).date().isoformat()
    analyst = make_api("metrics:read")
    response = analyst.get(
        "/api/v1/metrics/kpis", query_string={"from": today, "to": today, "service": "RATES-CERT"}
    )
    assert response.status_code == 200, response.get_json()
    totals = response.get_json()["totals"]
    assert totals["transactions_completed"] == 2
    assert totals["transactions_started"] == 2
    assert {code: n for code, n in totals["contacts_by_channel"].items() if n} == {
        "counter": 1,
        "phone": 1,
    }
