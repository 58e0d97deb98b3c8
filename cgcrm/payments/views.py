"""What the API shows of a payment beyond its columns: GOV.UK Pay's state object, the refund
summary, the card's brand/last four/expiry, the hosted page while it can still be used."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cgcrm.payments import states
from cgcrm.payments.models import Payment
from cgcrm.payments.refunds import RefundSummary


@dataclass(frozen=True)
class PaymentView:
    payment: Payment
    refund_summary: RefundSummary

    def __getattr__(self, name: str) -> Any:
        # Every column reads through to the payment (the response schema names them).
        return getattr(self.payment, name)

    @property
    def state_object(self) -> dict[str, Any]:
        payment = self.payment
        shown: dict[str, Any] = {"status": payment.state, "finished": payment.finished}
        if payment.failure_code:
            shown["code"] = payment.failure_code
            shown["message"] = states.message(payment.failure_code)
        return shown

    @property
    def card_details(self) -> dict[str, str] | None:
        payment = self.payment
        if not payment.card_last4:
            return None
        return {
            "brand": payment.card_brand or "",
            "last4": payment.card_last4,
            "expiry": payment.card_expiry or "",
        }

    @property
    def next_url(self) -> str | None:
        """The payer's page, until the payer has submitted or the payment finished."""
        payment = self.payment
        if payment.state not in (states.CREATED, states.STARTED):
            return None
        url = (payment.provider_data or {}).get("next_url")
        return str(url) if url else None
