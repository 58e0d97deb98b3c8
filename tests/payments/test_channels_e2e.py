"""A scripted payment on each channel reaches success, shows in the citizen's 360 view and in
the day's reconciliation: counter cash, a web card payment through the hosted page, and a
phone payment keyed in by staff (MOTO). All through HTTP, PostgreSQL and Redis (the sandbox
gateway's background authorisation runs in a burst worker and notifies our endpoint).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from cgcrm.core.clock import utcnow
from cgcrm.payments.ledger import business_date
from tests.conftest import Api
from tests.payments.conftest import URL, new_key, payment_body
from tests.payments.sandbox_helpers import (
    create_phone_payment,
    create_web_payment,
    get_payment,
    pay_by_card,
    settlement_dir,  # noqa: F401 - the fixture, used by name
)

RECONCILIATION = "/api/v1/payments/reconciliation"
MOTO_CARD = {"card_number": "5555 5555 5555 4444", "expiry": "11/31", "cardholder_name": "Sam"}


def counter_cash(cashier: Api, citizen_id: str) -> dict[str, Any]:
    """Staff at the RATES counter record cash taken at till RATES-T1 (the channel's default)."""
    body = payment_body(citizen_id=citizen_id, till_reference="RATES-T1")
    del body["provider"]
    response = cashier.post(URL, json=body, headers={"Idempotency-Key": new_key()})
    assert response.status_code == 201, response.get_json()
    created: dict[str, Any] = response.get_json()
    assert created["state"] == {"status": "success", "finished": True}
    return created


def web_card(cashier: Api, browser: FlaskClient, citizen_id: str, worker: Any) -> dict[str, Any]:
    """The citizen pays on the hosted card page; the gateway authorises in the background."""
    created = create_web_payment(cashier, citizen_id=citizen_id)
    submitted = pay_by_card(browser, created["next_url"])
    assert submitted.status_code == 303
    worker()
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "success"
    return created


def phone_moto(cashier: Api, citizen_id: str, worker: Any) -> dict[str, Any]:
    """Staff key the caller's card in (MOTO); the gateway authorises in the background."""
    created = create_phone_payment(cashier, citizen_id=citizen_id)
    keyed = cashier.post(f"{URL}/{created['payment_id']}/card", json=MOTO_CARD)
    assert keyed.status_code == 202, keyed.get_json()
    worker()
    payment = get_payment(cashier, created["payment_id"])
    assert payment["state"]["status"] == "success" and payment["moto"] is True
    return created


def test_a_payment_on_each_channel_succeeds_and_shows_in_the_360_view_and_reconciliation(
    app: Flask,
    cashier: Api,
    client: FlaskClient,
    citizen_id: str,
    burst_worker: Any,
    settlement_dir: Path,  # noqa: F811 - the fixture imported above
) -> None:
    cash = counter_cash(cashier, citizen_id)
    web = web_card(cashier, client, citizen_id, burst_worker)
    phone = phone_moto(cashier, citizen_id, burst_worker)
    taken = {cash["payment_reference"], web["payment_reference"], phone["payment_reference"]}
    burst_worker()  # the rest of the outbox: 360 view and KPIs read committed rows anyway

    overview = cashier.get(f"/api/v1/citizens/{citizen_id}/overview")
    assert overview.status_code == 200, overview.get_json()
    shown = {p["payment_reference"]: p for p in overview.get_json()["payments"]}
    assert taken <= set(shown)
    assert {shown[ref]["state"]["status"] for ref in taken} == {"success"}
    assert {shown[ref]["channel"] for ref in taken} == {"counter", "web", "phone"}

    with app.app_context():
        day = business_date(utcnow()).isoformat()
    ran = cashier.post(RECONCILIATION, json={"date": day})
    assert ran.status_code == 200, ran.get_json()
    result = cashier.get(f"{RECONCILIATION}?date={day}").get_json()
    runs = {run["provider"]: run for run in result["runs"]}
    assert (runs["cash"]["status"], runs["cash"]["matched"]) == ("agreed", 1)
    assert (runs["sandbox"]["status"], runs["sandbox"]["matched"]) == ("agreed", 2)
    assert runs["sandbox"]["ledger_totals"] == runs["sandbox"]["report_totals"]
    assert result["differences"] == []
    assert {(t["channel"], t["payments"]["count"]) for t in result["journal"]} == {
        ("counter", 1),
        ("web", 1),
        ("phone", 1),
    }
    # The sandbox's report is a real file of the day, and the reconciliation read it.
    assert (settlement_dir / f"sandbox-settlement-{day}.csv").exists()

    exported = cashier.get(f"{RECONCILIATION}?date={day}", headers={"Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert {row["payment_reference"] for row in rows} == taken
    assert {row["provider"] for row in rows} == {"cash", "sandbox"}
