"""The day's journal as CSV for finance systems (``Accept: text/csv`` on the reconciliation).

One row per journal entry, in the order they were posted, under a fixed header (``COLUMNS``:
finance systems map columns by position as often as by name, so new columns are only ever
added at the end). Amounts twice: in minor units (an integer, as the API gives them) and as a
decimal in the currency's major unit with its exponent's digits (``-12.50``). RFC 4180: CRLF
line ends, quoting only where needed, UTF-8. A text cell a spreadsheet would read as a formula
(a provider's reference starting ``=``, ``+``, ``@``) is prefixed with ``'``; the amount
columns are numbers and left as they are.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from sqlalchemy import case, func, select

from cgcrm.citizens import sharing
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.payments.ledger import JournalEntry
from cgcrm.payments.models import Payment, Refund
from cgcrm.payments.money import decimal_amount

CSV_MEDIA_TYPE = "text/csv"
COLUMNS = (
    "entry_id",
    "business_date",
    "posted_at",
    "kind",
    "payment_reference",
    "refund_reference",
    "service_code",
    "department_code",
    "channel",
    "provider",
    "provider_reference",
    "currency",
    "amount_minor",
    "amount",
)
NUMERIC = frozenset({"entry_id", "amount_minor", "amount"})


def journal_rows(actor: Actor, day: date) -> list[dict[str, Any]]:
    """The journal entries of local ``day`` the caller may see, in the order posted.

    A principal without the cross_department scope sees its own department's entries.
    """
    query = (
        select(JournalEntry, Payment.reference, Refund.reference)
        .join(Payment, Payment.id == JournalEntry.payment_id)
        .outerjoin(Refund, Refund.id == JournalEntry.refund_id)
        .where(JournalEntry.business_date == day)
        .order_by(JournalEntry.id)
    )
    if not sharing.sees_every_department(actor):
        query = query.where(JournalEntry.department_code == actor.principal.department_code)
    rows = [
        {
            "entry_id": entry.id,
            "business_date": entry.business_date.isoformat(),
            "posted_at": entry.posted_at.isoformat(),
            "kind": entry.kind,
            "payment_reference": payment_reference,
            "refund_reference": refund_reference or "",
            "service_code": entry.service_code,
            "department_code": entry.department_code,
            "channel": entry.channel,
            "provider": entry.provider,
            "provider_reference": entry.provider_reference or "",
            "currency": entry.currency,
            "amount_minor": entry.amount_minor,
            "amount": decimal_amount(entry.amount_minor, entry.currency),
        }
        for entry, payment_reference, refund_reference in db.session.execute(query)
    ]
    db.session.commit()
    return rows


def journal_totals(actor: Actor, day: date) -> list[dict[str, Any]]:
    """The day's journal summed per service, channel and currency (the caller's department's
    only without cross_department): payments and refunds counted and summed, and the net."""
    is_payment = JournalEntry.kind == "payment"
    query = (
        select(
            JournalEntry.service_code,
            JournalEntry.department_code,
            JournalEntry.channel,
            JournalEntry.currency,
            func.count().filter(is_payment),
            func.coalesce(func.sum(case((is_payment, JournalEntry.amount_minor))), 0),
            func.count().filter(~is_payment),
            func.coalesce(func.sum(case((~is_payment, JournalEntry.amount_minor))), 0),
        )
        .where(JournalEntry.business_date == day)
        .group_by(
            JournalEntry.service_code,
            JournalEntry.department_code,
            JournalEntry.channel,
            JournalEntry.currency,
        )
        .order_by(JournalEntry.service_code, JournalEntry.channel, JournalEntry.currency)
    )
    if not sharing.sees_every_department(actor):
        query = query.where(JournalEntry.department_code == actor.principal.department_code)
    totals = [
        {
            "service_code": service,
            "department_code": department,
            "channel": channel,
            "currency": currency,
            "payments": {"count": paid, "amount_minor": int(taken)},
            "refunds": {"count": refunded, "amount_minor": int(paid_out)},
            "net_minor": int(taken) + int(paid_out),
        }
        for service, department, channel, currency, paid, taken, refunded, paid_out in (
            db.session.execute(query)
        )
    ]
    db.session.commit()
    return totals


def _cell(name: str, value: Any) -> Any:
    if name in NUMERIC or not isinstance(value, str):
        return value
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def journal_csv(rows: list[dict[str, Any]]) -> str:
    """The rows under ``COLUMNS``'s header, RFC 4180."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(name, row[name]) for name in COLUMNS])
    return out.getvalue()
