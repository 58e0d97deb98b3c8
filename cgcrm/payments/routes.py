"""Payment endpoints: parse, authorise, call the service, serialise."""

from __future__ import annotations

import uuid
from typing import Any

from flask import request, url_for
from flask.views import MethodView

from cgcrm.core import scopes
from cgcrm.core.errors import MalformedRequest
from cgcrm.core.idempotent_route import run_idempotent
from cgcrm.core.openapi import Blueprint, accepts_headers
from cgcrm.core.pagination import (
    decode_cursor,
    moment_and_id,
    moment_and_id_key,
    next_link,
    page_limit,
)
from cgcrm.identity.guard import current_actor, requires
from cgcrm.payments import service
from cgcrm.payments.models import Refund
from cgcrm.payments.schemas import (
    PaymentActionSchema,
    PaymentCreateSchema,
    PaymentEventSchema,
    PaymentQuerySchema,
    PaymentSchema,
    RefundCreateSchema,
    RefundSchema,
)
from cgcrm.payments.views import PaymentView as ShownPayment

blp = Blueprint(
    "payments",
    __name__,
    url_prefix="/api/v1/payments",
    description="One way to take a fee on web, phone and counter, and to refund it.",
)


def _cursor_key(view: ShownPayment) -> str:
    return moment_and_id_key(view.payment.created_at, view.payment.id)


def _location(view: ShownPayment) -> dict[str, str]:
    return {"Location": url_for("payments.PaymentView", payment_id=view.payment.id)}


def _refund_location(refund: Refund) -> dict[str, str]:
    return {
        "Location": url_for(
            "payments.RefundView", payment_id=refund.payment_id, refund_id=refund.id
        )
    }


@blp.route("")
class PaymentsView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.arguments(PaymentQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, PaymentSchema(many=True))
    def get(self, cursor: str | None = None, limit: int | None = None, **filters: Any) -> Any:
        """List the payments you may see, newest first, by reference, citizen, service, state,
        channel or period."""
        size = page_limit(limit)
        views = service.list_payments(
            current_actor(), limit=size, after=decode_cursor(cursor, moment_and_id), **filters
        )
        link = next_link(views, size, key=_cursor_key)
        return views, ({"Link": link} if link else {})

    @requires(scopes.PAYMENTS_WRITE)
    @accepts_headers("Idempotency-Key")
    @blp.arguments(PaymentCreateSchema)
    @blp.response(201, PaymentSchema)
    @blp.alt_response(400, description="Idempotency-Key is missing: it is required here.")
    @blp.alt_response(409, description="The Idempotency-Key is in use by a running request.")
    def post(self, data: dict[str, Any]) -> Any:
        """Create a payment (Idempotency-Key required); on the web, send the payer to next_url."""
        if not request.headers.get("Idempotency-Key"):
            raise MalformedRequest(
                "creating a payment needs an Idempotency-Key header, so a retry never "
                "charges twice",
                errors={"Idempotency-Key": ["required"]},
            )
        actor = current_actor()
        found = service.look_up_with_claim(data)
        return run_idempotent(
            actor,
            data,
            lambda hook: service.create_payment(actor, data, before_commit=hook, found=found.row),
            PaymentSchema,
            _location,
            prefetch=found,
        )


@blp.route("/<uuid:payment_id>")
class PaymentView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.response(200, PaymentSchema)
    def get(self, payment_id: uuid.UUID) -> Any:
        """Read one payment, with its state and refund summary."""
        return service.get_payment(current_actor(), payment_id)


@blp.route("/<uuid:payment_id>/events")
class PaymentEventsView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.response(200, PaymentEventSchema(many=True))
    def get(self, payment_id: uuid.UUID) -> Any:
        """The whole history of a payment: every state it went through, who moved it, when."""
        return service.payment_events(current_actor(), payment_id)


@blp.route("/<uuid:payment_id>/capture")
class PaymentCaptureView(MethodView):
    @requires(scopes.PAYMENTS_WRITE)
    @blp.arguments(PaymentActionSchema)
    @blp.response(200, PaymentSchema)
    @blp.doc(operationId="capturePayment")
    @blp.alt_response(409, description="The payment is not capturable.")
    def post(self, _: dict[str, Any], payment_id: uuid.UUID) -> Any:
        """Take the money of a payment authorised with delayed capture."""
        return service.capture_payment(current_actor(), payment_id)


@blp.route("/<uuid:payment_id>/cancel")
class PaymentCancelView(MethodView):
    @requires(scopes.PAYMENTS_WRITE)
    @blp.arguments(PaymentActionSchema)
    @blp.response(200, PaymentSchema)
    @blp.doc(operationId="cancelPayment")
    @blp.alt_response(409, description="The payer has submitted it already, or it finished.")
    def post(self, _: dict[str, Any], payment_id: uuid.UUID) -> Any:
        """Cancel a payment the payer has not submitted yet (cancelled, P0040)."""
        return service.cancel_payment(current_actor(), payment_id)


@blp.route("/<uuid:payment_id>/refunds")
class RefundsView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.response(200, RefundSchema(many=True))
    def get(self, payment_id: uuid.UUID) -> Any:
        """Every refund of a payment, oldest first."""
        return service.list_refunds(current_actor(), payment_id)

    @requires(scopes.PAYMENTS_WRITE)
    @accepts_headers("Idempotency-Key")
    @blp.arguments(RefundCreateSchema)
    @blp.response(202, RefundSchema)
    @blp.alt_response(409, description="The payment has not succeeded, or the key is in use.")
    @blp.alt_response(412, description="refund_amount_available is not the current amount.")
    def post(self, data: dict[str, Any], payment_id: uuid.UUID) -> Any:
        """Refund part or all of a payment; the provider's outcome follows (status)."""
        actor = current_actor()
        return run_idempotent(
            actor,
            data,
            lambda hook: service.create_refund(actor, payment_id, data, before_commit=hook),
            RefundSchema,
            _refund_location,
            status=202,
        )


@blp.route("/<uuid:payment_id>/refunds/<uuid:refund_id>")
class RefundView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.response(200, RefundSchema)
    def get(self, payment_id: uuid.UUID, refund_id: uuid.UUID) -> Any:
        """Read one refund."""
        return service.get_refund(current_actor(), payment_id, refund_id)
