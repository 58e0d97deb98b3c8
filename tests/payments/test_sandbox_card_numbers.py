"""Card numbers are never stored or logged: only brand, last four and expiry.

Card payments are made through the page (with a mistyped number first) and by MOTO, then
settled, declined and refunded; then every byte of the database (``pg_dump``), the gateway's
settlement files and everything logged (SQL statements with their parameters included, and
what the forked job processes wrote) is searched for each number as typed and as digits.
"""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.payments.providers import provider_for
from cgcrm.payments.providers.sandbox.settlement import local_day
from tests.conftest import Api
from tests.payments.conftest import URL
from tests.payments.sandbox_helpers import (
    create_phone_payment,
    create_web_payment,
    get_payment,
    pay_by_card,
    settlement_dir,
)

__all__ = ["settlement_dir"]

TYPED = ["4444 3333 2222 1111", "4444333322221112", "5555-5555-5555-4444", "4000000000000002"]
CVC = "737"


def _forms(number: str) -> set[str]:
    digits = re.sub(r"\D", "", number)
    grouped = " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))
    return {number, digits, grouped, grouped.replace(" ", "-")}


def _dump(app: Flask) -> str:
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    result = subprocess.run(
        ["pg_dump", "--no-owner", url.render_as_string(hide_password=False)],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return result.stdout.decode("utf-8", "replace")


@pytest.mark.usefixtures("settlement_dir")
def test_no_card_number_is_stored_or_logged(
    app: Flask,
    cashier: Api,
    client: Any,
    burst_worker: Any,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    settlement_dir: Path,
) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("pg_dump needs PostgreSQL")
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # statements and parameters
    web = create_web_payment(cashier)
    mistyped = pay_by_card(client, web["next_url"], TYPED[1], cvc=CVC)
    assert mistyped.status_code == 422
    assert pay_by_card(client, web["next_url"], TYPED[0], cvc=CVC).status_code == 303
    declined = create_web_payment(cashier)
    assert pay_by_card(client, declined["next_url"], TYPED[3], cvc=CVC).status_code == 303
    phone = create_phone_payment(cashier)
    keyed = cashier.post(
        f"{URL}/{phone['payment_id']}/card",
        json={"card_number": TYPED[2], "expiry": "11/31", "cardholder_name": "S", "cvc": CVC},
    )
    assert keyed.status_code == 202
    burst_worker()
    refund = cashier.post(
        f"{URL}/{web['payment_id']}/refunds",
        json={"amount": 100, "refund_amount_available": 1234},
        headers={"Idempotency-Key": "refund-card-numbers"},
    )
    assert refund.status_code == 202
    burst_worker()
    assert get_payment(cashier, web["payment_id"])["card_details"]["last4"] == "1111"
    assert get_payment(cashier, phone["payment_id"])["state"]["status"] == "success"
    assert get_payment(cashier, declined["payment_id"])["state"]["code"] == "P0010"
    with app.app_context():
        provider_for("sandbox").settlement_report(local_day(utcnow()))
        db.session.remove()

    dump = _dump(app)
    assert "1111" in dump and "visa" in dump  # what is kept is there
    files = "".join(path.read_text() for path in settlement_dir.glob("*.csv"))
    assert web["provider_id"] in files
    captured = capfd.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert "sandbox_charges" in logged and "'1111'" in logged  # SQL and parameters logged
    for number in TYPED:
        for form in _forms(number):
            assert form not in dump, f"{form} is in the database"
            assert form not in files, f"{form} is in a settlement file"
            assert form not in logged, f"{form} was logged"
    assert f"'{CVC}'" not in dump and f"'{CVC}'" not in logged
