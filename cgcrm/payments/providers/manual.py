"""``manual``: a payment a member of staff confirms by hand (a card terminal not linked to us,
a cheque, a bank transfer seen on the statement).

Starting it leaves the payment ``created``; the staff member's confirmation moves it through
``apply_provider_update`` like any provider's report. Its provider reference is ``manual-`` and
the payment's reference; refunds are confirmed the same way. It settles nothing by itself, so
its settlement report is empty: the reconciliation shows each of its entries as unmatched.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from cgcrm.payments.providers.base import SettlementLine, StartOutcome

if TYPE_CHECKING:
    from cgcrm.payments.models import Payment, Refund


class ManualProvider:
    name = "manual"
    channels = frozenset({"web", "phone", "counter"})

    def start(self, payment: Payment) -> StartOutcome:
        payment.provider_reference = f"manual-{payment.reference}"
        return StartOutcome(next_url=None)

    def capture(self, payment: Payment) -> None:
        return None

    def cancel(self, payment: Payment) -> None:
        return None

    def refund(self, payment: Payment, refund: Refund) -> str | None:
        refund.provider_reference = f"manual-{refund.reference}"
        return None

    def settlement_report(self, day: date) -> list[SettlementLine]:
        return []
