"""Rules of the payment service: taking, capturing, cancelling and refunding payments. Each
public function is one transaction; none touches Flask's request. Providers (and the
notification endpoint) report outcomes through ``apply_provider_update`` and
``apply_refund_update``; the reads live in ``cgcrm.payments.reading`` and are named here too,
so the routes call one module."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import Row, Select, bindparam, literal, select

from cgcrm.catalog.codes import catalog_codes
from cgcrm.catalog.models import Service
from cgcrm.citizens.models import Citizen
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import Conflict, FieldErrors, ValidationError
from cgcrm.core.idempotency import Prefetch
from cgcrm.core.ids import new_id
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.interactions import case_links
from cgcrm.payments import references, states
from cgcrm.payments.models import Payment, Refund
from cgcrm.payments.providers import default_provider_name, provider_for
from cgcrm.payments.providers.base import PaymentProvider
from cgcrm.payments.reading import (
    citizen_payments,
    get_payment,
    get_refund,
    list_payments,
    list_refunds,
    payment_events,
    refund_summaries,
    visible_payment,
)
from cgcrm.payments.refunds import (
    apply_refund_update,
    submit_refund,
    summarise,
)
from cgcrm.payments.settled import insert_payment, write_settled
from cgcrm.payments.transitions import (
    apply_provider_update,
    call_provider,
    event_payload,
    finish,
    move,
    record_history,
)
from cgcrm.payments.views import PaymentView

__all__ = [
    "apply_provider_update",
    "apply_refund_update",
    "cancel_payment",
    "capture_payment",
    "citizen_payments",
    "create_payment",
    "create_refund",
    "get_payment",
    "get_refund",
    "list_payments",
    "list_refunds",
    "payment_events",
    "refund_summaries",
]

BeforeCommit = Callable[[PaymentView], None]


@cache
def _look_up_statement() -> Select[Any]:
    """The service (code, name, fee, currency, department) and the citizen (status, merged
    into) a payment names, in one round trip: each row is NULL when unknown."""
    services, citizens = Service.__table__, Citizen.__table__
    one = select(literal(1).label("one")).subquery()
    return select(
        services.c.code,
        services.c.name,
        services.c.fee_minor,
        services.c.currency,
        services.c.department_id,
        citizens.c.id.label("citizen_id"),
        citizens.c.status.label("citizen_status"),
        citizens.c.merged_into_id,
    ).select_from(
        one.outerjoin(services, services.c.code == bindparam("service_code")).outerjoin(
            citizens, citizens.c.id == bindparam("citizen_id", type_=citizens.c.id.type)
        )
    )


# The same read as plain SQL, for the Idempotency-Key's claim to do in its round trip
# (``cgcrm.core.idempotency.Prefetch``): the column names are the ones the checks below read.
_LOOK_UP_SQL = (
    "SELECT services.code, services.name, services.fee_minor, services.currency,"
    " services.department_id, citizens.id AS citizen_id, citizens.status AS citizen_status,"
    " citizens.merged_into_id FROM (SELECT 1) AS one"
    " LEFT JOIN services ON services.code = :service_code"
    " LEFT JOIN citizens ON citizens.id = :citizen_id"
)


def look_up_with_claim(data: dict[str, Any]) -> Prefetch:
    """The service and citizen a create names, to be read in its Idempotency-Key's claim."""
    return Prefetch(
        _LOOK_UP_SQL, {"service_code": data["service_code"], "citizen_id": data.get("citizen_id")}
    )


def _look_up(code: str, citizen_id: uuid.UUID | None) -> Row[Any]:
    """Read in the transaction (Core, no ORM load), so a changed fee counts at once."""
    return db.session.execute(
        _look_up_statement(), {"service_code": code, "citizen_id": citizen_id}
    ).one()


def _service(found: Row[Any], code: str) -> Row[Any]:
    if found.code is None:
        raise ValidationError(
            f"no service with code {code}", errors={"service_code": ["unknown service"]}
        )
    return found


def _department_code(actor: Actor, service: Row[Any] | None) -> str:
    """The department taking the payment: the caller's, or the service's for a principal
    without one (it sees and refunds the payment, like the contacts it records)."""
    if actor.principal.department_code:
        return actor.principal.department_code
    if service is None:
        raise ValidationError("unknown service", errors={"service_code": ["unknown service"]})
    department = catalog_codes.department_by_id(service.department_id)
    if department is None:  # pragma: no cover - a service always has its department
        raise ValidationError("the service has no department")
    return department.code


def _check_citizen(found: Row[Any], citizen_id: uuid.UUID) -> None:
    if found.citizen_id is None:
        raise ValidationError(
            f"no citizen with id {citizen_id}", errors={"citizen_id": ["unknown citizen"]}
        )
    if found.citizen_status == "merged":
        raise Conflict(
            f"citizen {citizen_id} was merged into {found.merged_into_id}; take the payment "
            "against that",
            merged_into=str(found.merged_into_id),
        )


def _amount(data: dict[str, Any], service: Row[Any] | None) -> tuple[int, str] | None:
    """The amount (the service's fee unless given) and currency (the service's) to take."""
    if service is None:
        return None
    amount = data.get("amount")
    if amount is None:
        amount = service.fee_minor
        if amount <= 0:
            raise ValidationError(
                f"service {service.code} has no fee; give the amount",
                errors={"amount": ["required: the service has no fee"]},
            )
    currency = data.get("currency") or service.currency
    if currency != service.currency:
        raise ValidationError(
            f"service {service.code} takes payments in {service.currency}",
            errors={"currency": [f"must be {service.currency}"]},
        )
    return amount, currency


def _provider(data: dict[str, Any]) -> tuple[str, PaymentProvider]:
    channel = data["channel"]
    name = data.get("provider") or default_provider_name(channel)
    provider = provider_for(name)
    if channel not in provider.channels:
        raise ValidationError(
            f"provider {name} does not take payments on channel {channel}",
            errors={"provider": [f"not available on {channel}"]},
        )
    return name, provider


def create_payment(
    actor: Actor,
    data: dict[str, Any],
    before_commit: BeforeCommit | None = None,
    found: Row[Any] | None = None,
) -> PaymentView:
    """Create a payment and start it with its provider, with its ``payment.created`` event.

    A provider that settles at once (cash at a counter) answers with the state the payment is
    already in; the payment then moves there in the same transaction (a success posts its
    journal entry and its completed contact).

    :param data: validated ``PaymentCreateSchema`` output.
    :param before_commit: runs inside the transaction (the idempotent response is stored there).
    :param found: the service and citizen already read in this transaction
        (``look_up_with_claim``); read here when None.
    :raises ValidationError: unknown service, citizen, case or provider, no amount, another
        currency than the service's, no return_url on the web: every such mistake at once.
    :raises Conflict: the citizen's record was merged into another.
    """
    try:
        errors = FieldErrors()
        citizen_id = data.get("citizen_id")
        if found is None:
            found = _look_up(data["service_code"], citizen_id)
        service = errors.check(lambda: _service(found, data["service_code"]))
        priced = errors.check(lambda: _amount(data, service))
        chosen = errors.check(lambda: _provider(data))
        if data["channel"] == "web" and not data.get("return_url"):
            errors.add("return_url", "required for a web payment")
        if citizen_id is not None:
            errors.check(lambda: _check_citizen(found, citizen_id))
        if data.get("case_id") is not None:
            errors.check(lambda: case_links.check_case(actor, data["case_id"], citizen_id))
        department_code = errors.check(lambda: _department_code(actor, service))
        errors.raise_if_any()
        amount, currency = priced
        provider_name, provider = chosen
        now = utcnow()
        minutes = int(current_app.config["PAYMENT_EXPIRY_MINUTES"])
        payment = Payment(
            id=new_id(),
            reference=references.new_reference(),
            service_reference=data.get("reference"),
            service_code=service.code,
            department_code=department_code,
            citizen_id=citizen_id,
            case_id=data.get("case_id"),
            channel=data["channel"],
            provider=provider_name,
            amount_minor=amount,
            currency=currency,
            description=data.get("description") or service.name,
            return_url=data.get("return_url") if data["channel"] == "web" else None,
            state=states.CREATED,
            finished=False,
            moto=data["channel"] == "phone",
            delayed_capture=bool(data.get("delayed_capture")),
            till_reference=data.get("till_reference"),
            provider_data={},
            created_by=actor.principal.ref,
            created_at=now,
            updated_at=now,
            expires_at=now + timedelta(minutes=minutes),
            version=1,
        )
        # The provider first, so the INSERT carries what it set (its reference, the card
        # page): no UPDATE of the new row before its first move. The row is written by a
        # Core INSERT (``cgcrm.payments.settled``), not the session's unit of work: the
        # payment stays out of the session, nothing reads it back in this transaction.
        outcome = call_provider(provider_name, "start the payment", lambda: provider.start(payment))
        if outcome.next_url:
            payment.provider_data = {**(payment.provider_data or {}), "next_url": outcome.next_url}
        created_step: dict[str, Any] = {
            "actor": actor.principal.ref,
            "occurred_at": now,
            "detail": {"request_id": actor.request_id},
            "outbox": "payment.created",
            "audit": (actor, "payment.created"),
            "payload": event_payload(payment),
        }

        succeeded = False
        if outcome.state and outcome.state != payment.state:
            # Settled at once (cash): the new row is written in its final state with its
            # creation, the move and the journal entry (one statement).
            write_settled(
                payment,
                outcome.state,
                actor=f"provider:{provider_name}",
                occurred_at=now,
                created=created_step,
            )
            succeeded = payment.state == states.SUCCESS
        else:
            insert_payment(payment)
            record_history(payment, None, states.CREATED, **created_step)
        view = PaymentView(payment, summarise(payment, 0))
        finish(
            payment,
            actor=f"provider:{provider_name}",
            succeeded=succeeded,
            hook=(lambda _: before_commit(view)) if before_commit else None,
            # Checked above in this transaction, and the contact's INSERT checks it again.
            citizen_current=True,
        )
    except Exception:
        db.session.rollback()
        raise
    return view


def capture_payment(actor: Actor, payment_id: uuid.UUID) -> PaymentView:
    """Capture a payment authorised with delayed capture: the provider takes the money and the
    payment succeeds (journal entry, completed contact, ``payment.succeeded``).

    :raises NotFound: no such payment the caller may see.
    :raises Conflict: the payment is not ``capturable``.
    """
    try:
        payment = visible_payment(actor, payment_id, lock=True)
        if payment.state != states.CAPTURABLE:
            raise Conflict(
                f"payment {payment.reference} is {payment.state}; only a capturable payment "
                "can be captured",
                state=payment.state,
            )
        provider = provider_for(payment.provider)
        call_provider(payment.provider, "capture", lambda: provider.capture(payment))
        move(payment, states.SUCCESS, actor=actor.principal.ref, occurred_at=utcnow())
        finish(payment, actor=actor.principal.ref, succeeded=True)
    except Exception:
        db.session.rollback()
        raise
    return PaymentView(payment, summarise(payment, 0))


def cancel_payment(actor: Actor, payment_id: uuid.UUID) -> PaymentView:
    """Cancel a payment the payer has not yet submitted (``cancelled``, P0040).

    :raises NotFound: no such payment the caller may see.
    :raises Conflict: the payment was submitted or has finished.
    """
    try:
        payment = visible_payment(actor, payment_id, lock=True)
        if payment.state not in states.CANCELLABLE:
            raise Conflict(
                f"payment {payment.reference} is {payment.state}; only a payment not yet "
                "submitted can be cancelled",
                state=payment.state,
            )
        provider = provider_for(payment.provider)
        call_provider(payment.provider, "cancel", lambda: provider.cancel(payment))
        move(
            payment,
            states.CANCELLED,
            actor=actor.principal.ref,
            occurred_at=utcnow(),
            code=states.CANCELLED_BY_SERVICE,
        )
        finish(payment, actor=actor.principal.ref, succeeded=False)
    except Exception:
        db.session.rollback()
        raise
    return PaymentView(payment, summarise(payment))


def create_refund(
    actor: Actor,
    payment_id: uuid.UUID,
    data: dict[str, Any],
    before_commit: Callable[[Refund], None] | None = None,
) -> Refund:
    """Refund part or all of a successful payment; the provider's outcome arrives later.

    The payment's row is locked for the transaction, so concurrent refunds of one payment
    are taken one after the other, each against what the previous left available.

    :param data: ``amount`` and ``refund_amount_available`` (minor units).
    :raises NotFound: no such payment the caller may see.
    :raises Conflict: the payment has not succeeded.
    :raises PreconditionFailed: ``refund_amount_available`` is not the current amount.
    :raises ValidationError: the amount exceeds what is available.
    """
    try:
        payment = visible_payment(actor, payment_id, lock=True)
        refund = submit_refund(actor, payment, data["amount"], data["refund_amount_available"])
        if before_commit:
            before_commit(refund)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return refund
