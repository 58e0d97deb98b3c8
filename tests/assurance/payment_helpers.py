"""Payments a citizen made, for the knowledge question about the last one (the API takes them; the
provider's report finishes them, as a notification would)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask

from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.payments.service import apply_provider_update


def take(app: Flask, api: Any, citizen_id: str, amount: int, state: str | None = "success") -> str:
    """A counter payment of ``amount`` (minor units) for the citizen, then moved to ``state``
    by its provider (None: left open). Returns the payment's provider reference."""
    created = api.post(
        "/api/v1/payments",
        json={
            "service_code": "RATES-PAY",
            "channel": "counter",
            "provider": "manual",
            "amount": amount,
            "citizen_id": citizen_id,
        },
        headers={"Idempotency-Key": f"key-{uuid.uuid4().hex}"},
    )
    assert created.status_code == 201, created.get_json()
    reference = str(created.get_json()["provider_id"])
    if state is not None:
        finish(app, reference, state)
    return reference


def finish(app: Flask, reference: str, state: str) -> None:
    with app.app_context():
        apply_provider_update(
            reference,
            state,
            code="P0010" if state == "failed" else None,
            card=None,
            actor="provider:manual",
            occurred_at=utcnow(),
            detail={},
        )
        db.session.remove()
