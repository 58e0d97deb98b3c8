"""Refunds settle asynchronously at the gateway; its settlement file lists the day's money."""

from __future__ import annotations

import csv
import os
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.payments.ledger import JournalEntry
from cgcrm.payments.providers import provider_for
from cgcrm.payments.providers.base import SettlementLine
from cgcrm.payments.providers.sandbox.settlement import (
    SettlementFileError,
    day_bounds,
    local_day,
    settlement_path,
)
from tests.conftest import Api
from tests.payments.conftest import URL
from tests.payments.sandbox_helpers import (
    create_web_payment,
    get_payment,
    notifications,
    pay_by_card,
    settlement_dir,
)

__all__ = ["settlement_dir"]  # the fixture, used by name


def _paid(cashier: Api, client: Any, burst_worker: Any, card: str = "4242424242424242") -> Any:
    created = create_web_payment(cashier)
    assert pay_by_card(client, created["next_url"], card).status_code == 303
    burst_worker()
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "success"
    return created


def _refund(cashier: Api, payment_id: str, amount: int, available: int) -> Any:
    return cashier.post(
        f"{URL}/{payment_id}/refunds",
        json={"amount": amount, "refund_amount_available": available},
        headers={"Idempotency-Key": f"refund-{payment_id}-{amount}-{available}"},
    )


def _today(app: Flask) -> date:
    with app.app_context():
        return local_day(utcnow())


def test_refunds_settle_later_and_the_settlement_file_lists_the_money(
    app: Flask, cashier: Api, client: Any, burst_worker: Any, settlement_dir: Path
) -> None:
    paid = _paid(cashier, client, burst_worker)
    partial = _refund(cashier, paid["payment_id"], 234, 1234)
    assert partial.status_code == 202, partial.get_json()
    assert partial.get_json()["status"] == "submitted"
    assert partial.get_json()["provider_id"].startswith("sbx_rf_")
    burst_worker()
    refunds = cashier.get(f"{URL}/{paid['payment_id']}/refunds").get_json()
    assert [r["status"] for r in refunds] == ["success"]
    rest = _refund(cashier, paid["payment_id"], 1000, 1000)
    assert rest.status_code == 202
    burst_worker()
    payment = get_payment(cashier, paid["payment_id"])
    assert payment["refund_summary"] == {
        "status": "full",
        "amount_available": 0,
        "amount_submitted": 1234,
    }
    kinds = [(n.kind, n.to_state, n.outcome) for n in notifications(app)]
    assert kinds == [
        ("payment", "success", "applied"),
        ("refund", "success", "applied"),
        ("refund", "success", "applied"),
    ]
    with app.app_context():
        journal = sorted(e.amount_minor for e in db.session.scalars(select(JournalEntry)))
        assert journal == [-1000, -234, 1234]
        lines = provider_for("sandbox").settlement_report(local_day(utcnow()))
        db.session.remove()
    today = _today(app)
    assert sorted(lines, key=lambda line: line.amount_minor) == [
        SettlementLine(partial.get_json()["provider_id"], "refund", 234, "AUD", "success", today),
        SettlementLine(rest.get_json()["provider_id"], "refund", 1000, "AUD", "success", today),
        SettlementLine(paid["provider_id"], "payment", 1234, "AUD", "success", today),
    ]
    with app.app_context():
        path = settlement_path(today)
    assert path.parent == settlement_dir
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["kind"] for row in rows] == ["payment", "refund", "refund"]
    assert rows[0]["merchant_reference"] == paid["payment_reference"]


def test_a_refund_the_gateway_cannot_pay_ends_in_error(
    app: Flask, cashier: Api, client: Any, burst_worker: Any, settlement_dir: Path
) -> None:
    paid = _paid(cashier, client, burst_worker, card="4000000000005126")
    refund = _refund(cashier, paid["payment_id"], 1234, 1234)
    assert refund.status_code == 202
    assert get_payment(cashier, paid["payment_id"])["refund_summary"]["status"] == "full"
    burst_worker()
    [shown] = cashier.get(f"{URL}/{paid['payment_id']}/refunds").get_json()
    assert shown["status"] == "error"
    summary = get_payment(cashier, paid["payment_id"])["refund_summary"]
    assert summary == {"status": "available", "amount_available": 1234, "amount_submitted": 0}
    with app.app_context():
        lines = provider_for("sandbox").settlement_report(local_day(utcnow()))
        db.session.remove()
    assert [(line.kind, line.state) for line in lines] == [("payment", "success")]


def test_a_closed_days_file_is_read_as_written_and_an_altered_one_refused(
    app: Flask, settlement_dir: Path
) -> None:
    day = date(2026, 1, 5)
    with app.app_context():
        assert provider_for("sandbox").settlement_report(day) == []
        path = settlement_path(day)
        _start, end = day_bounds(day)
        assert datetime.fromtimestamp(path.stat().st_mtime, UTC) >= end  # closed
        path.write_text("provider_reference,amount\nx,1\n")
        os.utime(path, (time.time(), time.time()))
        with pytest.raises(SettlementFileError):
            provider_for("sandbox").settlement_report(day)
        db.session.remove()
