"""The reconciliation against the sandbox gateway's real settlement file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from cgcrm.core.clock import utcnow
from cgcrm.payments.ledger import business_date
from tests.conftest import Api
from tests.payments.sandbox_helpers import (
    SILENT_CARD,
    create_web_payment,
    get_payment,
    pay_by_card,
    settlement_dir,  # noqa: F401 - the fixture, used by name
)

RECONCILIATION = "/api/v1/payments/reconciliation"


def test_a_payment_the_gateway_never_answered_is_named_in_the_days_reconciliation(
    app: Flask,
    cashier: Api,
    client: FlaskClient,
    burst_worker: Any,
    settlement_dir: Path,  # noqa: F811 - the fixture imported above
) -> None:
    paid = create_web_payment(cashier)
    assert pay_by_card(client, paid["next_url"]).status_code == 303
    silent = create_web_payment(cashier)
    assert pay_by_card(client, silent["next_url"], SILENT_CARD).status_code == 303
    burst_worker()  # the good card is captured; the acquirer never answers for the other
    assert get_payment(cashier, silent["payment_id"])["state"]["status"] == "submitted"

    with app.app_context():
        day = business_date(utcnow()).isoformat()
    ran = cashier.post(RECONCILIATION, json={"date": day})

    assert ran.status_code == 200, ran.get_json()
    body = ran.get_json()
    (run,) = [run for run in body["runs"] if run["provider"] == "sandbox"]
    assert (run["provider"], run["status"], run["matched"]) == ("sandbox", "differences", 1)
    (difference,) = body["differences"]
    assert difference["kind"] == "unresolved"
    assert difference["payment_reference"] == silent["payment_reference"]
    assert difference["payment_id"] == silent["payment_id"]
    assert difference["our_state"] == "submitted"
    assert silent["payment_reference"] in difference["detail"]
    assert (settlement_dir / f"sandbox-settlement-{day}.csv").exists()
