"""The sandbox's hosted card page: where a web payment's ``next_url`` takes the payer.

Plain HTML that works without JavaScript (GOV.UK Design System patterns: labelled fields with
hints, an error summary whose links go to the fields, error messages tied to their inputs),
served with a policy that allows no script at all and our own stylesheet only. The link's token
is the payer's credential (only its hash is stored); each form carries a CSRF token, an HMAC of
the charge and a random value the page also sets in a SameSite=Strict, HttpOnly cookie (a
signed double submit: the API keeps no sessions).

The page's own steps reach our payment at once, in the same transaction as the gateway's row:
the page shown (``started``), the card submitted (``submitted``, with brand, last four and
expiry), the payer cancelling (``failed``, P0030). What the gateway decides later comes back in
signed notifications. The card number and security code are read from the form, checked, and
dropped: never stored, logged or sent back in the page.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import urllib.parse
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from cgcrm.core.access import allows_anonymous, requires
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import DomainError
from cgcrm.extensions import db
from cgcrm.payments import states
from cgcrm.payments.models import Payment
from cgcrm.payments.providers.base import CardSummary
from cgcrm.payments.providers.sandbox import gateway
from cgcrm.payments.providers.sandbox.cards import CardErrors, check_card
from cgcrm.payments.providers.sandbox.models import SandboxCharge
from cgcrm.payments.transitions import apply_provider_update

bp = Blueprint("sandbox_pages", __name__, template_folder="templates", url_prefix="/pay")

ACTOR = f"provider:{gateway.PROVIDER}"
FIELD_IDS = {
    "card_number": "card-number",
    "expiry": "expiry-date",
    "cardholder_name": "cardholder-name",
    "cvc": "cvc",
}
CSRF_FAILED = "Your card details were not sent because the page had expired. Enter them again."
_CSRF_PURPOSE = b"cgcrm sandbox card page csrf"
_STYLESHEET = "card.css"
CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "US$", "AUD": "A$", "NZD": "NZ$"}
# Why a link cannot take card details: status, heading, explanation.
NOT_FOUND = (
    404,
    "This payment link is not valid",
    "Check that you used the whole link, or go back to the service and start again.",
)
EXPIRED = (
    410,
    "Your payment session has expired",
    "You have not been charged. Go back to the service to start again.",
)
ENDED: dict[str, tuple[int, str, str]] = {
    "submitted": (200, "Your payment is being processed", "You do not need to do anything else."),
    "authorised": (200, "Your payment is being processed", "You do not need to do anything else."),
    "capture_requested": (
        200,
        "Your payment is being processed",
        "You do not need to do anything else.",
    ),
    "captured": (200, "Your payment was successful", "You do not need to do anything else."),
    "declined": (
        200,
        "Your payment was declined",
        "You have not been charged. Go back to the service to try again.",
    ),
    "error": (
        200,
        "Your payment could not be taken",
        "You have not been charged. Go back to the service to try again.",
    ),
    "cancelled": (200, "Your payment has been cancelled", "You have not been charged."),
    "expired": EXPIRED,
}
CLOSED = (
    409,
    "This payment can no longer be made",
    "You have not been charged. Go back to the service to start again.",
)


def _cookie_name() -> str:
    # __Host-: sent only over HTTPS, to this host, for every path; plain in development.
    return "__Host-sandbox-csrf" if current_app.config["ENV"] == "production" else "sandbox-csrf"


def _csrf_token(charge: SandboxCharge, nonce: str) -> str:
    key = hmac.new(str(current_app.config["SECRET_KEY"]).encode(), _CSRF_PURPOSE, hashlib.sha256)
    message = f"{charge.id}:{nonce}".encode()
    return hmac.new(key.digest(), message, hashlib.sha256).hexdigest()


def _csrf_ok(charge: SandboxCharge) -> bool:
    nonce = _cookie_nonce()
    sent = request.form.get("csrf_token", "")
    if nonce is None or not sent.isascii():
        return False
    return hmac.compare_digest(_csrf_token(charge, nonce), sent)


def _origin(url: str | None) -> str:
    if not url:
        return ""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def _policy(charge: SandboxCharge | None) -> str:
    """No script, our stylesheet, forms posting here (and, since a browser checks the redirect
    a form's answer makes, to the service the payer returns to)."""
    back = _origin(charge.return_url) if charge else ""
    return (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        f"form-action 'self'{' ' + back if back else ''}; frame-ancestors 'none'"
    )


def _amount(charge: SandboxCharge) -> str:
    symbol = CURRENCY_SYMBOLS.get(charge.currency)
    whole, cents = divmod(charge.amount_minor, 100)
    text = f"{whole:,}.{cents:02d}"
    return f"{symbol}{text}" if symbol else f"{text} {charge.currency}"


def _page(template: str, status: int, charge: SandboxCharge | None, **context: Any) -> Response:
    response = make_response(
        render_template(
            template,
            stylesheet=url_for("sandbox_pages.stylesheet"),
            **context,
        ),
        status,
    )
    response.mimetype = "text/html"
    response.headers["Content-Security-Policy"] = _policy(charge)
    return response


def _message(status_heading: tuple[int, str, str], charge: SandboxCharge | None) -> Response:
    status, heading, explanation = status_heading
    db.session.rollback()
    return _page(
        "sandbox/message.html",
        status,
        charge,
        heading=heading,
        explanation=explanation,
        continue_url=charge.return_url if charge else None,
    )


def _cookie_nonce() -> str | None:
    nonce = request.cookies.get(_cookie_name(), "")
    return nonce if 16 <= len(nonce) <= 100 and nonce.isascii() else None


def _with_csrf(template: str, status: int, charge: SandboxCharge, **context: Any) -> Response:
    # The browser's value is kept while it has one, so a second tab's form stays good.
    nonce = _cookie_nonce() or secrets.token_urlsafe(24)
    response = _page(template, status, charge, csrf_token=_csrf_token(charge, nonce), **context)
    production = current_app.config["ENV"] == "production"
    response.set_cookie(
        _cookie_name(),
        nonce,
        max_age=int(gateway.CHARGE_TTL.total_seconds()),
        path="/" if production else "/pay/",
        secure=production,
        httponly=True,
        samesite="Strict",
    )
    return response


def _form(
    token: str,
    charge: SandboxCharge,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    return _with_csrf(
        "sandbox/card.html",
        status,
        charge,
        action=url_for("sandbox_pages.submit_card_details", token=token),
        cancel_url=url_for("sandbox_pages.cancel_page", token=token),
        description=charge.description,
        amount=_amount(charge),
        values=values or {},
        errors=errors or {},
        ids=FIELD_IDS,
    )


def _open_charge(token: str) -> tuple[SandboxCharge | None, Response | None]:
    """The charge of a link still open for card details (locked), or the page saying why not."""
    charge = gateway.charge_by_token(token, lock=True)
    if charge is None:
        return None, _message(NOT_FOUND, None)
    if charge.state in gateway.OPEN_CHARGE_STATES and gateway.expired(charge):
        return None, _message(EXPIRED, charge)
    if charge.state not in gateway.OPEN_CHARGE_STATES:
        return None, _message(ENDED.get(charge.state, CLOSED), charge)
    # Our payment may have finished without the gateway hearing of it (it expired, P0020):
    # the payer is told before typing a card rather than after.
    ours = db.session.execute(
        select(Payment.state, Payment.failure_code).where(
            Payment.provider_reference == charge.provider_reference
        )
    ).first()
    if ours is not None and states.finished(ours.state):
        return None, _message(EXPIRED if ours.failure_code == states.EXPIRED else CLOSED, charge)
    return charge, None


def _leave(charge: SandboxCharge) -> Response:
    if charge.return_url:
        return redirect(charge.return_url, code=303)  # type: ignore[return-value]
    return _message(ENDED.get(charge.state, CLOSED), charge)


def _report(
    charge: SandboxCharge, to_state: str, code: str | None = None, card: CardSummary | None = None
) -> bool:
    """Move our payment with the page's step, committing the gateway's row with it; False
    (everything rolled back) when our payment can no longer move there (finished, expired)."""
    try:
        apply_provider_update(
            charge.provider_reference,
            to_state,
            code=code,
            card=card,
            actor=ACTOR,
            occurred_at=utcnow(),
            detail={"via": "card page"},
        )
    except DomainError:
        return False
    return True


@cache
def _stylesheet_text() -> str:
    return (Path(__file__).parent / "static" / _STYLESHEET).read_text(encoding="utf-8")


@bp.get("/assets/card.css")
@allows_anonymous
@requires()
def stylesheet() -> Response:
    """The card page's stylesheet (our own file: the page loads nothing from elsewhere)."""
    return current_app.response_class(_stylesheet_text(), mimetype="text/css")


@bp.get("/card/<token>")
@allows_anonymous
@requires()
def card_page(token: str) -> Response:
    """The card details form of one payment, or why its link cannot take them."""
    charge, refusal = _open_charge(token)
    if refusal is not None:
        return refusal
    assert charge is not None
    if gateway.page_opened(charge) and not _report(charge, states.STARTED):
        return _message(CLOSED, charge)
    response = _form(token, charge)
    db.session.commit()
    return response


@bp.post("/card/<token>")
@allows_anonymous
@requires()
def submit_card_details(token: str) -> Response:
    """Card details posted by the form: back to the service, or the form with its errors."""
    charge, refusal = _open_charge(token)
    if refusal is not None:
        return refusal
    assert charge is not None
    form = request.form
    kept = {name: form.get(name, "")[:200] for name in ("expiry", "cardholder_name")}
    if not _csrf_ok(charge):
        response = _form(token, charge, 400, kept, {"card_number": CSRF_FAILED})
        db.session.rollback()
        return response
    local_today = utcnow().astimezone(ZoneInfo(str(current_app.config["TIME_ZONE"]))).date()
    checked = check_card(
        form.get("card_number", "")[:100],
        form.get("expiry", "")[:100],
        form.get("cardholder_name", "")[:500],
        form.get("cvc", "")[:100],
        local_today,
    )
    if isinstance(checked, CardErrors):
        response = _form(token, charge, 422, kept, checked.errors)
        db.session.rollback()
        return response
    gateway.submit_card(charge, checked)
    card = CardSummary(brand=checked.brand, last4=checked.last4, expiry=checked.expiry)
    if not _report(charge, states.SUBMITTED, card=card):
        return _message(CLOSED, charge)
    return _leave(charge)


@bp.get("/card/<token>/cancel")
@allows_anonymous
@requires()
def cancel_page(token: str) -> Response:
    """Asks the payer to confirm they want to cancel."""
    charge, refusal = _open_charge(token)
    if refusal is not None:
        return refusal
    assert charge is not None
    response = _with_csrf(
        "sandbox/cancel.html",
        200,
        charge,
        action=url_for("sandbox_pages.cancel_payment", token=token),
        back_url=url_for("sandbox_pages.card_page", token=token),
        description=charge.description,
        amount=_amount(charge),
    )
    db.session.rollback()
    return response


@bp.post("/card/<token>/cancel")
@allows_anonymous
@requires()
def cancel_payment(token: str) -> Response:
    """The payer cancels: the payment fails (P0030) and they go back to the service."""
    charge, refusal = _open_charge(token)
    if refusal is not None:
        return refusal
    assert charge is not None
    if not _csrf_ok(charge):
        db.session.rollback()
        return redirect(url_for("sandbox_pages.cancel_page", token=token), code=303)  # type: ignore[return-value]
    gateway.cancel_by_user(charge)
    if not _report(charge, states.FAILED, code=states.CANCELLED_BY_USER):
        return _message(CLOSED, charge)
    return _leave(charge)
