"""Catalog request and response shapes."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from cgcrm.core.channels import CHANNEL_CODES
from cgcrm.core.fields import FullMatch, Text, WholeNumber

DEPARTMENT_CODE = FullMatch(r"^[A-Z][A-Z0-9_]{1,31}$", error="e.g. RATES or WASTE_ENV")
SERVICE_CODE = FullMatch(r"^[A-Z][A-Z0-9-]{1,39}$", error="e.g. RATES-PAY")
MINOR_UNITS = validate.Range(min=0, max=100_000_000)


class DepartmentSchema(Schema):
    id = fields.UUID(dump_only=True)
    code = fields.String(required=True, validate=DEPARTMENT_CODE)
    name = Text(required=True, min_length=1, max_length=200)
    version = fields.Integer(dump_only=True)


class DepartmentPatchSchema(Schema):
    name = Text(min_length=1, max_length=200)


class ChannelSchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()


class _UnitCosts(fields.Dict):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            keys=fields.String(validate=validate.OneOf(CHANNEL_CODES)),
            values=WholeNumber(validate=MINOR_UNITS),
            **kwargs,
        )


class ServiceSchema(Schema):
    id = fields.UUID(dump_only=True)
    code = fields.String(required=True, validate=SERVICE_CODE)
    name = Text(required=True, min_length=1, max_length=200)
    description = Text(load_default="", max_length=2000, multiline=True)
    department = fields.String(required=True, validate=DEPARTMENT_CODE, attribute="department_code")
    sla_target_days = WholeNumber(required=True, validate=validate.Range(min=0, max=365))
    fee_minor = WholeNumber(load_default=0, validate=MINOR_UNITS)
    currency = fields.String(load_default="AUD", validate=FullMatch(r"^[A-Z]{3}$"))
    unit_costs_minor = _UnitCosts(load_default=dict)
    version = fields.Integer(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class ServicePatchSchema(Schema):
    name = Text(min_length=1, max_length=200)
    description = Text(max_length=2000, multiline=True)
    sla_target_days = WholeNumber(validate=validate.Range(min=0, max=365))
    fee_minor = WholeNumber(validate=MINOR_UNITS)
    currency = fields.String(validate=FullMatch(r"^[A-Z]{3}$"))
    unit_costs_minor = _UnitCosts()


class ServiceQuerySchema(Schema):
    department = fields.String(validate=DEPARTMENT_CODE)
    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(validate=validate.Range(min=1, max=200))
