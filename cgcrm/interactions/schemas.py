"""Request and response shapes of interactions."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from cgcrm.catalog.schemas import DEPARTMENT_CODE, KNOWN_DEPARTMENT, KNOWN_SERVICE, SERVICE_CODE
from cgcrm.citizens.references import citizen_reference_problem
from cgcrm.core.channels import CHANNEL_CODES
from cgcrm.core.fields import BoundedDateTime, Cursor, Text
from cgcrm.core.references import ReferenceChecks
from cgcrm.core.time_bounds import span_problem
from cgcrm.interactions.models import DIRECTIONS, OUTCOMES, TRANSACTION_STAGES


class InteractionCreateSchema(ReferenceChecks):
    reference_checks = {"citizen_id": citizen_reference_problem}

    citizen_id = fields.UUID(
        load_default=None, allow_none=True, metadata={"description": "Omit for anonymous contacts."}
    )
    case_id = fields.UUID(load_default=None, allow_none=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNEL_CODES))
    service_code = fields.String(load_default=None, allow_none=True, validate=KNOWN_SERVICE)
    department_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=KNOWN_DEPARTMENT,
        metadata={
            "description": "The department that handled the contact; defaults to the caller's "
            "own. Another department's code needs the cross_department scope."
        },
    )
    direction = fields.String(load_default="inbound", validate=validate.OneOf(DIRECTIONS))
    started_at = BoundedDateTime(required=True, contact=True)
    ended_at = BoundedDateTime(load_default=None, allow_none=True, contact=True)
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    transaction_stage = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(TRANSACTION_STAGES),
        metadata={"description": "started or completed: what completion rates are built on."},
    )
    transaction_ref = Text(
        load_default=None,
        allow_none=True,
        max_length=100,
        metadata={
            "description": "Your reference of one transaction of the service (needs "
            "service_code). A completed contact with the ref of an earlier started one "
            "completes that transaction; without a matching start it is a transaction started "
            "and completed in one contact; repeats count nothing more."
        },
    )
    summary = Text(load_default=None, allow_none=True, max_length=500, multiline=True)

    @validates_schema(skip_on_field_errors=False)
    def _period(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("started_at"), data.get("ended_at")
        problem = span_problem(start, end) if start and end else None
        if problem:
            raise ValidationError({"ended_at": [problem.replace("the start", "started_at")]})

    @validates_schema(skip_on_field_errors=False)
    def _transaction_of_a_service(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("transaction_ref") and not data.get("service_code"):
            raise ValidationError(
                {"service_code": ["required with transaction_ref: a transaction is of a service"]}
            )


class InteractionSchema(Schema):
    id = fields.UUID()
    citizen_id = fields.UUID(allow_none=True)
    case_id = fields.UUID(allow_none=True)
    channel = fields.String(attribute="channel_code")
    service_code = fields.String(allow_none=True)
    department_code = fields.String()
    direction = fields.String()
    started_at = fields.AwareDateTime()
    ended_at = fields.AwareDateTime(allow_none=True)
    handling_seconds = fields.Integer(allow_none=True)
    outcome = fields.String()
    transaction_stage = fields.String(allow_none=True)
    transaction_ref = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.AwareDateTime()


class InteractionQuerySchema(Schema):
    citizen_id = fields.UUID()
    case_id = fields.UUID()
    service_code = fields.String(validate=SERVICE_CODE)
    channel = fields.String(validate=validate.OneOf(CHANNEL_CODES))
    department_code = fields.String(validate=DEPARTMENT_CODE)
    started_from = BoundedDateTime(metadata={"description": "Inclusive."})
    started_before = BoundedDateTime(metadata={"description": "Exclusive."})
    cursor = Cursor()
    limit = fields.Integer(validate=validate.Range(min=1, max=200))

    @validates_schema(skip_on_field_errors=False)
    def _period(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("started_from"), data.get("started_before")
        if start and end and end <= start:
            raise ValidationError({"started_before": ["must be after started_from"]})
