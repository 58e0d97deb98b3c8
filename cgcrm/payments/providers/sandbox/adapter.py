"""``sandbox``: our adapter to the sandbox gateway, as ``PaymentProvider`` says.

The adapter is the one way our payments speak to the gateway (its answers come back as signed
notifications, ``cgcrm.payments.notifications``). Each call runs inside the payment service's
transaction, so the gateway's row and the payment's change commit together, or neither does.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from flask import current_app

from cgcrm.payments.providers.base import SettlementLine, StartOutcome
from cgcrm.payments.providers.sandbox import gateway, settlement

if TYPE_CHECKING:
    from cgcrm.payments.models import Payment, Refund


def card_page_url(token: str) -> str:
    """The address of a charge's card page: ``{SANDBOX_PAGE_BASE_URL}/pay/card/<token>``."""
    config = current_app.config
    base = str(config["SANDBOX_PAGE_BASE_URL"] or config["JWT_ISSUER"]).rstrip("/")
    return f"{base}/pay/card/{token}"


class SandboxProvider:
    """Card payments on the web (hosted card page) and by phone (MOTO, keyed by staff)."""

    name = "sandbox"
    channels = frozenset({"web", "phone"})

    def start(self, payment: Payment) -> StartOutcome:
        """Open the gateway's charge, keyed on our payment's reference (asking again finds the
        same charge: never two charges for one payment). A web payment's payer goes to the card
        page; a phone payment's card is keyed by staff (``POST /api/v1/payments/<id>/card``)."""
        charge, token = gateway.open_charge(
            merchant_reference=payment.reference,
            amount_minor=payment.amount_minor,
            currency=payment.currency,
            description=payment.description,
            moto=payment.moto,
            delayed_capture=payment.delayed_capture,
            return_url=payment.return_url,
        )
        payment.provider_reference = charge.provider_reference
        return StartOutcome(next_url=card_page_url(token) if token else None)

    def capture(self, payment: Payment) -> None:
        """Ask the gateway to capture; it does so in a job and tells us (success)."""
        assert payment.provider_reference is not None
        gateway.request_capture(gateway.charge_by_reference(payment.provider_reference, lock=True))

    def cancel(self, payment: Payment) -> None:
        """Close the gateway's charge: its card page no longer takes details."""
        assert payment.provider_reference is not None
        gateway.cancel_charge(gateway.charge_by_reference(payment.provider_reference, lock=True))

    def refund(self, payment: Payment, refund: Refund) -> str | None:
        """Ask the gateway for a refund, keyed on our refund's reference; it pays it in a job
        and tells us (success or error), so there is no outcome yet (None)."""
        assert payment.provider_reference is not None
        charge = gateway.charge_by_reference(payment.provider_reference, lock=True)
        taken = gateway.open_refund(charge, refund.reference, refund.amount_minor)
        refund.provider_reference = taken.provider_reference
        return None

    def settlement_report(self, day: date) -> list[SettlementLine]:
        """The lines of the gateway's settlement file of ``day`` (a local day of TIME_ZONE)."""
        return settlement.settlement_report(day)
