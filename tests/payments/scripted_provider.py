"""A payment provider adapter of ours standing in for a gateway whose settlement report the
test writes: the reconciliation reads it as it reads any provider's.

Registered under the name ``scripted`` by the ``scripted`` fixture (test_reconciliation*). Its
payments start and wait (``created``) like a gateway's; tests move them with
``apply_provider_update`` as the gateway's notifications would.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar

from cgcrm.payments.providers.base import SettlementLine, StartOutcome

if TYPE_CHECKING:
    from cgcrm.payments.models import Payment, Refund


class ReportUnavailable(RuntimeError):
    """The gateway's report file is not there yet."""


class ScriptedProvider:
    name = "scripted"
    channels = frozenset({"web", "phone", "counter"})
    # The report of each day, as the test writes it; a day missing here cannot be read.
    reports: ClassVar[dict[date, list[SettlementLine]]] = {}

    def start(self, payment: Payment) -> StartOutcome:
        payment.provider_reference = f"sc-{payment.reference}"
        return StartOutcome(next_url=None)

    def capture(self, payment: Payment) -> None:
        return None

    def cancel(self, payment: Payment) -> None:
        return None

    def refund(self, payment: Payment, refund: Refund) -> None:
        refund.provider_reference = f"sc-{refund.reference}"

    def settlement_report(self, day: date) -> list[SettlementLine]:
        if day not in self.reports:
            raise ReportUnavailable(f"no settlement file for {day.isoformat()}")
        return list(self.reports[day])
