"""Reconciliation: each provider's settlement report against the journal, stored per day."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import delete, func, select

from cgcrm.core.clock import clock_set_to, utcnow
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.payments import reconciliation, service, states
from cgcrm.payments.ledger import JournalEntry, business_date
from cgcrm.payments.providers.base import SettlementLine
from cgcrm.payments.providers.cash import day_bounds
from cgcrm.payments.reconciliation_jobs import reconcile_payments
from cgcrm.payments.reconciliation_models import ReconciliationItem, ReconciliationRun
from tests.conftest import Api
from tests.payments.conftest import FEE, actor, payment_body
from tests.payments.scripted_provider import ScriptedProvider
from tests.payments.test_cash import take

SCRIPTED = "scripted=tests.payments.scripted_provider:ScriptedProvider"


@pytest.fixture
def scripted(app: Flask) -> Iterator[type[ScriptedProvider]]:
    """The ``scripted`` gateway configured beside the others, its reports empty."""
    before = app.config["PAYMENT_PROVIDERS"]
    app.config["PAYMENT_PROVIDERS"] = f"{before},{SCRIPTED}"
    app.extensions.pop("cgcrm.payment_providers", None)
    ScriptedProvider.reports = {}
    yield ScriptedProvider
    app.config["PAYMENT_PROVIDERS"] = before
    app.extensions.pop("cgcrm.payment_providers", None)
    ScriptedProvider.reports = {}


@pytest.fixture
def after_the_reports_of_yesterday(app: Flask) -> Iterator[None]:
    """Run as at midday yesterday (local): the day before is closed and its reports are final.

    Between midnight and PAYMENT_RECONCILIATION_DELAY after it, the real yesterday is not yet
    due; a fixed time of day keeps the tests that count due days from depending on the hour.
    """
    with app.app_context():
        zone = ZoneInfo(app.config["TIME_ZONE"])
        yesterday = business_date(utcnow()) - timedelta(days=1)
    with clock_set_to(datetime.combine(yesterday, time(12), zone)):
        yield


def local_today(app: Flask) -> date:
    with app.app_context():
        return business_date(utcnow())


def gateway_payment(app: Flask, to_state: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A payment with the scripted gateway, moved to ``to_state`` as its notifications would."""
    with app.app_context():
        payment = service.create_payment(
            actor(), payment_body(provider="scripted", channel="phone", **overrides)
        )
        reference = payment.provider_reference
        assert reference is not None
        found = {"id": payment.id, "reference": payment.reference, "provider_reference": reference}
        db.session.remove()
        for state in (states.STARTED, states.SUBMITTED, to_state):
            if state is None or (state == states.SUBMITTED and to_state == states.STARTED):
                continue
            service.apply_provider_update(
                reference,
                state,
                code=states.DECLINED if state == states.FAILED else None,
                card=None,
                actor="provider:scripted",
                occurred_at=utcnow(),
                detail={},
            )
            db.session.remove()
            if state == to_state:
                break
    return found


def line(reference: str, amount: int, day: date, kind: str = "payment", state: str = "success"):
    return SettlementLine(reference, kind, amount, "AUD", state, day)


def reconcile(app: Flask, day: date, provider: str | None = None) -> dict[str, Any]:
    with app.app_context():
        reconciliation.reconcile_day(day, provider=provider)
        db.session.remove()
    with app.app_context():
        from cgcrm.core.principal import SYSTEM, Actor

        result = reconciliation.get_reconciliation(Actor(SYSTEM, "test"), day, provider)
        out = {
            "runs": {r.provider: r for r in result["runs"]},
            "items": [(i.kind, i.provider_reference) for i in result["differences"]],
            "by_ref": {i.provider_reference: i for i in result["differences"]},
        }
        db.session.expunge_all()
        db.session.remove()
    return out


def test_a_cash_day_agrees_with_its_journal(app: Flask) -> None:
    take(app)
    take(app, amount=1200)
    day = local_today(app)

    result = reconcile(app, day, "cash")

    run = result["runs"]["cash"]
    assert (run.status, run.matched, run.difference_count) == ("agreed", 2, 0)
    assert run.ledger_totals == run.report_totals == {"AUD": FEE + 1200}
    assert result["items"] == []


def test_a_success_never_posted_is_missing_in_the_ledger(app: Flask) -> None:
    taken = take(app)
    with app.app_context():
        db.session.execute(delete(JournalEntry).where(JournalEntry.payment_id == taken["id"]))
        db.session.commit()

    result = reconcile(app, local_today(app), "cash")

    assert result["items"] == [("missing_in_ledger", taken["provider_reference"])]
    item = result["by_ref"][taken["provider_reference"]]
    assert item.payment_reference == taken["reference"]
    assert "never posted" in item.detail


def test_every_difference_with_a_gateway_is_flagged_and_named(
    app: Flask, scripted: type[ScriptedProvider]
) -> None:
    day = local_today(app)
    agreed = gateway_payment(app, states.SUCCESS)
    short = gateway_payment(app, states.SUCCESS)
    unreported = gateway_payment(app, states.SUCCESS)
    refused = gateway_payment(app, states.SUCCESS)
    twice = gateway_payment(app, states.SUCCESS)
    timed_out = gateway_payment(app, states.SUBMITTED)  # the gateway never answered us
    waiting = gateway_payment(app, states.STARTED)  # nor here, and its report is silent
    declined = gateway_payment(app, states.FAILED)
    scripted.reports[day] = [
        line(agreed["provider_reference"], FEE, day),
        line(short["provider_reference"], FEE - 100, day),
        line(refused["provider_reference"], FEE, day, state="declined"),
        line(twice["provider_reference"], FEE, day),
        line(twice["provider_reference"], FEE, day),
        line(timed_out["provider_reference"], FEE, day),
        line(declined["provider_reference"], FEE, day, state="declined"),
        line("sc-stranger", 999, day),
    ]

    result = reconcile(app, day, "scripted")

    assert sorted(result["items"]) == sorted(
        [
            ("missing_in_report", unreported["provider_reference"]),
            ("missing_in_ledger", "sc-stranger"),
            ("amount_mismatch", short["provider_reference"]),
            ("state_mismatch", refused["provider_reference"]),
            ("state_mismatch", timed_out["provider_reference"]),
            ("duplicate", twice["provider_reference"]),
            ("unresolved", waiting["provider_reference"]),
        ]
    )
    run = result["runs"]["scripted"]
    assert (run.status, run.matched, run.ledger_count) == ("differences", 1, 5)
    timed = result["by_ref"][timed_out["provider_reference"]]
    assert (timed.our_state, timed.report_state) == ("submitted", "success")
    assert timed_out["reference"] in timed.detail
    pending = result["by_ref"][waiting["provider_reference"]]
    assert pending.payment_reference == waiting["reference"] and pending.our_state == "started"
    assert result["by_ref"]["sc-stranger"].payment_id is None


def test_an_unreadable_report_still_names_the_unresolved_payments(
    app: Flask, scripted: type[ScriptedProvider]
) -> None:
    gateway_payment(app, states.SUCCESS)
    waiting = gateway_payment(app, states.SUBMITTED)

    result = reconcile(app, local_today(app), "scripted")  # no report written for the day

    run = result["runs"]["scripted"]
    assert run.status == "report_unavailable" and "no settlement file" in run.detail
    assert run.ledger_count == 1
    assert result["items"] == [("unresolved", waiting["provider_reference"])]


def test_reconciling_a_day_again_replaces_its_result(
    app: Flask, scripted: type[ScriptedProvider]
) -> None:
    day = local_today(app)
    paid = gateway_payment(app, states.SUCCESS)
    scripted.reports[day] = []
    first = reconcile(app, day, "scripted")
    assert first["items"] == [("missing_in_report", paid["provider_reference"])]

    scripted.reports[day] = [line(paid["provider_reference"], FEE, day)]  # the late report
    second = reconcile(app, day, "scripted")
    third = reconcile(app, day, "scripted")

    assert second["items"] == third["items"] == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReconciliationRun)) == 1
        assert db.session.scalar(select(func.count()).select_from(ReconciliationItem)) == 0
        events = db.session.scalars(
            select(OutboxEvent.payload)
            .where(OutboxEvent.type == "payments.reconciled")
            .order_by(OutboxEvent.seq)
        ).all()
        assert [e["status"] for e in events] == ["differences", "agreed", "agreed"]


def test_concurrent_runs_of_one_day_store_one_whole_result(
    app: Flask, scripted: type[ScriptedProvider]
) -> None:
    day = local_today(app)
    for _ in range(3):
        gateway_payment(app, states.SUCCESS)
    scripted.reports[day] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                reconciliation.reconcile_day(day, provider="scripted")
                db.session.remove()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReconciliationRun)) == 1
        assert db.session.scalar(select(func.count()).select_from(ReconciliationItem)) == 3


@pytest.mark.usefixtures("after_the_reports_of_yesterday")
def test_the_daily_job_reconciles_each_closed_day_once(app: Flask) -> None:
    take(app)
    with app.app_context():
        today = business_date(utcnow())
        window = app.config["PAYMENT_RECONCILIATION_DAYS"]
        assert reconcile_payments() == window  # every closed day of the window: none had a run
        runs = db.session.scalars(select(ReconciliationRun.business_date)).all()
        assert today not in runs and len(set(runs)) == window
        assert reconcile_payments() == 0  # done once
        db.session.remove()
        # Tomorrow, once its reports are final, today is due; the rest of the window is done.
        delay = timedelta(seconds=app.config["PAYMENT_RECONCILIATION_DELAY"] + 60)
        with clock_set_to(day_bounds(today)[1] + delay):
            assert reconciliation.days_due() == [today]
            assert reconcile_payments() == 1
        run = db.session.execute(
            select(ReconciliationRun).where(
                ReconciliationRun.business_date == today, ReconciliationRun.provider == "cash"
            )
        ).scalar_one()
        assert (run.status, run.matched) == ("agreed", 1)


@pytest.mark.usefixtures("after_the_reports_of_yesterday")
def test_a_day_whose_report_was_unavailable_is_read_again(
    app: Flask, scripted: type[ScriptedProvider]
) -> None:
    with app.app_context():
        yesterday = business_date(utcnow()) - timedelta(days=1)
        reconcile_payments()
        unread = db.session.execute(
            select(ReconciliationRun.status).where(
                ReconciliationRun.business_date == yesterday,
                ReconciliationRun.provider == "scripted",
            )
        ).scalar_one()
        assert unread == "report_unavailable"
        assert yesterday in reconciliation.days_due()
        scripted.reports[yesterday] = []
        reconciliation.reconcile_day(yesterday)
        db.session.remove()
        assert yesterday not in reconciliation.days_due()


# --- the API ------------------------------------------------------------------------------


def test_finance_reads_the_day_and_runs_it_again(
    app: Flask, cashier: Api, scripted: type[ScriptedProvider]
) -> None:
    day = local_today(app)
    take(app)
    waiting = gateway_payment(app, states.SUBMITTED)
    scripted.reports[day] = []

    before = cashier.get(f"/api/v1/payments/reconciliation?date={day.isoformat()}")
    assert before.status_code == 200
    shown = before.get_json()
    assert (shown["date"], shown["reconciled"], shown["runs"]) == (day.isoformat(), False, [])
    assert shown["journal"] == [
        {
            "service_code": "RATES-CERT",
            "department_code": "RATES",
            "channel": "counter",
            "currency": "AUD",
            "payments": {"count": 1, "amount_minor": FEE},
            "refunds": {"count": 0, "amount_minor": 0},
            "net_minor": FEE,
        }
    ]

    ran = cashier.post("/api/v1/payments/reconciliation", json={"date": day.isoformat()})
    assert ran.status_code == 200, ran.get_json()
    body = ran.get_json()
    assert body["reconciled"] is True
    runs = {run["provider"]: run for run in body["runs"]}
    assert runs["cash"]["status"] == "agreed" and runs["cash"]["matched"] == 1
    assert runs["cash"]["ledger_totals"] == {"AUD": FEE}
    assert runs["scripted"]["status"] == "differences"
    assert runs["manual"]["status"] == "agreed"
    (difference,) = body["differences"]
    assert difference["kind"] == "unresolved"
    assert difference["payment_reference"] == waiting["reference"]
    assert difference["payment_id"] == str(waiting["id"])
    assert runs["scripted"]["run_by"].startswith("client:")

    again = cashier.get(f"/api/v1/payments/reconciliation?date={day.isoformat()}&provider=cash")
    assert [run["provider"] for run in again.get_json()["runs"]] == ["cash"]
    assert again.get_json()["differences"] == []


def test_a_department_sees_its_own_differences_only(
    app: Flask, cashier: Api, other_department: Api, scripted: type[ScriptedProvider]
) -> None:
    day = local_today(app)
    gateway_payment(app, states.SUBMITTED)
    scripted.reports[day] = [line("sc-stranger", 500, day)]
    reconcile(app, day)

    own = cashier.get(f"/api/v1/payments/reconciliation?date={day.isoformat()}").get_json()
    other = other_department.get(f"/api/v1/payments/reconciliation?date={day.isoformat()}")
    assert [d["kind"] for d in own["differences"]] == ["unresolved"]  # the stranger is finance's
    assert other.get_json()["differences"] == []
    assert other.get_json()["reconciled"] is True


@pytest.mark.parametrize(
    "query",
    ["", "?date=", "?date=2026-13-01", "?date=1066-10-14", "?date=2026-01-01&provider=NOPE!"],
)
def test_bad_reconciliation_queries_are_422(cashier: Api, query: str) -> None:
    response = cashier.get(f"/api/v1/payments/reconciliation{query}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "date"),
        ({"date": "tomorrow"}, "date"),
        ({"date": "2026-01-01", "provider": "nobody"}, "provider"),
        ({"date": "2026-01-01", "extra": 1}, "extra"),
    ],
)
def test_bad_runs_are_422(cashier: Api, body: dict[str, Any], field: str) -> None:
    response = cashier.post("/api/v1/payments/reconciliation", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]


def test_a_day_not_yet_begun_cannot_be_reconciled(app: Flask, cashier: Api) -> None:
    later = (local_today(app) + timedelta(days=2)).isoformat()
    response = cashier.post("/api/v1/payments/reconciliation", json={"date": later})
    assert response.status_code == 422
    assert "date" in response.get_json()["errors"]


def test_running_a_reconciliation_needs_payments_write(make_api: Any) -> None:
    reader = make_api("citizens:read", "RATES")
    assert reader.get("/api/v1/payments/reconciliation?date=2026-01-01").status_code == 200
    response = reader.post("/api/v1/payments/reconciliation", json={"date": "2026-01-01"})
    assert response.status_code == 403
