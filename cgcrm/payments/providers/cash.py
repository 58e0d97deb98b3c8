"""Taking money in person at a counter: cash, and a card on the counter's own terminal.

Staff record a payment after the money changed hands, naming the till that took it
(``till_reference``), so there is nothing to wait for: ``start`` answers ``success`` at once and
the payment service applies it through ``apply_provider_update`` (journal entry, completed
contact, ``payment.succeeded``) in the same transaction. A refund at the counter is handed over
from the till at once in the same way (``refund`` answers ``success``).

Our own records are the provider's: the settlement report of a day is the till records, the
payments and refunds this provider completed on that local day (TIME_ZONE). The reconciliation
then checks that every one of them was posted to the journal once, for its amount. The drawer
itself is counted by a person against the cash-up report (``cgcrm.payments.cashup``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from cgcrm.core.errors import ValidationError
from cgcrm.extensions import db
from cgcrm.payments import states
from cgcrm.payments.models import Payment, Refund
from cgcrm.payments.providers.base import SettlementLine, StartOutcome

if TYPE_CHECKING:
    from collections.abc import Iterable

TILL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,99}$"
TILL_PATTERN_HELP = "letters, digits, '-', '_', '.' or '/', at most 100"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The instants (aware) at which local ``day`` (TIME_ZONE) starts and the next one starts."""
    zone = ZoneInfo(current_app.config["TIME_ZONE"])
    start = datetime.combine(day, time.min, zone)
    end = datetime.combine(day + timedelta(days=1), time.min, zone)
    return start, end


def valid_till(value: str | None) -> bool:
    """Whether ``value`` is a usable till reference."""
    return value is not None and re.fullmatch(TILL_PATTERN, value) is not None


class CashProvider:
    """Cash handed over at a counter and recorded by the member of staff who took it."""

    name = "cash"
    channels = frozenset({"counter"})
    # Our provider references, unique across providers: CASH-PAY-7K3M-9Q2D-X.
    prefix = "CASH"

    def start(self, payment: Payment) -> StartOutcome:
        """Record money already taken at ``payment.till_reference``: succeeds at once.

        :raises ValidationError: the payment is not on the counter channel or names no till.
        """
        problems: dict[str, list[str]] = {}
        if payment.channel not in self.channels:
            problems["channel"] = [f"{self.name} is taken at a counter only"]
        if not valid_till(payment.till_reference):
            problems["till_reference"] = [
                f"the till that took the money is required ({TILL_PATTERN_HELP})"
            ]
        if payment.delayed_capture:
            problems["delayed_capture"] = ["money taken at a counter is captured at once"]
        if problems:
            raise ValidationError(
                f"a {self.name} payment needs a counter and a till reference", errors=problems
            )
        payment.provider_reference = f"{self.prefix}-{payment.reference}"
        payment.provider_data = {**(payment.provider_data or {}), "till": payment.till_reference}
        return StartOutcome(next_url=None, state=states.SUCCESS)

    def capture(self, payment: Payment) -> None:
        """Nothing to capture: the money is in the till."""

    def cancel(self, payment: Payment) -> None:
        """Nothing to tell anyone: a counter payment is never left open to cancel."""

    def refund(self, payment: Payment, refund: Refund) -> str:
        """Money handed back from the till, at once: the refund's own reference here, and its
        outcome (``success``), which the payment service applies in the same transaction."""
        refund.provider_reference = f"{self.prefix}-{refund.reference}"
        return states.REFUND_SUCCESS

    def settlement_report(self, day: date) -> list[SettlementLine]:
        """The till records of local ``day``: payments captured and refunds paid out."""
        start, end = day_bounds(day)
        payments = db.session.execute(
            select(
                Payment.provider_reference, Payment.amount_minor, Payment.currency, Payment.state
            ).where(
                Payment.provider == self.name,
                Payment.state == states.SUCCESS,
                Payment.captured_at >= start,
                Payment.captured_at < end,
            )
        ).all()
        refunds = db.session.execute(
            select(Refund.provider_reference, Refund.amount_minor, Payment.currency, Refund.state)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(
                Payment.provider == self.name,
                Refund.state == states.REFUND_SUCCESS,
                Refund.finished_at >= start,
                Refund.finished_at < end,
            )
        ).all()
        return [
            *_lines([tuple(row) for row in payments], "payment", day),
            *_lines([tuple(row) for row in refunds], "refund", day),
        ]


class CardPresentProvider(CashProvider):
    """A card presented at the counter's own terminal (chip and PIN, contactless).

    The terminal's acquirer settles it, but the counter records it as it records cash: the
    terminal has approved it before staff record it, so it succeeds at once too.
    """

    name = "card_present"
    prefix = "CP"


def _lines(
    rows: Iterable[tuple[str | None, int, str, str]], kind: str, day: date
) -> list[SettlementLine]:
    return [
        SettlementLine(
            provider_reference=reference or "",
            kind=kind,
            amount_minor=amount,
            currency=currency,
            state=state,
            occurred_on=day,
        )
        for reference, amount, currency, state in rows
    ]
