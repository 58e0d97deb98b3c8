"""The counter's cash-up: what each till took and paid out on a day, to compare with the drawer.

Per till (and department and currency): payments and refunds by provider (cash, card present),
the cash the drawer should hold beyond its float (cash taken less cash refunded), the
card-present net the terminal's own end-of-day total should show, and every entry with who
recorded it and when. A refund is counted against the till of the payment it refunds, on the
day it was paid out. Payments count on the day they were captured (TIME_ZONE).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select, true

from cgcrm.citizens import sharing
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.payments import states
from cgcrm.payments.models import Payment, Refund
from cgcrm.payments.providers.cash import CardPresentProvider, CashProvider, day_bounds

COUNTER_PROVIDERS = (CashProvider.name, CardPresentProvider.name)


def _visible(actor: Actor) -> ColumnElement[bool]:
    """A till belongs to the department that took its payments."""
    if sharing.sees_every_department(actor):
        return true()
    return Payment.department_code == actor.principal.department_code


def _empty() -> dict[str, dict[str, int]]:
    return {name: {"count": 0, "amount_minor": 0} for name in COUNTER_PROVIDERS}


def cash_up(actor: Actor, day: date, till: str | None = None) -> dict[str, Any]:
    """The cash-up of local ``day`` for every till the caller may see (or ``till`` only).

    A principal without the cross_department scope sees its own department's tills.

    :returns: ``{"date", "till", "tills": [...]}``, tills in order of reference.
    """
    start, end = day_bounds(day)
    scope = [Payment.provider.in_(COUNTER_PROVIDERS), _visible(actor)]
    if till is not None:
        scope.append(Payment.till_reference == till)
    payments = db.session.execute(
        select(Payment)
        .where(
            *scope,
            Payment.state == states.SUCCESS,
            Payment.captured_at >= start,
            Payment.captured_at < end,
        )
        .order_by(Payment.captured_at, Payment.id)
    ).scalars()
    entries: list[tuple[Payment, dict[str, Any]]] = [
        (
            p,
            {
                "kind": "payment",
                "reference": p.reference,
                "payment_reference": p.reference,
                "provider": p.provider,
                "amount_minor": p.amount_minor,
                "at": p.captured_at,
                "recorded_by": p.created_by,
            },
        )
        for p in payments
    ]
    refunds = db.session.execute(
        select(Refund, Payment)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(
            *scope,
            Refund.state == states.REFUND_SUCCESS,
            Refund.finished_at >= start,
            Refund.finished_at < end,
        )
        .order_by(Refund.finished_at, Refund.id)
    ).all()
    entries += [
        (
            p,
            {
                "kind": "refund",
                "reference": r.reference,
                "payment_reference": p.reference,
                "provider": p.provider,
                "amount_minor": -r.amount_minor,
                "at": r.finished_at,
                "recorded_by": r.created_by,
            },
        )
        for r, p in refunds
    ]
    db.session.commit()
    tills: dict[tuple[str, str, str], dict[str, Any]] = defaultdict(
        lambda: {"payments": _empty(), "refunds": _empty(), "entries": []}
    )
    for payment, entry in sorted(entries, key=lambda e: (e[1]["at"], e[1]["reference"])):
        key = (payment.till_reference or "", payment.department_code, payment.currency)
        tally = tills[key]["payments" if entry["kind"] == "payment" else "refunds"]
        tally[entry["provider"]]["count"] += 1
        tally[entry["provider"]]["amount_minor"] += abs(entry["amount_minor"])
        tills[key]["entries"].append(entry)
    result = []
    for (till_reference, department, currency), found in sorted(tills.items()):
        taken, paid_out = found["payments"], found["refunds"]
        result.append(
            {
                "till": till_reference,
                "department_code": department,
                "currency": currency,
                **found,
                "expected_cash_minor": taken["cash"]["amount_minor"]
                - paid_out["cash"]["amount_minor"],
                "card_present_net_minor": taken["card_present"]["amount_minor"]
                - paid_out["card_present"]["amount_minor"],
            }
        )
    return {"date": day, "till": till, "tills": result}
