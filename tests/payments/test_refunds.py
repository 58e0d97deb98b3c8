"""Refunds: against the amount available (412 when stale, 422 when too much), their outcome
from the provider, the refund summary and the journal."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.payments.errors import TransitionRefused
from cgcrm.payments.ledger import JournalEntry
from cgcrm.payments.service import apply_refund_update
from tests.conftest import Api
from tests.payments.conftest import FEE, PROBLEM_JSON, URL, create, succeed


def refund(api: Api, payment_id: str, amount: int, available: int) -> Any:
    return api.post(
        f"{URL}/{payment_id}/refunds",
        json={"amount": amount, "refund_amount_available": available},
    )


def settle(app: Flask, provider_id: str, state: str) -> str:
    with app.app_context():
        done = apply_refund_update(
            provider_id, state, actor="provider:manual", occurred_at=utcnow()
        )
        shown = done.state
        db.session.remove()
        return shown


def test_partial_then_full_refund(app: Flask, cashier: Api) -> None:
    payment = succeed(app, cashier)
    payment_id = payment["payment_id"]
    first = refund(cashier, payment_id, 1500, FEE)
    assert first.status_code == 202, first.get_json()
    submitted = first.get_json()
    assert submitted["status"] == "submitted"
    assert submitted["amount"] == 1500
    assert submitted["reference"].startswith("RFD-")
    assert first.headers["Location"].endswith(f"/refunds/{submitted['refund_id']}")
    summary = cashier.get(f"{URL}/{payment_id}").get_json()["refund_summary"]
    assert summary == {
        "status": "available",
        "amount_available": FEE - 1500,
        "amount_submitted": 1500,
    }
    # The stale figure is refused; too much is refused; the rest goes through.
    stale = refund(cashier, payment_id, 100, FEE)
    assert stale.status_code == 412
    assert stale.headers["Content-Type"] == PROBLEM_JSON
    assert stale.get_json()["refund_amount_available"] == FEE - 1500
    too_much = refund(cashier, payment_id, FEE, FEE - 1500)
    assert too_much.status_code == 422
    assert "amount" in too_much.get_json()["errors"]
    rest = refund(cashier, payment_id, FEE - 1500, FEE - 1500)
    assert rest.status_code == 202
    summary = cashier.get(f"{URL}/{payment_id}").get_json()["refund_summary"]
    assert summary == {"status": "full", "amount_available": 0, "amount_submitted": FEE}
    assert refund(cashier, payment_id, 1, 0).status_code == 422

    assert settle(app, submitted["provider_id"], "success") == "success"
    assert settle(app, submitted["provider_id"], "success") == "success"  # a replay: no-op
    with pytest.raises(TransitionRefused):
        settle(app, submitted["provider_id"], "error")
    assert settle(app, rest.get_json()["provider_id"], "error") == "error"
    # A refund in error gives its amount back.
    summary = cashier.get(f"{URL}/{payment_id}").get_json()["refund_summary"]
    assert summary == {
        "status": "available",
        "amount_available": FEE - 1500,
        "amount_submitted": 1500,
    }
    listed = cashier.get(f"{URL}/{payment_id}/refunds").get_json()
    assert [(r["amount"], r["status"]) for r in listed] == [
        (1500, "success"),
        (FEE - 1500, "error"),
    ]
    one = cashier.get(f"{URL}/{payment_id}/refunds/{submitted['refund_id']}")
    assert one.status_code == 200
    assert one.get_json()["finished_at"] is not None
    with app.app_context():
        entries = db.session.execute(
            select(JournalEntry.kind, JournalEntry.amount_minor).order_by(JournalEntry.id)
        ).all()
        assert entries == [("payment", FEE), ("refund", -1500)]
    history = cashier.get(f"{URL}/{payment_id}/events").get_json()
    assert [e["to_state"] for e in history][-4:] == [
        "refund_submitted",
        "refund_submitted",
        "refund_success",
        "refund_error",
    ]


def test_only_a_successful_payment_can_be_refunded(app: Flask, cashier: Api) -> None:
    created = create(cashier).get_json()
    response = refund(cashier, created["payment_id"], 100, 0)
    assert response.status_code == 409
    assert response.headers["Content-Type"] == PROBLEM_JSON
    bad = cashier.post(f"{URL}/{created['payment_id']}/refunds", json={"amount": 1})
    assert bad.status_code == 422
    assert "refund_amount_available" in bad.get_json()["errors"]
    missing = refund(cashier, "0190b7a8-0000-7000-8000-000000000000", 1, 1)
    assert missing.status_code == 404


def test_another_department_cannot_refund(app: Flask, cashier: Api, other_department: Api) -> None:
    payment = succeed(app, cashier)
    assert refund(other_department, payment["payment_id"], 1, FEE).status_code == 404
