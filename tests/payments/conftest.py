"""Payments on the test catalog: a service with a fee, API clients that take payments."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask

from cgcrm.catalog.models import Service
from cgcrm.core.principal import Actor, Principal
from cgcrm.extensions import db
from tests.conftest import Api

FEE = 6500
PAYMENTS = "citizens:read payments:write"


@pytest.fixture(autouse=True)
def _fee_service(app: Flask) -> None:
    """RATES-CERT: a rates certificate with a fee, next to the free services of the catalog."""
    with app.app_context():
        rates = db.session.execute(
            db.select(Service).where(Service.code == "RATES-PAY")
        ).scalar_one()
        db.session.add(
            Service(
                code="RATES-CERT",
                name="Rates certificate",
                department_id=rates.department_id,
                sla_target_days=5,
                fee_minor=FEE,
                currency="AUD",
            )
        )
        db.session.commit()
        db.session.remove()


@pytest.fixture
def cashier(make_api: Any) -> Api:
    """The rates department's counter system: takes and refunds payments."""
    return make_api(PAYMENTS, "RATES")


@pytest.fixture
def other_department(make_api: Any) -> Api:
    return make_api(PAYMENTS, "WASTE")


def actor(department: str = "RATES") -> Actor:
    from cgcrm.catalog.codes import catalog_codes

    found = catalog_codes.department_by_code(department)
    assert found is not None
    principal = Principal(
        kind="client",
        id=f"test-{uuid.uuid4().hex[:6]}",
        department_id=found.id,
        department_code=department,
        scopes=frozenset({"payments:write", "citizens:read"}),
    )
    return Actor(principal, "test-request")


def payment_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service_code": "RATES-CERT",
        "channel": "counter",
        "provider": "manual",
        "reference": "INV-1001",
        "description": "Rates certificate for 12 George Street",
    }
    body.update(overrides)
    return body


URL = "/api/v1/payments"
PROBLEM_JSON = "application/problem+json"


def new_key() -> str:
    return f"key-{uuid.uuid4().hex}"


def create(api: Api, key: str | None = None, **overrides: Any) -> Any:
    """POST a payment with a fresh Idempotency-Key (or ``key``)."""
    return api.post(
        URL, json=payment_body(**overrides), headers={"Idempotency-Key": key or new_key()}
    )


def report(app: Flask, provider_reference: str, state: str, **kwargs: Any) -> Any:
    """The provider (manual) reports ``state``, as a notification would."""
    from cgcrm.core.clock import utcnow
    from cgcrm.payments.service import apply_provider_update

    with app.app_context():
        payment = apply_provider_update(
            provider_reference,
            state,
            code=kwargs.get("code"),
            card=kwargs.get("card"),
            actor="provider:manual",
            occurred_at=kwargs.get("occurred_at") or utcnow(),
            detail={},
        )
        db.session.remove()
        return payment


def succeed(app: Flask, api: Api, **overrides: Any) -> dict[str, Any]:
    """A payment taken and confirmed by its provider: the response body, read again."""
    created = create(api, **overrides)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    report(app, body["provider_id"], "success")
    read = api.get(f"{URL}/{body['payment_id']}")
    assert read.status_code == 200
    return dict(read.get_json())
