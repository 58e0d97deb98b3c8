"""How the gateway's notifications reach us: over real HTTP, and when we do not answer."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.payments.expiry import expire_payments
from cgcrm.payments.ledger import JournalEntry
from cgcrm.payments.providers import provider_for
from cgcrm.payments.providers.sandbox import gateway, jobs
from cgcrm.payments.providers.sandbox.models import SandboxCharge, SandboxNotification
from cgcrm.payments.providers.sandbox.settlement import local_day
from tests.conftest import Api
from tests.live_server import gunicorn_serving
from tests.payments.sandbox_helpers import (
    NOTIFICATIONS,
    SILENT_CARD,
    charge_of,
    create_web_payment,
    get_payment,
    notifications,
    pay_by_card,
    settlement_dir,
)

__all__ = ["settlement_dir"]


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback server that takes connections and never answers (a gateway's view of us
    timing out)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            held.append(connection)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}{NOTIFICATIONS}"
    stop.set()
    thread.join(timeout=5)
    for connection in held:
        connection.close()
    listener.close()


def test_when_we_do_not_answer_the_payment_waits_and_nothing_is_charged_twice(
    app: Flask,
    cashier: Api,
    client: Any,
    burst_worker: Any,
    silent_server: str,
    settlement_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFICATION_URL", silent_server)
    monkeypatch.setitem(app.config, "SANDBOX_DELIVERY_TIMEOUT", 0.5)
    created = create_web_payment(cashier)
    assert pay_by_card(client, created["next_url"]).status_code == 303
    burst_worker()
    # The gateway took the money; its word did not reach us: the payment waits, submitted.
    assert charge_of(app, created["provider_id"]).state == "captured"
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "submitted"
    assert notifications(app) == []
    with app.app_context():
        pending = db.session.scalars(select(SandboxNotification)).one()
        assert pending.delivered_at is None and pending.attempts == 1
        assert pending.last_error and pending.last_error.startswith("no answer")
        assert pending.next_attempt_at > utcnow()
        # The reconciliation sees the money in the day's settlement file meanwhile.
        lines = provider_for("sandbox").settlement_report(local_day(utcnow()))
        assert [(line.provider_reference, line.state) for line in lines] == [
            (created["provider_id"], "success")
        ]
        charge_id = charge_of(app, created["provider_id"]).id
        # Retried, the authorisation finds its work done; asked again for the same payment,
        # the gateway finds the same charge: one charge, taken once.
        assert jobs.authorise_charge(str(charge_id)) is None
        again, _token = gateway.open_charge(
            merchant_reference=created["payment_reference"],
            amount_minor=1234,
            currency="AUD",
            description="again",
            moto=False,
            delayed_capture=False,
            return_url=None,
        )
        assert again.id == charge_id
        db.session.rollback()
        count = db.session.scalar(
            select(func.count())
            .select_from(SandboxCharge)
            .where(SandboxCharge.merchant_reference == created["payment_reference"])
        )
        assert count == 1
        # We answer again; the gateway's next attempt is due.
        monkeypatch.setitem(app.config, "SANDBOX_NOTIFICATION_URL", "")
        db.session.execute(update(SandboxNotification).values(next_attempt_at=utcnow()))
        db.session.commit()
        assert jobs.redeliver_notifications() == 1
        assert jobs.redeliver_notifications() == 0
        assert len(db.session.scalars(select(JournalEntry)).all()) == 1
        db.session.remove()
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "success"


def test_notifications_travel_over_real_http_to_a_running_server(
    app: Flask,
    cashier: Api,
    client: Any,
    burst_worker: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    created = create_web_payment(cashier)
    assert pay_by_card(client, created["next_url"]).status_code == 303
    with gunicorn_serving(app, tmp_path / "gunicorn.log") as base:
        monkeypatch.setitem(app.config, "SANDBOX_NOTIFICATION_URL", base + NOTIFICATIONS)
        burst_worker()
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "success"
    [received] = notifications(app)
    assert received.outcome == "applied" and received.request_id


def test_only_loopback_addresses_are_ever_called(
    app: Flask, cashier: Api, client: Any, burst_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFICATION_URL", "http://192.0.2.1/notify")
    created = create_web_payment(cashier)
    assert pay_by_card(client, created["next_url"]).status_code == 303
    burst_worker()
    with app.app_context():
        pending = db.session.scalars(select(SandboxNotification)).one()
        assert pending.delivered_at is None
        assert pending.last_error == "SANDBOX_NOTIFICATION_URL must be a loopback address"
        db.session.remove()
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "submitted"


def test_an_acquirer_that_never_answers_leaves_the_payment_to_expire_uncharged(
    app: Flask, cashier: Api, client: Any, burst_worker: Any, settlement_dir: Path
) -> None:
    created = create_web_payment(cashier)
    assert pay_by_card(client, created["next_url"], SILENT_CARD).status_code == 303
    burst_worker()
    assert charge_of(app, created["provider_id"]).state == "submitted"
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "submitted"
    with app.app_context():
        assert expire_payments(utcnow() + timedelta(minutes=91)) == 1
        assert provider_for("sandbox").settlement_report(local_day(utcnow())) == []
        db.session.remove()
    state = get_payment(cashier, created["payment_id"])["state"]
    assert (state["status"], state["code"]) == ("failed", "P0020")
