"""Request and response shapes of payments and refunds, modelled on GOV.UK Pay's API."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from cgcrm.catalog.schemas import KNOWN_SERVICE, SERVICE_CODE
from cgcrm.citizens.references import citizen_reference_problem
from cgcrm.core.fields import BoundedDateTime, Cursor, FullMatch, JsonBoolean, Text, WholeNumber
from cgcrm.core.references import ReferenceChecks
from cgcrm.payments import states

# GOV.UK Pay takes at most £100,000 in one payment; the same bound in minor units.
AMOUNT = validate.Range(min=1, max=10_000_000)
CURRENCY = FullMatch(r"^[A-Z]{3}$", error="an ISO 4217 code such as AUD")
PROVIDER = FullMatch(r"^[a-z][a-z0-9_]{0,39}$", error="a provider name such as sandbox")
# The whole rule is the pattern, so the document states exactly what is taken.
RETURN_URL = FullMatch(
    r"^https?://[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?(?::[0-9]{1,5})?(?:/[!-~]{0,1700})?$",
    error="an http(s) URL of printable ASCII, at most 2000 characters",
)


class PaymentCreateSchema(ReferenceChecks):
    reference_checks = {"citizen_id": citizen_reference_problem}

    service_code = fields.String(required=True, validate=KNOWN_SERVICE)
    channel = fields.String(
        required=True,
        validate=validate.OneOf(states.CHANNELS),
        metadata={
            "description": "web (hosted card page), phone (MOTO: staff enter the card), "
            "counter (cash or card present)."
        },
    )
    amount = WholeNumber(
        load_default=None,
        validate=AMOUNT,
        metadata={"description": "Minor units (cents, pence); defaults to the service's fee."},
    )
    currency = fields.String(
        load_default=None,
        validate=CURRENCY,
        metadata={"description": "Defaults to, and must be, the service's currency."},
    )
    reference = Text(
        load_default=None,
        allow_none=True,
        max_length=255,
        metadata={"description": "Your own reference for the payment (an invoice number)."},
    )
    description = Text(
        load_default=None,
        allow_none=True,
        max_length=255,
        metadata={"description": "What the payer sees they pay for; defaults to the service."},
    )
    citizen_id = fields.UUID(load_default=None, allow_none=True)
    case_id = fields.UUID(load_default=None, allow_none=True)
    return_url = fields.String(
        load_default=None,
        allow_none=True,
        validate=RETURN_URL,
        metadata={"description": "Required on the web: where the payer returns afterwards."},
    )
    provider = fields.String(
        load_default=None,
        allow_none=True,
        validate=PROVIDER,
        metadata={"description": "Defaults to the channel's provider (settings)."},
    )
    delayed_capture = JsonBoolean(
        load_default=False,
        metadata={"description": "Authorise only; take the money with POST …/capture."},
    )
    till_reference = Text(
        load_default=None,
        allow_none=True,
        max_length=100,
        metadata={"description": "The counter's till, for the daily cash-up."},
    )


class PaymentActionSchema(Schema):
    """Capture and cancel take no fields (send ``{}``)."""


class RefundCreateSchema(Schema):
    amount = WholeNumber(required=True, validate=AMOUNT)
    refund_amount_available = WholeNumber(
        required=True,
        validate=validate.Range(min=0, max=10_000_000),
        metadata={
            "description": "The refund_summary.amount_available you read: if another "
            "refund came first it no longer matches, and the answer is 412."
        },
    )


class PaymentQuerySchema(Schema):
    reference = Text(
        max_length=255,
        metadata={"description": "Our PAY- reference (any case, dashes optional) or yours."},
    )
    citizen_id = fields.UUID()
    service_code = fields.String(validate=SERVICE_CODE)
    state = fields.String(validate=validate.OneOf(states.STATES))
    channel = fields.String(validate=validate.OneOf(states.CHANNELS))
    provider = fields.String(validate=PROVIDER)
    created_from = BoundedDateTime(metadata={"description": "Inclusive."})
    created_before = BoundedDateTime(metadata={"description": "Exclusive."})
    cursor = Cursor()
    limit = fields.Integer(validate=validate.Range(min=1, max=200))

    @validates_schema(skip_on_field_errors=False)
    def _period(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("created_from"), data.get("created_before")
        if start and end and end <= start:
            raise ValidationError({"created_before": ["must be after created_from"]})


class PaymentStateSchema(Schema):
    status = fields.String(metadata={"description": " | ".join(states.STATES)})
    finished = fields.Boolean()
    code = fields.String(
        metadata={"description": "P0010 … P0050, when failed/cancelled/error", "x-optional": True}
    )
    message = fields.String(metadata={"x-optional": True})


class RefundSummarySchema(Schema):
    status = fields.String(metadata={"description": "pending | available | full | unavailable"})
    amount_available = fields.Integer()
    amount_submitted = fields.Integer()


class CardDetailsSchema(Schema):
    brand = fields.String()
    last4 = fields.String()
    expiry = fields.String(metadata={"description": "MM/YY"})


class PaymentSchema(Schema):
    payment_id = fields.UUID(attribute="id")
    payment_reference = fields.String(
        attribute="reference",
        metadata={"description": "Ours, with a check character: PAY-XXXX-XXXX-X."},
    )
    reference = fields.String(attribute="service_reference", allow_none=True)
    description = fields.String()
    amount = fields.Integer(attribute="amount_minor")
    currency = fields.String()
    state = fields.Nested(PaymentStateSchema, attribute="state_object")
    refund_summary = fields.Nested(RefundSummarySchema)
    card_details = fields.Nested(CardDetailsSchema, allow_none=True)
    next_url = fields.String(
        allow_none=True,
        metadata={"description": "The payer's page (web), until submitted or finished."},
    )
    service_code = fields.String()
    department_code = fields.String()
    citizen_id = fields.UUID(allow_none=True)
    case_id = fields.UUID(allow_none=True)
    channel = fields.String()
    moto = fields.Boolean()
    provider = fields.String()
    provider_id = fields.String(attribute="provider_reference", allow_none=True)
    delayed_capture = fields.Boolean()
    return_url = fields.String(allow_none=True)
    till_reference = fields.String(allow_none=True)
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    captured_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    version = fields.Integer()


class PaymentEventSchema(Schema):
    id = fields.Integer()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    code = fields.String(allow_none=True)
    actor = fields.String(metadata={"description": "client:…, user:…, provider:…, system:…"})
    detail = fields.Dict()
    occurred_at = fields.AwareDateTime()
    recorded_at = fields.AwareDateTime()


class RefundSchema(Schema):
    refund_id = fields.UUID(attribute="id")
    payment_id = fields.UUID()
    reference = fields.String()
    amount = fields.Integer(attribute="amount_minor")
    status = fields.String(
        attribute="state", metadata={"description": "submitted | success | error"}
    )
    provider_id = fields.String(attribute="provider_reference", allow_none=True)
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)
