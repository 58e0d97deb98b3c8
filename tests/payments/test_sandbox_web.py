"""A web card payment through the sandbox's hosted page, end to end over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.interactions.models import Interaction
from cgcrm.payments.expiry import expire_payments
from cgcrm.payments.ledger import JournalEntry
from cgcrm.payments.providers.sandbox.models import SandboxCharge
from tests.conftest import Api
from tests.payments.conftest import URL
from tests.payments.sandbox_helpers import (
    DECLINED_CARD,
    ERROR_CARD,
    GOOD_CARD,
    RETURN_URL,
    charge_of,
    create_web_payment,
    csrf_token,
    get_payment,
    notifications,
    open_page,
    page_path,
    pay_by_card,
)


def test_a_scripted_web_card_payment_reaches_success(
    app: Flask, cashier: Api, client: Any, burst_worker: Any
) -> None:
    created = create_web_payment(cashier)
    assert created["state"]["status"] == "created"
    next_url = created["next_url"]
    assert next_url.startswith(app.config["JWT_ISSUER"] + "/pay/card/")

    html, _token = open_page(client, next_url)
    assert "Enter card details" in html
    assert "A$12.34" in html
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "started"

    submitted = pay_by_card(client, next_url, "4444 3333 2222 1111")
    assert submitted.status_code == 303
    assert submitted.headers["Location"] == RETURN_URL
    payment = get_payment(cashier, created["payment_id"])
    assert payment["state"]["status"] == "submitted"
    assert payment["card_details"] == {"brand": "visa", "last4": "1111", "expiry": "12/30"}
    assert payment["next_url"] is None

    burst_worker()  # the gateway authorises and captures, and tells us

    payment = get_payment(cashier, created["payment_id"])
    assert payment["state"] == {"status": "success", "finished": True}
    assert payment["refund_summary"]["status"] == "available"
    history = cashier.get(f"{URL}/{created['payment_id']}/events").get_json()
    moves = [(event["to_state"], event["actor"]) for event in history]
    assert moves == [
        ("created", f"client:{cashier.client_id}"),
        ("started", "provider:sandbox"),
        ("submitted", "provider:sandbox"),
        ("success", "provider:sandbox"),
    ]
    charge = charge_of(app, created["provider_id"])
    assert (charge.state, charge.card_last4, charge.merchant_reference) == (
        "captured",
        "1111",
        created["payment_reference"],
    )
    [received] = notifications(app)
    assert (received.outcome, received.to_state, received.flagged) == ("applied", "success", False)
    with app.app_context():
        entries = db.session.scalars(select(JournalEntry)).all()
        assert [(e.kind, e.amount_minor, e.provider) for e in entries] == [
            ("payment", 1234, "sandbox")
        ]
        contact = db.session.scalars(
            select(Interaction).where(Interaction.transaction_ref == created["payment_reference"])
        ).one()
        assert (contact.channel_code, contact.outcome) == ("web", "completed")
        db.session.remove()


def test_the_page_is_accessible_and_strict(app: Flask, cashier: Api, client: Any) -> None:
    created = create_web_payment(cashier)
    response = client.get(page_path(created["next_url"]))
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src" not in policy and "unsafe-inline" not in policy
    assert policy.startswith("default-src 'none'; style-src 'self'")
    assert "form-action 'self' https://rates.example" in policy
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script" not in html and "http://" not in html.replace(app.config["JWT_ISSUER"], "")
    assert '<html lang="en">' in html and 'href="#main-content"' in html
    for field, autocomplete in [
        ("card-number", "cc-number"),
        ("expiry-date", "cc-exp"),
        ("cardholder-name", "cc-name"),
        ("cvc", "cc-csc"),
    ]:
        assert f'<label for="{field}">' in html
        assert f'id="{field}"' in html and f'autocomplete="{autocomplete}"' in html
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    stylesheet = client.get("/pay/assets/card.css")
    assert stylesheet.status_code == 200 and stylesheet.mimetype == "text/css"


def test_mistakes_are_summarised_and_linked_and_the_number_never_comes_back(
    app: Flask, cashier: Api, client: Any
) -> None:
    created = create_web_payment(cashier)
    wrong = "4444333322221112"  # fails the Luhn check
    response = pay_by_card(client, created["next_url"], wrong, expiry="13/20", cvc="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<title>Error: Enter card details" in html
    assert 'class="error-summary" role="alert"' in html
    assert '<a href="#card-number">Enter a valid card number</a>' in html
    assert '<a href="#expiry-date">' in html and '<a href="#cvc">' in html
    assert 'aria-describedby="card-number-hint card-number-error"' in html
    assert wrong not in html
    assert 'value="Jane Citizen"' in html  # what is not secret is kept for the payer
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "started"
    # Nothing at all: every field is named.
    empty = client.post(
        page_path(created["next_url"]), data={"csrf_token": csrf_token(html)}
    ).get_data(as_text=True)
    for message in ("Enter your card number", "Enter the expiry date", "Enter the name"):
        assert message in empty


def test_a_form_without_its_csrf_cookie_or_token_is_refused(
    app: Flask, cashier: Api, client: Any, make_api: Any
) -> None:
    created = create_web_payment(cashier)
    _html, token = open_page(client, created["next_url"])
    form = {"card_number": GOOD_CARD, "expiry": "12/30", "cardholder_name": "J", "cvc": "123"}
    forged = client.post(page_path(created["next_url"]), data={**form, "csrf_token": "0" * 64})
    assert forged.status_code == 400
    assert "page had expired" in forged.get_data(as_text=True)
    other_browser = app.test_client()  # has the token from the page, not the cookie
    stolen = other_browser.post(page_path(created["next_url"]), data={**form, "csrf_token": token})
    assert stolen.status_code == 400
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "started"


def test_declined_and_error_cards(app: Flask, cashier: Api, client: Any, burst_worker: Any) -> None:
    declined = create_web_payment(cashier)
    erring = create_web_payment(cashier)
    assert pay_by_card(client, declined["next_url"], DECLINED_CARD).status_code == 303
    assert pay_by_card(client, erring["next_url"], ERROR_CARD).status_code == 303
    burst_worker()
    assert get_payment(cashier, declined["payment_id"])["state"] == {
        "status": "failed",
        "finished": True,
        "code": "P0010",
        "message": "Payment method rejected",
    }
    assert get_payment(cashier, erring["payment_id"])["state"]["code"] == "P0050"
    assert charge_of(app, declined["provider_id"]).state == "declined"
    # Back on the page, the payer is told what happened (no form).
    page = client.get(page_path(declined["next_url"])).get_data(as_text=True)
    assert "Your payment was declined" in page and "card_number" not in page


def test_the_payer_cancels_from_the_page(app: Flask, cashier: Api, client: Any) -> None:
    created = create_web_payment(cashier)
    html, _token = open_page(client, created["next_url"])
    assert 'href="/pay/card/' in html and "Cancel payment" in html
    confirm = client.get(page_path(created["next_url"]) + "/cancel")
    assert confirm.status_code == 200
    token = csrf_token(confirm.get_data(as_text=True))
    left = client.post(page_path(created["next_url"]) + "/cancel", data={"csrf_token": token})
    assert left.status_code == 303 and left.headers["Location"] == RETURN_URL
    state = get_payment(cashier, created["payment_id"])["state"]
    assert (state["status"], state["code"]) == ("failed", "P0030")
    assert charge_of(app, created["provider_id"]).state == "cancelled"
    again = client.get(page_path(created["next_url"]))
    assert "has been cancelled" in again.get_data(as_text=True)


def test_links_that_cannot_be_used(app: Flask, cashier: Api, client: Any) -> None:
    assert client.get("/pay/card/not-a-real-token").status_code == 404
    assert client.post("/pay/card/not-a-real-token", data={}).status_code == 404
    cancelled = create_web_payment(cashier)
    response = cashier.post(f"{URL}/{cancelled['payment_id']}/cancel", json={})
    assert response.status_code == 200, response.get_json()
    assert charge_of(app, cancelled["provider_id"]).state == "cancelled"
    assert "has been cancelled" in client.get(page_path(cancelled["next_url"])).get_data(
        as_text=True
    )
    stale = create_web_payment(cashier)
    with app.app_context():
        db.session.execute(
            update(SandboxCharge)
            .where(SandboxCharge.provider_reference == stale["provider_id"])
            .values(created_at=utcnow() - timedelta(minutes=91))
        )
        db.session.commit()
    assert client.get(page_path(stale["next_url"])).status_code == 410
    # Our payment expired while the page was open: the payer is told before typing a card.
    expiring = create_web_payment(cashier)
    _html, token = open_page(client, expiring["next_url"])
    with app.app_context():
        assert expire_payments(utcnow() + timedelta(minutes=91)) == 2  # and the stale one
        db.session.remove()
    assert client.get(page_path(expiring["next_url"])).status_code == 410
    late = pay_by_card_with(client, expiring["next_url"], token)
    assert late.status_code == 410 and "expired" in late.get_data(as_text=True)


def test_delayed_capture_waits_in_capturable_until_the_service_captures(
    app: Flask, cashier: Api, client: Any, burst_worker: Any
) -> None:
    created = create_web_payment(cashier, delayed_capture=True)
    assert pay_by_card(client, created["next_url"]).status_code == 303
    burst_worker()
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "capturable"
    assert charge_of(app, created["provider_id"]).state == "authorised"
    captured = cashier.post(f"{URL}/{created['payment_id']}/capture", json={})
    assert captured.status_code == 200, captured.get_json()
    assert captured.get_json()["state"]["status"] == "success"
    assert charge_of(app, created["provider_id"]).state == "capture_requested"
    burst_worker()  # the gateway captures and confirms; nothing moves backwards
    assert charge_of(app, created["provider_id"]).state == "captured"
    assert [(n.to_state, n.outcome) for n in notifications(app)] == [
        ("capturable", "applied"),
        ("success", "applied"),
    ]
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "success"


def pay_by_card_with(client: Any, next_url: str, token: str) -> Any:
    form = {"csrf_token": token, "card_number": GOOD_CARD, "expiry": "12/30", "cvc": "123"}
    return client.post(page_path(next_url), data={**form, "cardholder_name": "Jane Citizen"})


def test_hostile_input_to_the_page_is_never_a_500(app: Flask, cashier: Api, client: Any) -> None:
    created = create_web_payment(cashier)
    path = page_path(created["next_url"])
    _html, token = open_page(client, created["next_url"])
    hostile = [
        "\x00",
        "4444\x003333",
        "٤٤٤٤٣٣٣٣٢٢٢٢١١١١",  # digits of another script
        "x" * 100_000,
        "<script>alert(1)</script>",
        "12/" + "9" * 5000,
        "‮",
    ]
    for value in hostile:
        form = {
            "csrf_token": token,
            "card_number": value,
            "expiry": value,
            "cardholder_name": value,
            "cvc": value,
        }
        response = client.post(path, data=form)
        assert response.status_code == 422, (value[:20], response.status_code)
        assert "<script>alert" not in response.get_data(as_text=True)
    raw = f"csrf_token={token}&card_number=%ED%A0%80&cardholder_name=%FF&expiry=%00".encode()
    invalid_utf8 = client.post(path, data=raw, content_type="application/x-www-form-urlencoded")
    assert invalid_utf8.status_code == 422
    assert client.post(path, data=b"\xff\xfe", content_type="text/plain").status_code == 400
    assert client.post(path, json={"card_number": GOOD_CARD}).status_code == 400
    for token_text in ("%00", "x" * 5000, "..%2F..%2Fetc", "é"):
        assert client.get(f"/pay/card/{token_text}").status_code == 404
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "started"
