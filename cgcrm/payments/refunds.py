"""Refunds: taking them (one at a time per payment, against the amount still available) and
applying their outcome when the provider reports it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from cgcrm.core.audit import record_access
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import Conflict, NotFound, PreconditionFailed, ValidationError
from cgcrm.core.ids import new_id
from cgcrm.core.outbox import add_event
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.payments import ledger, states
from cgcrm.payments.errors import TransitionRefused
from cgcrm.payments.models import Payment, Refund
from cgcrm.payments.providers import provider_for
from cgcrm.payments.references import REFUND_PREFIX, new_reference
from cgcrm.payments.transitions import (
    actor_principal,
    call_provider,
    locked_payment,
    record_event,
)


@dataclass(frozen=True)
class RefundSummary:
    """GOV.UK Pay's ``refund_summary``: whether a payment can be refunded, and how much."""

    status: str  # pending, available, full, unavailable
    amount_available: int
    amount_submitted: int


def refunded_amount(payment_id: uuid.UUID) -> int:
    """What is refunded or being refunded of a payment (refunds in error give it back)."""
    total = db.session.execute(
        select(func.coalesce(func.sum(Refund.amount_minor), 0)).where(
            Refund.payment_id == payment_id, Refund.state != states.REFUND_ERROR
        )
    ).scalar_one()
    return int(total)


def summarise(payment: Payment, submitted: int | None = None) -> RefundSummary:
    """The refund summary of ``payment``; ``submitted`` when the caller already summed it."""
    if payment.state != states.SUCCESS:
        status = "unavailable" if payment.finished else "pending"
        return RefundSummary(status, 0, 0)
    if submitted is None:
        submitted = refunded_amount(payment.id)
    available = max(payment.amount_minor - submitted, 0)
    return RefundSummary("available" if available else "full", available, submitted)


def _refund_payload(payment: Payment, refund: Refund) -> dict[str, object]:
    return {
        "refund_id": str(refund.id),
        "payment_id": str(payment.id),
        "reference": refund.reference,
        "payment_reference": payment.reference,
        "state": refund.state,
        "amount": refund.amount_minor,
        "currency": payment.currency,
        "service_code": payment.service_code,
        "department_code": payment.department_code,
    }


def submit_refund(
    actor: Actor, payment: Payment, amount: int, refund_amount_available: int
) -> Refund:
    """Refund ``amount`` of a payment whose row the caller has locked, in its transaction.

    The caller's ``refund_amount_available`` must be the amount available now: two clerks
    refunding at once both read the same figure, and the second is refused.

    :raises Conflict: the payment has not succeeded, so nothing can be refunded.
    :raises PreconditionFailed: ``refund_amount_available`` is not the current amount.
    :raises ValidationError: ``amount`` exceeds what is available.
    """
    if payment.state != states.SUCCESS:
        raise Conflict(
            f"payment {payment.reference} is {payment.state}; only a successful payment "
            "can be refunded",
            refund_status=summarise(payment).status,
        )
    summary = summarise(payment)
    if refund_amount_available != summary.amount_available:
        raise PreconditionFailed(
            f"refund_amount_available is {summary.amount_available}, not "
            f"{refund_amount_available}: the payment changed; read it again",
            refund_amount_available=summary.amount_available,
        )
    if amount > summary.amount_available:
        raise ValidationError(
            f"the amount exceeds the {summary.amount_available} available to refund",
            errors={"amount": [f"at most {summary.amount_available}"]},
        )
    now = utcnow()
    refund = Refund(
        id=new_id(),
        payment_id=payment.id,
        reference=new_reference(REFUND_PREFIX),
        amount_minor=amount,
        state=states.REFUND_SUBMITTED,
        created_by=actor.principal.ref,
        created_at=now,
    )
    db.session.add(refund)
    db.session.flush()
    provider = provider_for(payment.provider)
    outcome = call_provider(payment.provider, "refund", lambda: provider.refund(payment, refund))
    db.session.flush()
    record_event(
        payment.id,
        None,
        "refund_submitted",
        actor=actor.principal.ref,
        occurred_at=now,
        detail={"refund_id": str(refund.id), "reference": refund.reference, "amount": amount},
    )
    add_event("refund.submitted", "refund", refund.id, _refund_payload(payment, refund))
    if payment.citizen_id is not None:
        record_access(actor, "payment.refund_submitted", [payment.citizen_id])
    if outcome is not None and outcome != refund.state:
        _settle(payment, refund, outcome, actor=f"provider:{payment.provider}", occurred_at=now)
    return refund


def _settle(
    payment: Payment, refund: Refund, to_state: str, *, actor: str, occurred_at: datetime
) -> None:
    """Finish a submitted refund of a locked payment, in the current transaction.

    :raises ValidationError: ``to_state`` is not ``success`` or ``error``.
    :raises TransitionRefused: the refund already finished.
    """
    if to_state not in states.REFUND_FINISHED:
        raise ValidationError(
            f"a refund cannot become {to_state}", errors={"state": ["success or error"]}
        )
    if refund.state in states.REFUND_FINISHED:
        raise TransitionRefused(
            f"refund {refund.reference} is {refund.state}; it cannot become {to_state}",
            current_state=refund.state,
            requested_state=to_state,
        )
    from_state = refund.state
    refund.state = to_state
    refund.finished_at = utcnow()
    db.session.flush()
    record_event(
        payment.id,
        f"refund_{from_state}",
        f"refund_{to_state}",
        actor=actor,
        occurred_at=occurred_at,
        detail={"refund_id": str(refund.id), "reference": refund.reference},
    )
    event = "refund.succeeded" if to_state == states.REFUND_SUCCESS else "refund.error"
    add_event(event, "refund", refund.id, _refund_payload(payment, refund))
    if payment.citizen_id is not None:
        principal = actor_principal(actor, payment.department_code)
        record_access(
            Actor(principal, f"refund-{refund.id.hex[:16]}"),
            f"payment.refund_{to_state}",
            [payment.citizen_id],
        )
    if to_state == states.REFUND_SUCCESS:
        ledger.post_refund_succeeded(refund)


def apply_refund_update(
    refund_provider_reference: str, to_state: str, *, actor: str, occurred_at: datetime
) -> Refund:
    """Apply the provider's outcome of a refund, in one transaction of its own.

    Idempotent: the state the refund is already in changes nothing. A success posts the
    refund's (negative) journal entry.

    :raises NotFound: no refund has that provider reference.
    :raises ValidationError: ``to_state`` is not ``success`` or ``error``.
    :raises TransitionRefused: the refund already finished in the other state.
    """
    try:
        if to_state not in states.REFUND_FINISHED:
            raise ValidationError(
                f"a refund cannot become {to_state}", errors={"state": ["success or error"]}
            )
        payment_id = db.session.execute(
            select(Refund.payment_id).where(Refund.provider_reference == refund_provider_reference)
        ).scalar_one_or_none()
        if payment_id is None:
            raise NotFound(f"no refund with provider reference {refund_provider_reference}")
        # The payment's lock first, as every refund write takes it: no deadlock between them.
        payment = locked_payment(id=payment_id)
        refund = db.session.execute(
            select(Refund)
            .where(Refund.provider_reference == refund_provider_reference)
            .execution_options(populate_existing=True)
        ).scalar_one()
        if refund.state == to_state:
            db.session.commit()
            return refund
        _settle(payment, refund, to_state, actor=actor, occurred_at=occurred_at)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return refund
