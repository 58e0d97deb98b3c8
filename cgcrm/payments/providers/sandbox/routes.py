"""``POST /api/v1/payments/<id>/card``: staff key in the card of a phone (MOTO) payment."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from cgcrm.core import scopes
from cgcrm.core.fields import FullMatch, Text
from cgcrm.core.openapi import Blueprint
from cgcrm.identity.guard import current_actor, requires
from cgcrm.payments.providers.sandbox import moto
from cgcrm.payments.schemas import PaymentSchema

blp = Blueprint(
    "sandbox_moto",
    __name__,
    url_prefix="/api/v1/payments",
    description="Card details of phone payments (MOTO), keyed by staff into the sandbox gateway.",
)


class MotoCardSchema(Schema):
    """The card as the caller read it out; the number and code are never stored."""

    card_number = fields.String(
        required=True,
        validate=FullMatch(r"^[0-9 -]{12,23}$"),
        metadata={
            "description": "The long number, digits (spaces or hyphens allowed).",
            "example": "4444 3333 2222 1111",
        },
    )
    expiry = fields.String(
        required=True,
        validate=FullMatch(r"^[0-9]{1,2} ?[/.-]? ?([0-9]{2}|[0-9]{4})$"),
        metadata={"description": "MM/YY", "example": "03/29"},
    )
    cardholder_name = Text(required=True, min_length=1, max_length=100)
    cvc = fields.String(
        validate=FullMatch(r"^[0-9]{3,4}$"),
        metadata={"description": "The card security code; may be left out for MOTO."},
    )


@blp.route("/<uuid:payment_id>/card")
class PaymentCardView(MethodView):
    @requires(scopes.PAYMENTS_WRITE)
    @blp.arguments(MotoCardSchema)
    @blp.response(202, PaymentSchema)
    @blp.alt_response(409, description="Not a sandbox phone payment, or no longer open for a card.")
    def post(self, data: dict[str, Any], payment_id: uuid.UUID) -> Any:
        """Key in the card of a phone payment: it is submitted, and authorised in the background."""
        return moto.key_moto_card(current_actor(), payment_id, data)
