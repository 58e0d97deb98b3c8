"""Take a payment for a citizen: cash or a card at the counter, a card read out on the phone
(MOTO, keyed by staff), or the card page link handed to the citizen to pay on the web.

Each form render carries its own Idempotency-Key (a hidden field), so pressing the button twice,
or going back and submitting again, makes one payment. A card number is never logged, stored by
the console, or sent back to the browser: the MOTO form comes back with its number and code empty.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, redirect, request, url_for

from cgcrm.console.api import ApiProblem, api
from cgcrm.console.blueprint import bp
from cgcrm.console.filters import money
from cgcrm.console.form_state import (
    IDEMPOTENCY_FIELD,
    Form,
    create_once,
    idempotency_key,
    new_idempotency_key,
    parse_money,
    refused_as_used,
)
from cgcrm.console.hooks import page
from cgcrm.console.lookups import citizen_heading, service_by_code, services
from cgcrm.console.session import session, signin_required

# How the money is taken -> the API's channel and provider (None: the channel's default).
METHODS: dict[str, tuple[str, str | None]] = {
    "cash": ("counter", "cash"),
    "card_present": ("counter", "card_present"),
    "phone": ("phone", None),
    "web": ("web", None),
}
METHOD_NAMES = {
    "cash": "Cash at the counter",
    "card_present": "Card at the counter's terminal",
    "phone": "Card details read out on the phone (you key them in)",
    "web": "Online: give the citizen a link to the card page",
}
CHANNEL_NAMES = {
    "counter": "At the counter",
    "phone": "By phone",
    "web": "Online",
}
STATE_NAMES = {
    "created": "Waiting for card details",
    "started": "The citizen is on the card page",
    "submitted": "Card details sent: authorising",
    "capturable": "Authorised, not yet taken",
    "success": "Paid",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "error": "Error at the payment provider",
}
PAYMENT_FIELDS = (
    "service_code",
    "method",
    "amount",
    "till_reference",
    "reference",
    "return_url",
    IDEMPOTENCY_FIELD,
)
API_FIELDS = {
    "service_code": "service_code",
    "channel": "method",
    "provider": "method",
    "amount": "amount",
    "currency": "amount",
    "till_reference": "till_reference",
    "reference": "reference",
    "return_url": "return_url",
    "delayed_capture": "method",
}
# The console keeps a member of staff's till for the session: the next payment needs it again.
TILL_KEY = "h7_till"
CARD_FIELDS = ("card_number", "expiry", "cardholder_name", "cvc")


@bp.route("/citizens/<uuid:citizen_id>/payments/new", methods=["GET", "POST"])
@signin_required
def new_payment(citizen_id: uuid.UUID) -> Any:
    """Take a payment for the citizen; one form submitted twice makes one payment."""
    if request.method == "GET":
        chosen = request.args.get("service_code", "")
        form = Form(
            {
                "service_code": chosen,
                "method": request.args.get("method", ""),
                "till_reference": str(session().get(TILL_KEY) or ""),
                "return_url": str(current_app.config["CONSOLE_WEB_PAYMENT_RETURN_URL"]),
                IDEMPOTENCY_FIELD: new_idempotency_key(),
            }
        )
        found = service_by_code(chosen) if chosen else None
        if found and found.get("fee_minor"):
            form.values["amount"] = f"{found['fee_minor'] // 100}.{found['fee_minor'] % 100:02d}"
        return _payment_form(citizen_id, form)
    form = Form.from_request(request.form, PAYMENT_FIELDS)
    form.values[IDEMPOTENCY_FIELD] = idempotency_key(request.form)
    body = _payment_body(citizen_id, form)
    if form.failed:
        return _payment_form(citizen_id, form, 400)
    try:
        created = create_once("/api/v1/payments", body, form.get(IDEMPOTENCY_FIELD))
    except ApiProblem as problem:
        if not refused_as_used(
            form,
            problem,
            "method",
            "This form was already used for a payment: check the details and take the "
            "payment again only if it is a new one",
        ):
            if problem.status == 409 and problem.body.get("merged_into"):
                form.error("method", "This record was merged into another: take the payment there")
            else:
                form.take_problem(problem, API_FIELDS)
        return _payment_form(citizen_id, form, 400 if problem.status == 422 else problem.status)
    if form.get("till_reference") and body.get("till_reference"):
        session().set(TILL_KEY, form.get("till_reference"))
    return redirect(url_for("console.payment", payment_id=created["payment_id"]), code=303)


def _payment_body(citizen_id: uuid.UUID, form: Form) -> dict[str, Any]:
    """The API request for what was typed; mistakes the page can see go on ``form``."""
    if not form.get("service_code"):
        form.error("service_code", "Select the service being paid for")
    method = form.get("method")
    if method not in METHODS:
        form.error("method", "Select how the citizen is paying")
    amount = None
    if form.get("amount"):
        amount = parse_money(form.get("amount"))
        if amount is None or amount < 1:
            form.error("amount", "Enter an amount in dollars and cents, like 65.00")
    channel, provider = METHODS.get(method, ("", None))
    if channel == "counter" and not form.get("till_reference"):
        form.error("till_reference", "Enter the till that took the money")
    if channel == "web" and not form.get("return_url"):
        form.error("return_url", "Enter the address the citizen returns to after paying")
    body: dict[str, Any] = {
        "service_code": form.get("service_code"),
        "channel": channel,
        "citizen_id": str(citizen_id),
    }
    if provider:
        body["provider"] = provider
    if amount is not None:
        body["amount"] = amount
    if form.get("reference"):
        body["reference"] = form.get("reference")
    if channel == "counter":
        body["till_reference"] = form.get("till_reference")
    if channel == "web":
        body["return_url"] = form.get("return_url")
    return body


def _payment_form(citizen_id: uuid.UUID, form: Form, status: int = 200) -> Any:
    return page(
        "console/payments/new.html",
        status,
        citizen=citizen_heading(citizen_id),
        services=[
            {**s, "fee": money(s.get("fee_minor"), s.get("currency") or "AUD")} for s in services()
        ],
        methods=METHOD_NAMES,
        form=form,
        errors=form.errors,
    )


@bp.get("/payments/<uuid:payment_id>")
@signin_required
def payment(payment_id: uuid.UUID) -> Any:
    """A payment: its state, the card page link (web) or the card form (phone)."""
    return _payment_page(payment_id, Form())


@bp.post("/payments/<uuid:payment_id>/card")
@signin_required
def key_card(payment_id: uuid.UUID) -> Any:
    """Send the card details read out on the phone; the page never shows the number again."""
    form = Form.from_request(request.form, CARD_FIELDS)
    for name, message in (
        ("card_number", "Enter the card number"),
        ("expiry", "Enter the expiry date, like 03/29"),
        ("cardholder_name", "Enter the name on the card"),
    ):
        if not form.get(name):
            form.error(name, message)
    if not form.failed:
        body = {name: form.get(name) for name in CARD_FIELDS if form.get(name)}
        try:
            api().post(f"/api/v1/payments/{payment_id}/card", json=body)
        except ApiProblem as problem:
            if problem.status not in (409, 422):
                raise
            form.take_problem(problem, {name: name for name in CARD_FIELDS})
    if form.failed:
        # What identifies the card is never sent back to the browser.
        form.values.pop("card_number", None)
        form.values.pop("cvc", None)
        return _payment_page(payment_id, form, 400)
    return redirect(url_for("console.payment", payment_id=payment_id), code=303)


def _payment_page(payment_id: uuid.UUID, form: Form, status: int = 200) -> Any:
    found = api().get(f"/api/v1/payments/{payment_id}")
    state = (found.get("state") or {}).get("status", "")
    citizen = citizen_heading(found["citizen_id"]) if found.get("citizen_id") else None
    return page(
        "console/payments/payment.html",
        status,
        payment=found,
        state=state,
        state_name=STATE_NAMES.get(state, state),
        amount=money(found.get("amount"), found.get("currency") or "AUD"),
        citizen=citizen,
        takes_card=found.get("channel") == "phone" and state == "created",
        service_name=(service_by_code(found.get("service_code") or "") or {}).get("name")
        or found.get("service_code"),
        channel_name=CHANNEL_NAMES.get(found.get("channel") or "", found.get("channel"))
        + (" (card keyed by staff)" if found.get("moto") else ""),
        form=form,
        errors=form.errors,
    )
