"""Taking payments in the console: cash and card at the counter, a card keyed on the phone
(MOTO), and the card page link for the web; one payment however often a form is submitted."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from flask import Flask

from cgcrm.catalog.models import Service
from cgcrm.extensions import db
from tests.console.conftest import ConsoleBrowser
from tests.console.journey_helpers import (
    error_links,
    hidden,
    location,
    one_h1,
    submit,
    text,
    titled_error,
)

FEE = 6500


def browser_of(app: Flask, signed_in: ConsoleBrowser) -> ConsoleBrowser:
    """Another client holding the same session cookie (a second tab of the same browser)."""
    twin = ConsoleBrowser(app, app.response_class, use_cookies=True)
    cookie = signed_in.get_cookie("cgcrm_console", path="/console/")
    assert cookie is not None
    twin.set_cookie(cookie.key, cookie.value, path="/console/", secure=True)
    return twin


CARD = "5555 5555 5555 4444"


@pytest.fixture(autouse=True)
def _fee_service(app: Flask) -> None:
    """RATES-CERT: a rates certificate with a fee (the test catalog's services are free)."""
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
def cashier(sign_in: Any) -> ConsoleBrowser:
    return sign_in(["front_office"], "RATES")


def _payments(api: Any, citizen_id: str) -> list[dict[str, Any]]:
    # The rates department's system sees the payments its officers take.
    found = api.get("/api/v1/payments", query_string={"citizen_id": citizen_id})
    assert found.status_code == 200, found.get_json()
    return list(found.get_json())


@pytest.fixture
def reader(make_api: Any) -> Any:
    return make_api("citizens:read", "RATES")


def _take(browser: ConsoleBrowser, citizen_id: str, **data: Any) -> Any:
    url = f"/console/citizens/{citizen_id}/payments/new"
    return submit(browser, url, {"service_code": "RATES-CERT", **data})


def test_cash_at_the_counter_defaults_to_the_fee_and_is_paid_at_once(
    cashier: ConsoleBrowser, citizen_id: str, reader: Any
) -> None:
    form = cashier.get(f"/console/citizens/{citizen_id}/payments/new?service_code=RATES-CERT")
    assert form.status_code == 200 and one_h1(text(form))
    assert 'name="amount" type="text" value="65.00"' in text(form)
    taken = _take(cashier, citizen_id, method="cash", amount="", till_reference="TILL-3")
    assert taken.status_code == 303, text(taken)
    page = cashier.get(location(taken))
    html = text(page)
    assert page.status_code == 200 and one_h1(html)
    assert "$65.00 paid" in html and "TILL-3" in html
    (payment,) = _payments(reader, citizen_id)
    assert (payment["amount"], payment["channel"], payment["provider"]) == (FEE, "counter", "cash")
    assert payment["state"]["status"] == "success" and payment["till_reference"] == "TILL-3"
    # The till is remembered for the next payment of the session.
    assert 'value="TILL-3"' in text(cashier.get(f"/console/citizens/{citizen_id}/payments/new"))


def test_a_card_at_the_counter_terminal_takes_the_amount_typed(
    cashier: ConsoleBrowser, citizen_id: str, reader: Any
) -> None:
    taken = _take(cashier, citizen_id, method="card_present", amount="$12.5", till_reference="T1")
    assert taken.status_code == 303
    (payment,) = _payments(reader, citizen_id)
    assert (payment["amount"], payment["provider"]) == (1250, "card_present")
    assert payment["state"]["status"] == "success"


def test_submitting_one_payment_form_twice_takes_one_payment(
    cashier: ConsoleBrowser, citizen_id: str, reader: Any
) -> None:
    url = f"/console/citizens/{citizen_id}/payments/new"
    html = text(cashier.get(url))
    data = {
        "csrf_token": hidden(html, "csrf_token"),
        "idempotency_key": hidden(html, "idempotency_key"),
        "service_code": "RATES-CERT",
        "method": "cash",
        "till_reference": "TILL-3",
    }
    first, second = cashier.post(url, data=data), cashier.post(url, data=data)
    assert first.status_code == second.status_code == 303
    assert location(first) == location(second)
    assert len(_payments(reader, citizen_id)) == 1
    # The same page sent again with another amount takes nothing: the page says so.
    changed = cashier.post(url, data={**data, "amount": "10.00"})
    assert changed.status_code == 400 and error_links(text(changed)) == ["method"]
    assert hidden(text(changed), "idempotency_key") != data["idempotency_key"]
    assert len(_payments(reader, citizen_id)) == 1
    # A new render is a new payment.
    assert _take(cashier, citizen_id, method="cash", till_reference="TILL-3").status_code == 303
    assert len(_payments(reader, citizen_id)) == 2


def test_a_double_click_sending_both_posts_at_once_takes_one_payment(
    app: Flask, cashier: ConsoleBrowser, citizen_id: str, reader: Any
) -> None:
    url = f"/console/citizens/{citizen_id}/payments/new"
    html = text(cashier.get(url))
    data = {
        "csrf_token": hidden(html, "csrf_token"),
        "idempotency_key": hidden(html, "idempotency_key"),
        "service_code": "RATES-CERT",
        "method": "card_present",
        "till_reference": "TILL-3",
    }
    # Two browsers' worth of the same session: the same cookie, two requests in flight.
    second = browser_of(app, cashier)
    start = threading.Barrier(2)
    answers: list[Any] = []

    def click(client: ConsoleBrowser) -> None:
        start.wait()
        answers.append(client.post(url, data=data))

    threads = [threading.Thread(target=click, args=(c,)) for c in (cashier, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [303, 303], [text(a) for a in answers]
    assert location(answers[0]) == location(answers[1])
    assert len(_payments(reader, citizen_id)) == 1


def test_a_phone_payment_is_keyed_by_staff_and_the_card_number_never_comes_back(
    cashier: ConsoleBrowser,
    citizen_id: str,
    reader: Any,
    burst_worker: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    taken = _take(cashier, citizen_id, method="phone")
    assert taken.status_code == 303
    payment_url = location(taken)
    html = text(cashier.get(payment_url))
    assert 'name="card_number"' in html and 'autocomplete="off"' in html
    wrong = cashier.post(
        f"{payment_url}/card",
        data={
            "csrf_token": hidden(html, "csrf_token"),
            "card_number": "5555 5555 5555 4445",
            "expiry": "01/20",
            "cardholder_name": "Sam Caller",
            "cvc": "123",
        },
    )
    body = text(wrong)
    assert wrong.status_code == 400 and titled_error(body)
    assert error_links(body) == ["card_number", "expiry"]
    assert "5555 5555 5555 4445" not in body and 'value="123"' not in body
    assert 'value="Sam Caller"' in body  # the rest is kept for the correction
    keyed = cashier.post(
        f"{payment_url}/card",
        data={
            "csrf_token": hidden(html, "csrf_token"),
            "card_number": CARD,
            "expiry": "11/31",
            "cardholder_name": "Sam Caller",
        },
    )
    assert keyed.status_code == 303
    submitted = text(cashier.get(payment_url))
    assert "authorising" in submitted and "ending 4444" in submitted
    assert 'name="card_number"' not in submitted
    burst_worker()
    assert "$65.00 paid" in text(cashier.get(payment_url))
    (payment,) = _payments(reader, citizen_id)
    assert payment["moto"] is True and payment["state"]["status"] == "success"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "5555 5555 5555" not in logged and "555555555555" not in logged


def test_a_web_payment_gives_the_card_page_link_to_hand_over(
    cashier: ConsoleBrowser, citizen_id: str, reader: Any
) -> None:
    taken = _take(cashier, citizen_id, method="web", return_url="https://council.example/paid")
    assert taken.status_code == 303
    html = text(cashier.get(location(taken)))
    (payment,) = _payments(reader, citizen_id)
    assert payment["next_url"] and "/pay/card/" in payment["next_url"]
    assert f'href="{payment["next_url"]}"' in html
    assert "Give the citizen this link" in html


def test_payment_form_mistakes_are_shown_on_their_fields(
    cashier: ConsoleBrowser, citizen_id: str, reader: Any
) -> None:
    missing = _take(cashier, citizen_id, service_code="", method="")
    assert missing.status_code == 400 and error_links(text(missing)) == ["service_code", "method"]
    counter = _take(cashier, citizen_id, method="cash", amount="sixty", till_reference="")
    assert error_links(text(counter)) == ["amount", "till_reference"]
    web = _take(cashier, citizen_id, method="web", return_url="")
    assert error_links(text(web)) == ["return_url"]
    # What only the API knows (the till's allowed characters) comes back on the field too.
    bad_till = _take(cashier, citizen_id, method="cash", till_reference="till #3")
    assert bad_till.status_code == 400 and error_links(text(bad_till)) == ["till_reference"]
    assert _payments(reader, citizen_id) == []


def test_a_payment_form_without_the_csrf_token_is_refused(
    cashier: ConsoleBrowser, citizen_id: str, reader: Any
) -> None:
    url = f"/console/citizens/{citizen_id}/payments/new"
    html = text(cashier.get(url))
    refused = cashier.post(
        url,
        data={
            "idempotency_key": hidden(html, "idempotency_key"),
            "service_code": "RATES-CERT",
            "method": "cash",
            "till_reference": "TILL-3",
        },
    )
    assert refused.status_code == 400
    assert _payments(reader, citizen_id) == []
