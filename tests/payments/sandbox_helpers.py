"""Driving the sandbox gateway as a payer, a member of staff and the gateway's own clock would."""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.payments import signatures
from cgcrm.payments.notification_models import PaymentNotification
from cgcrm.payments.providers.sandbox.models import SandboxCharge
from tests.conftest import Api
from tests.payments.conftest import URL, new_key, payment_body

RETURN_URL = "https://rates.example/payments/done"
GOOD_CARD = "4444333322221111"
DECLINED_CARD = "4000000000000002"
ERROR_CARD = "4000000000000119"
SILENT_CARD = "4000000000000259"
NOTIFICATIONS = "/api/v1/payments/notifications/sandbox"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


@pytest.fixture
def settlement_dir(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The gateway's settlement files go to a directory of this test's own."""
    folder = tmp_path / "settlements"
    monkeypatch.setitem(app.config, "SANDBOX_SETTLEMENT_DIR", str(folder))
    return folder


def create_web_payment(api: Api, **overrides: Any) -> dict[str, Any]:
    body = payment_body(
        channel="web", provider="sandbox", return_url=RETURN_URL, amount=1234, **overrides
    )
    response = api.post(URL, json=body, headers={"Idempotency-Key": new_key()})
    assert response.status_code == 201, response.get_json()
    created: dict[str, Any] = response.get_json()
    return created


def create_phone_payment(api: Api, **overrides: Any) -> dict[str, Any]:
    body = payment_body(channel="phone", provider="sandbox", amount=4500, **overrides)
    response = api.post(URL, json=body, headers={"Idempotency-Key": new_key()})
    assert response.status_code == 201, response.get_json()
    created: dict[str, Any] = response.get_json()
    return created


def page_path(next_url: str) -> str:
    """The path of a next_url (the test client serves this application at any host)."""
    return urllib.parse.urlsplit(next_url).path


def csrf_token(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def open_page(browser: FlaskClient, next_url: str) -> tuple[str, str]:
    """GET the card page like a browser; its HTML and the form's CSRF token."""
    response = browser.get(page_path(next_url))
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    return html, csrf_token(html)


def pay_by_card(browser: FlaskClient, next_url: str, number: str = GOOD_CARD, **fields: str) -> Any:
    """Open the card page and submit a card: the response to the form's POST."""
    _html, token = open_page(browser, next_url)
    form = {
        "csrf_token": token,
        "card_number": number,
        "expiry": "12/30",
        "cardholder_name": "Jane Citizen",
        "cvc": "123",
        **fields,
    }
    return browser.post(page_path(next_url), data=form)


def get_payment(api: Api, payment_id: str) -> dict[str, Any]:
    response = api.get(f"{URL}/{payment_id}")
    assert response.status_code == 200, response.get_json()
    found: dict[str, Any] = response.get_json()
    return found


def charge_of(app: Flask, provider_reference: str) -> SandboxCharge:
    with app.app_context():
        charge = db.session.scalars(
            select(SandboxCharge).where(SandboxCharge.provider_reference == provider_reference)
        ).one()
        db.session.expunge(charge)
        db.session.remove()
        return charge


def notifications(app: Flask) -> list[PaymentNotification]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(PaymentNotification).order_by(PaymentNotification.received_at)
            )
        )
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
        return rows


def secret(app: Flask) -> str:
    return signatures.secrets_from(
        str(app.config["SANDBOX_NOTIFICATION_SECRETS"]), str(app.config["SECRET_KEY"])
    )[0]


def signed_notification(
    app: Flask,
    provider_reference: str,
    state: str,
    *,
    code: str | None = None,
    kind: str = "payment",
    notification_id: str | None = None,
    occurred_at: datetime | None = None,
    signed_at: int | None = None,
    key: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A notification as the gateway writes and signs it: the body and its headers."""
    body = json.dumps(
        {
            "id": notification_id or str(uuid.uuid4()),
            "provider": "sandbox",
            "type": f"{kind}.updated",
            "sequence": 1,
            "created_at": utcnow().isoformat(),
            "resource": {
                "type": kind,
                "provider_reference": provider_reference,
                "state": state,
                "code": code,
                "amount": 1234,
                "currency": "AUD",
                "card": None,
                "occurred_at": (occurred_at or utcnow()).isoformat(),
            },
        }
    ).encode()
    header = signatures.sign(
        body, [key or secret(app)], signed_at if signed_at is not None else int(time.time())
    )
    return body, {signatures.HEADER: header, "Content-Type": "application/json"}


def post_notification(client: FlaskClient, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(NOTIFICATIONS, data=body, headers=headers)
