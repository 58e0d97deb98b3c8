"""MOTO: card details a member of staff keys in for a payment taken by phone.

The same checks and test cards as the card page; the security code may be left out (GOV.UK Pay
lets a service hide it for MOTO). The payment must be a phone payment of the sandbox that the
caller may see (the department scoping of ``get_payment``). It moves to ``submitted`` with the
card's brand, last four and expiry, in one transaction with the gateway's charge; the gateway
then authorises it in a job and tells us the outcome. The number and the code are dropped here.
"""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from cgcrm.core.clock import utcnow
from cgcrm.core.errors import Conflict, ValidationError
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.payments import service, states
from cgcrm.payments.providers.base import CardSummary
from cgcrm.payments.providers.sandbox import gateway
from cgcrm.payments.providers.sandbox.cards import CardErrors, check_card
from cgcrm.payments.refunds import summarise
from cgcrm.payments.transitions import apply_provider_update
from cgcrm.payments.views import PaymentView


def key_moto_card(actor: Actor, payment_id: uuid.UUID, data: dict[str, Any]) -> PaymentView:
    """Submit the card details of a phone payment, keyed by staff.

    :param data: ``card_number``, ``expiry`` (MM/YY), ``cardholder_name``, optional ``cvc``.
    :returns: the payment, now ``submitted`` (with its refund summary, for the response).
    :raises NotFound: no such payment the caller may see.
    :raises Conflict: not a sandbox phone payment, or no longer open for card details.
    :raises ValidationError: card details that fail the checks (each field named).
    """
    payment = service.get_payment(actor, payment_id).payment
    if payment.channel != "phone" or payment.provider != gateway.PROVIDER:
        raise Conflict(
            f"payment {payment.reference} is not a {gateway.PROVIDER} phone payment: its card "
            "is not keyed here"
        )
    today = utcnow().astimezone(ZoneInfo(str(current_app.config["TIME_ZONE"]))).date()
    checked = check_card(
        data["card_number"],
        data["expiry"],
        data["cardholder_name"],
        data.get("cvc") or "",
        today,
        require_cvc=False,
    )
    if isinstance(checked, CardErrors):
        raise ValidationError(
            "the card details are not valid",
            errors={name: [message] for name, message in checked.errors.items()},
        )
    assert payment.provider_reference is not None
    try:
        charge = gateway.charge_by_reference(payment.provider_reference, lock=True)
        gateway.submit_card(charge, checked)
    except Exception:
        db.session.rollback()
        raise
    card = CardSummary(brand=checked.brand, last4=checked.last4, expiry=checked.expiry)
    submitted = apply_provider_update(
        payment.provider_reference,
        states.SUBMITTED,
        code=None,
        card=card,
        actor=actor.principal.ref,
        occurred_at=utcnow(),
        detail={"via": "moto", "request_id": actor.request_id},
    )
    return PaymentView(submitted, summarise(submitted, 0))
