"""The journal: one entry per captured payment and successful refund, on its local day, once;
and the day's journal as CSV for finance systems."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.payments import ledger, service, states
from cgcrm.payments.journal_export import COLUMNS, decimal_amount, journal_csv
from cgcrm.payments.ledger import JournalEntry, business_date
from cgcrm.payments.models import Payment, Refund
from tests.conftest import Api
from tests.payments.conftest import FEE
from tests.payments.test_cash import refund, take, today


def entries(app: Flask) -> list[tuple[str, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(JournalEntry.kind, JournalEntry.amount_minor).order_by(JournalEntry.id)
        ).all()
        db.session.remove()
    return [(kind, amount) for kind, amount in rows]


def test_posting_a_payment_or_a_refund_twice_is_a_no_op(app: Flask) -> None:
    taken = take(app)
    refund(app, taken["id"], 1500)
    with app.app_context():
        payment = db.session.get(Payment, taken["id"])
        made = db.session.scalars(select(Refund)).one()
        assert payment is not None
        assert ledger.post_payment_captured(payment) is False
        assert ledger.post_refund_succeeded(made) is False
        # The refund's success reported again by the provider changes nothing either.
        assert made.provider_reference is not None
        service.apply_refund_update(
            made.provider_reference,
            states.REFUND_SUCCESS,
            actor="provider:cash",
            occurred_at=utcnow(),
        )
        db.session.commit()
    assert entries(app) == [("payment", FEE), ("refund", -1500)]


def test_each_entry_names_its_service_channel_provider_and_day(app: Flask) -> None:
    taken = take(app, provider="card_present")
    with app.app_context():
        entry = db.session.scalars(select(JournalEntry)).one()
        assert (entry.service_code, entry.department_code) == ("RATES-CERT", "RATES")
        assert (entry.channel, entry.provider, entry.currency) == ("counter", "card_present", "AUD")
        assert entry.provider_reference == taken["provider_reference"]
        assert entry.business_date == business_date(utcnow())


def test_the_business_day_is_the_local_day(app: Flask) -> None:
    with app.app_context():
        assert app.config["TIME_ZONE"] == "Australia/Sydney"
        # 13:30 UTC is 00:30 the next morning in Sydney in summer (UTC+11), 23:30 in winter.
        assert business_date(datetime(2026, 1, 15, 13, 30, tzinfo=UTC)) == date(2026, 1, 16)
        assert business_date(datetime(2026, 7, 15, 13, 30, tzinfo=UTC)) == date(2026, 7, 15)


def test_a_failed_payment_posts_nothing(app: Flask) -> None:
    body = {
        "service_code": "RATES-CERT",
        "channel": "counter",
        "provider": "manual",
        "description": "x",
    }
    from tests.payments.conftest import actor

    with app.app_context():
        payment = service.create_payment(actor(), body)
        assert payment.provider_reference is not None
        service.apply_provider_update(
            payment.provider_reference,
            states.FAILED,
            code=states.DECLINED,
            card=None,
            actor="provider:manual",
            occurred_at=utcnow(),
            detail={},
        )
        db.session.remove()
        assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 0


def _csv(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_days_journal_exports_as_csv(app: Flask, cashier: Api) -> None:
    first = take(app)
    take(app, provider="card_present", amount=1999)
    refund(app, first["id"], 1500)
    day = today(app)

    response = cashier.get(
        f"/api/v1/payments/reconciliation?date={day}", headers={"Accept": "text/csv"}
    )

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="journal-{day}.csv"'
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert text.endswith("\r\n")
    rows = _csv(response)
    assert [(r["kind"], r["provider"], r["amount_minor"], r["amount"]) for r in rows] == [
        ("payment", "cash", str(FEE), "65.00"),
        ("payment", "card_present", "1999", "19.99"),
        ("refund", "cash", "-1500", "-15.00"),
    ]
    assert {r["business_date"] for r in rows} == {day}
    assert rows[0]["payment_reference"] == first["reference"]
    assert rows[2]["payment_reference"] == first["reference"]
    assert rows[2]["refund_reference"].startswith("RFD-")
    assert rows[0]["refund_reference"] == ""
    assert all(r["currency"] == "AUD" and r["service_code"] == "RATES-CERT" for r in rows)
    # JSON stays the default: */*, or JSON preferred over CSV.
    for accept in ("*/*", "application/json, text/csv;q=0.5"):
        plain = cashier.get(
            f"/api/v1/payments/reconciliation?date={day}", headers={"Accept": accept}
        )
        assert plain.mimetype == "application/json"


def test_a_department_exports_its_own_entries_only(
    app: Flask, cashier: Api, other_department: Api
) -> None:
    take(app)
    day = today(app)
    theirs = other_department.get(
        f"/api/v1/payments/reconciliation?date={day}", headers={"Accept": "text/csv"}
    )
    assert theirs.status_code == 200
    assert theirs.get_data(as_text=True) == ",".join(COLUMNS) + "\r\n"  # the header, no rows
    ours = cashier.get(
        f"/api/v1/payments/reconciliation?date={day}", headers={"Accept": "text/csv"}
    )
    assert len(_csv(ours)) == 1


def test_a_bad_day_is_a_problem_even_as_csv(cashier: Api) -> None:
    response = cashier.get(
        "/api/v1/payments/reconciliation?date=31-01-2026", headers={"Accept": "text/csv"}
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_amounts_are_decimals_in_the_currencys_own_unit() -> None:
    assert decimal_amount(6500, "AUD") == "65.00"
    assert decimal_amount(-5, "GBP") == "-0.05"
    assert decimal_amount(500, "JPY") == "500"
    assert decimal_amount(1234, "KWD") == "1.234"


def test_no_text_cell_can_be_read_as_a_formula() -> None:
    row = {name: "" for name in COLUMNS} | {
        "entry_id": 1,
        "provider_reference": '=HYPERLINK("http://x")',
        "payment_reference": "@SUM(A1)",
        "amount_minor": -100,
        "amount": "-1.00",
    }
    (parsed,) = csv.DictReader(io.StringIO(journal_csv([row])))
    assert parsed["provider_reference"].startswith("'=")
    assert parsed["payment_reference"].startswith("'@")
    assert (parsed["amount_minor"], parsed["amount"]) == ("-100", "-1.00")


def test_posting_keeps_working_once_the_statement_is_prepared(app: Flask) -> None:
    # PostgreSQL plans a statement generically after a few runs on one connection (psycopg
    # prepares it): ON CONFLICT must name the partial index with a literal predicate then.
    for amount in range(100, 116):
        take(app, amount=amount)
    assert len(entries(app)) == 16
