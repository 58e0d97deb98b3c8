"""The one interface every payment provider implements, and the values it exchanges.

A provider is a gateway (the sandbox, a real card processor) or a way of taking money in person
(cash, card present). Adding one is one module implementing ``PaymentProvider`` and one line in
the PAYMENT_PROVIDERS setting (cgcrm.payments.providers). Providers never see card numbers pass
through our tables: they hand back a ``CardSummary`` (brand, last four, expiry) at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cgcrm.payments.models import Payment, Refund


@dataclass(frozen=True)
class CardSummary:
    """All we keep of a card: ``expiry`` is ``MM/YY``."""

    brand: str
    last4: str
    expiry: str


@dataclass(frozen=True)
class StartOutcome:
    """What starting a payment gave: the page the payer goes to (web) and, for providers that
    settle at once (cash at a counter), the state the payment is already in."""

    next_url: str | None
    state: str | None = None


@dataclass(frozen=True)
class SettlementLine:
    """One line of a provider's settlement report for a day (``kind``: payment or refund)."""

    provider_reference: str
    kind: str
    amount_minor: int
    currency: str
    state: str
    occurred_on: date


class PaymentProvider(Protocol):
    """A gateway or an in-person way of paying, as the payment service uses it.

    Every method runs inside the payment service's transaction, so a provider that writes rows
    of its own writes them atomically with the payment's change. Outcomes that arrive later
    (authorisation, capture, refund) come back through ``apply_provider_update`` and
    ``apply_refund_update`` in ``cgcrm.payments.service``.
    """

    name: str
    channels: frozenset[str]

    def start(self, payment: Payment) -> StartOutcome:
        """Begin taking ``payment`` (it has its id, reference and amount); may set
        ``payment.provider_reference`` and ``payment.provider_data``."""
        ...

    def capture(self, payment: Payment) -> None:
        """Capture a payment authorised with delayed capture (state ``capturable``)."""
        ...

    def cancel(self, payment: Payment) -> None:
        """Tell the provider the service cancelled the payment (before it was submitted)."""
        ...

    def refund(self, payment: Payment, refund: Refund) -> str | None:
        """Ask for ``refund`` of ``payment``; may set ``refund.provider_reference``.

        :returns: None when the outcome arrives later (through ``apply_refund_update``), or the
            outcome already known (``success``, ``error``: cash paid out of the till at once),
            applied in the same transaction.
        """
        ...

    def settlement_report(self, day: date) -> list[SettlementLine]:
        """What the provider settled on ``day``, for the reconciliation."""
        ...
