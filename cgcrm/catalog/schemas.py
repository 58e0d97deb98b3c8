"""Catalog request and response shapes."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from cgcrm.catalog.codes import catalog_codes
from cgcrm.catalog.models import DEFAULT_SURVEY_SAMPLING_RATE
from cgcrm.core.channels import CHANNEL_CODES
from cgcrm.core.fields import BoundedDict, Cursor, FullMatch, Text, WholeNumber

DEPARTMENT_PATTERN = r"^[A-Z][A-Z0-9_]{1,31}$"
SERVICE_PATTERN = r"^[A-Z][A-Z0-9-]{1,39}$"
DEPARTMENT_EXAMPLE = "e.g. RATES or WASTE_ENV"
SERVICE_EXAMPLE = "e.g. RATES-PAY"
DEPARTMENT_CODE = FullMatch(DEPARTMENT_PATTERN, error=DEPARTMENT_EXAMPLE)
SERVICE_CODE = FullMatch(SERVICE_PATTERN, error=SERVICE_EXAMPLE)


class KnownCode(FullMatch):
    """A catalog code in the right shape that names an existing service or department.

    Checked against the cached catalog (``cgcrm.catalog.codes``) while the schema loads, so an
    unknown code is reported in the same 422 as every other mistake of the request.
    """

    def __init__(self, kind: str) -> None:
        pattern, example = {
            "service": (SERVICE_PATTERN, SERVICE_EXAMPLE),
            "department": (DEPARTMENT_PATTERN, DEPARTMENT_EXAMPLE),
        }[kind]
        super().__init__(pattern, error=example)
        self.kind = kind

    def __call__(self, value: Any) -> Any:
        super().__call__(value)
        if self.kind == "service":
            found: object = catalog_codes.service_by_code(value)
        else:
            found = catalog_codes.department_by_code(value)
        if found is None:
            raise ValidationError(f"unknown {self.kind}")
        return value


class SamplingRate(fields.Float):
    """A JSON number from 0 to 1: the share of contacts sampled. Not a string, not a boolean
    (the document says ``number``), not NaN or infinite."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(min=0, max=1), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


SURVEY_SAMPLING = {
    "description": "Share of the service's eligible contacts whose citizen is invited to a "
    "satisfaction survey, from 0 (never) to 1 (every one); 0.2 when not given. Which contacts "
    "is decided by a hash of each contact's id, so the share holds over many contacts."
}
KNOWN_SERVICE = KnownCode("service")
KNOWN_DEPARTMENT = KnownCode("department")
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


class _UnitCosts(BoundedDict):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_items=len(CHANNEL_CODES),
            keys=fields.String(validate=validate.OneOf(CHANNEL_CODES)),
            values=WholeNumber(validate=MINOR_UNITS),
            **kwargs,
        )


class IdentifierSystemSchema(Schema):
    code = fields.String(
        required=True, validate=FullMatch(r"^[A-Z][A-Z0-9_]{1,39}$", error="e.g. RATES_ACCOUNT")
    )
    name = Text(required=True, min_length=1, max_length=200)
    department = fields.String(required=True, validate=DEPARTMENT_CODE)


class ServiceSchema(Schema):
    id = fields.UUID(dump_only=True)
    code = fields.String(required=True, validate=SERVICE_CODE)
    name = Text(required=True, min_length=1, max_length=200)
    description = Text(load_default="", max_length=2000, multiline=True)
    department = fields.String(
        required=True, validate=KNOWN_DEPARTMENT, attribute="department_code"
    )
    sla_target_days = WholeNumber(required=True, validate=validate.Range(min=0, max=365))
    fee_minor = WholeNumber(load_default=0, validate=MINOR_UNITS)
    currency = fields.String(load_default="AUD", validate=FullMatch(r"^[A-Z]{3}$"))
    unit_costs_minor = _UnitCosts(load_default=dict)
    survey_sampling_rate = SamplingRate(
        load_default=DEFAULT_SURVEY_SAMPLING_RATE, metadata=SURVEY_SAMPLING
    )
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
    survey_sampling_rate = SamplingRate(metadata=SURVEY_SAMPLING)


class ServiceQuerySchema(Schema):
    department = fields.String(validate=DEPARTMENT_CODE)
    cursor = Cursor()
    limit = fields.Integer(validate=validate.Range(min=1, max=200))
