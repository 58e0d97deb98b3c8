"""What the payment service shows: one payment, lists and searches, histories, refunds, a
citizen's payments for the 360 view. Department scoping (``citizens.sharing``) applies to every
read; reading a citizen's payment is audited. None touches Flask's request."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, false, func, or_, select, true, tuple_

from cgcrm.citizens import sharing
from cgcrm.citizens.models import Citizen
from cgcrm.core.audit import record_access
from cgcrm.core.errors import NotFound
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.payments import references, states
from cgcrm.payments.models import Payment, PaymentEvent, Refund
from cgcrm.payments.refunds import RefundSummary, summarise
from cgcrm.payments.transitions import locked_payment
from cgcrm.payments.views import PaymentView


def visible(actor: Actor, citizen_shares: bool | None = None) -> ColumnElement[bool]:
    """Which payments ``actor`` sees (``citizens.sharing``, by the taking department's code).

    :param citizen_shares: the citizen's flag when the query is about one known citizen;
        None reads it from a joined ``Citizen``.
    """
    if sharing.sees_every_department(actor) or citizen_shares is True:
        return true()
    own = actor.principal.department_code
    own_department = Payment.department_code == own if own is not None else false()
    if citizen_shares is False:
        return own_department
    return or_(own_department, Citizen.shares_across_government.is_(True))


def citizen_payments(
    actor: Actor, citizen_id: uuid.UUID, citizen_shares: bool, limit: int
) -> tuple[list[PaymentView], int]:
    """The latest payments of one citizen that ``actor`` may see, and how many others were
    withheld, for the 360 view. Reads in the caller's transaction; neither audits nor commits
    (the caller discloses and audits the whole view). Three statements, whatever the history.
    """
    shown = visible(actor, citizen_shares)
    payments = list(
        db.session.scalars(
            select(Payment)
            .where(Payment.citizen_id == citizen_id, shown)
            .order_by(Payment.created_at.desc(), Payment.id.desc())
            .limit(limit)
        )
    )
    withheld = db.session.scalar(
        select(func.count()).where(Payment.citizen_id == citizen_id, ~shown)
    )
    summaries = refund_summaries(payments, always_query=True)
    return [PaymentView(p, summaries[p.id]) for p in payments], int(withheld or 0)


def visible_payment(actor: Actor, payment_id: uuid.UUID, *, lock: bool = False) -> Payment:
    query = (
        select(Payment)
        .outerjoin(Citizen, Citizen.id == Payment.citizen_id)
        .where(Payment.id == payment_id, visible(actor))
    )
    found = db.session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no payment with id {payment_id}")
    return locked_payment(id=payment_id) if lock else found


def get_payment(actor: Actor, payment_id: uuid.UUID) -> PaymentView:
    """One payment the caller may see, with its refund summary; reading a citizen's is audited.

    :raises NotFound: no such payment, or another department's the caller may not see.
    """
    try:
        payment = visible_payment(actor, payment_id)
        summary = summarise(payment)
        if payment.citizen_id is not None:
            record_access(actor, "payment.read", [payment.citizen_id])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return PaymentView(payment, summary)


def refund_summaries(
    payments: list[Payment], *, always_query: bool = False
) -> dict[uuid.UUID, RefundSummary]:
    """The refund summary of each payment, with one query for all of them (none when none
    succeeded, unless ``always_query`` keeps the number of statements fixed)."""
    succeeded = [p.id for p in payments if p.state == states.SUCCESS]
    totals: dict[uuid.UUID, int] = {}
    if succeeded or always_query:
        rows = db.session.execute(
            select(Refund.payment_id, func.sum(Refund.amount_minor))
            .where(Refund.payment_id.in_(succeeded), Refund.state != states.REFUND_ERROR)
            .group_by(Refund.payment_id)
        )
        totals = {payment_id: int(total) for payment_id, total in rows}
    return {p.id: summarise(p, totals.get(p.id, 0)) for p in payments}


def _reference_clause(text: str) -> ColumnElement[bool]:
    """Our reference (check character verified) or, failing that, the service's own."""
    try:
        ours = references.normalise(text)
    except ValueError:
        return Payment.service_reference == text
    return or_(Payment.reference == ours, Payment.service_reference == text)


def list_payments(
    actor: Actor,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
    reference: str | None = None,
    citizen_id: uuid.UUID | None = None,
    service_code: str | None = None,
    state: str | None = None,
    channel: str | None = None,
    provider: str | None = None,
    created_from: datetime | None = None,
    created_before: datetime | None = None,
) -> list[PaymentView]:
    """A page of the payments the caller may see, newest first, with their refund summaries.

    Every citizen on the page is audited as disclosed.
    """
    query = (
        select(Payment)
        .outerjoin(Citizen, Citizen.id == Payment.citizen_id)
        .where(visible(actor))
        .order_by(Payment.created_at.desc(), Payment.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(tuple_(Payment.created_at, Payment.id) < after)
    if reference:
        query = query.where(_reference_clause(reference))
    if citizen_id is not None:
        query = query.where(Payment.citizen_id == citizen_id)
    if service_code is not None:
        query = query.where(Payment.service_code == service_code)
    if state is not None:
        query = query.where(Payment.state == state)
    if channel is not None:
        query = query.where(Payment.channel == channel)
    if provider is not None:
        query = query.where(Payment.provider == provider)
    if created_from is not None:
        query = query.where(Payment.created_at >= created_from)
    if created_before is not None:
        query = query.where(Payment.created_at < created_before)
    try:
        payments = list(db.session.scalars(query))
        summaries = refund_summaries(payments)
        citizens = [p.citizen_id for p in payments if p.citizen_id is not None]
        record_access(actor, "payment.listed", citizens)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return [PaymentView(p, summaries[p.id]) for p in payments]


def payment_events(actor: Actor, payment_id: uuid.UUID) -> list[PaymentEvent]:
    """The whole history of a payment the caller may see, oldest first.

    :raises NotFound: no such payment, or one the caller may not see.
    """
    try:
        payment = visible_payment(actor, payment_id)
        events = list(
            db.session.scalars(
                select(PaymentEvent)
                .where(PaymentEvent.payment_id == payment.id)
                .order_by(PaymentEvent.id)
            )
        )
        if payment.citizen_id is not None:
            record_access(actor, "payment.history_read", [payment.citizen_id])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return events


def list_refunds(actor: Actor, payment_id: uuid.UUID) -> list[Refund]:
    """Every refund of a payment the caller may see, oldest first.

    :raises NotFound: no such payment, or one the caller may not see.
    """
    try:
        payment = visible_payment(actor, payment_id)
        refunds = list(
            db.session.scalars(
                select(Refund)
                .where(Refund.payment_id == payment.id)
                .order_by(Refund.created_at, Refund.id)
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return refunds


def get_refund(actor: Actor, payment_id: uuid.UUID, refund_id: uuid.UUID) -> Refund:
    """One refund of a payment the caller may see.

    :raises NotFound: no such payment or refund, or one the caller may not see.
    """
    try:
        payment = visible_payment(actor, payment_id)
        refund = db.session.execute(
            select(Refund).where(Refund.id == refund_id, Refund.payment_id == payment.id)
        ).scalar_one_or_none()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if refund is None:
        raise NotFound(f"no refund with id {refund_id} of payment {payment_id}")
    return refund
