"""Payments not finished within 90 minutes fail with P0020; a late update is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.payments.errors import TransitionRefused
from cgcrm.payments.expiry import expire_payments
from cgcrm.payments.jobs import expire_payments as expire_job
from cgcrm.worker.periodic import PERIODIC_JOBS
from tests.conftest import Api
from tests.payments.conftest import URL, create, report


def test_unfinished_payments_expire_after_ninety_minutes(app: Flask, cashier: Api) -> None:
    waiting = create(cashier).get_json()
    started = create(cashier).get_json()
    report(app, started["provider_id"], "started")
    paid = create(cashier).get_json()
    report(app, paid["provider_id"], "success")
    with app.app_context():
        assert expire_payments(utcnow() + timedelta(minutes=89)) == 0
        assert expire_payments(utcnow() + timedelta(minutes=91)) == 2
        assert expire_job() == 0  # not yet due now; and a second run finds nothing
        assert expire_payments(utcnow() + timedelta(minutes=91)) == 0
        db.session.remove()
    for body in (waiting, started):
        shown = cashier.get(f"{URL}/{body['payment_id']}").get_json()
        assert shown["state"] == {
            "status": "failed",
            "finished": True,
            "code": "P0020",
            "message": "Payment expired",
        }
        history = cashier.get(f"{URL}/{body['payment_id']}/events").get_json()
        assert history[-1]["actor"] == "system:expiry"
        assert history[-1]["code"] == "P0020"
    assert cashier.get(f"{URL}/{paid['payment_id']}").get_json()["state"]["status"] == "success"
    # A success reported after expiry is refused, for its caller to record and flag.
    with pytest.raises(TransitionRefused) as refused:
        report(app, waiting["provider_id"], "success")
    assert refused.value.current_state == "failed"
    assert refused.value.requested_state == "success"


def test_expiry_is_a_periodic_job() -> None:
    names = {spec.name: spec for spec in PERIODIC_JOBS}
    assert names["expire-payments"].func == "cgcrm.payments.jobs.expire_payments"
