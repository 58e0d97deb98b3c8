"""Request and response shapes of the citizen record."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from cgcrm.core.channels import CHANNEL_CODES
from cgcrm.core.fields import FullMatch, Text

ACCESSIBILITY_NEEDS = (
    "large_print",
    "braille",
    "easy_read",
    "interpreter",
    "sign_language",
    "hearing_loop",
    "wheelchair_access",
    "screen_reader",
    "assisted_digital",
)
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
IDENTIFIER_SYSTEM = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")
PURPOSE = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
EARLIEST_BIRTH = dt.date(1880, 1, 1)


def _not_in_future(value: dt.date | None) -> None:
    if value is not None and value > dt.date.today():
        raise ValidationError("must not be in the future")


def _check_period(data: dict[str, Any]) -> None:
    start, end = data.get("valid_from"), data.get("valid_to")
    if start and end and end < start:
        raise ValidationError({"valid_to": ["must not be before valid_from"]})


class PreviousNameSchema(Schema):
    given_name = Text(required=True, min_length=1, max_length=100)
    family_name = Text(required=True, min_length=1, max_length=100)
    valid_from = fields.Date(load_default=None, allow_none=True)
    valid_to = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _period(self, data: dict[str, Any], **kwargs: Any) -> None:
        _check_period(data)


class ContactPointInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("email", "phone")))
    value = Text(required=True, min_length=1, max_length=254)
    is_primary = fields.Boolean(load_default=False)


class ContactPointSchema(Schema):
    id = fields.UUID(dump_only=True)
    kind = fields.String()
    value = fields.String()
    is_primary = fields.Boolean()


class AddressInSchema(Schema):
    line1 = Text(required=True, min_length=1, max_length=200)
    line2 = Text(load_default=None, allow_none=True, max_length=200)
    locality = Text(required=True, min_length=1, max_length=100)
    region = Text(load_default=None, allow_none=True, max_length=100)
    postcode = Text(load_default=None, allow_none=True, max_length=20)
    country = fields.String(load_default=None, allow_none=True, validate=FullMatch(r"^[A-Z]{2}$"))
    valid_from = fields.Date(load_default=None, allow_none=True)
    valid_to = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _period(self, data: dict[str, Any], **kwargs: Any) -> None:
        _check_period(data)


class AddressSchema(AddressInSchema):
    id = fields.UUID(dump_only=True)
    current = fields.Method("_is_current", dump_only=True)

    def _is_current(self, address: Any) -> bool:
        return address.valid_to is None or address.valid_to >= dt.date.today()


class IdentifierSchema(Schema):
    system = fields.String(
        required=True,
        validate=FullMatch(IDENTIFIER_SYSTEM, error="upper-case letters, digits and _"),
    )
    value = Text(required=True, min_length=1, max_length=100)


class PreferencesSchema(Schema):
    preferred_channel = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(CHANNEL_CODES)
    )
    language = fields.String(
        load_default=None,
        allow_none=True,
        validate=[
            validate.Length(max=35),
            FullMatch(LANGUAGE_TAG, error="a BCP 47 tag such as en or zh-Hant"),
        ],
    )
    accessibility_needs = fields.List(
        fields.String(validate=validate.OneOf(ACCESSIBILITY_NEEDS)),
        load_default=list,
        validate=validate.Length(max=len(ACCESSIBILITY_NEEDS)),
    )


class ConsentInSchema(Schema):
    purpose = fields.String(
        required=True, validate=FullMatch(PURPOSE, error="a snake_case purpose code")
    )
    granted = fields.Boolean(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNEL_CODES))
    note = Text(load_default=None, allow_none=True, max_length=500)


class ConsentSchema(Schema):
    id = fields.UUID()
    purpose = fields.String()
    status = fields.String()
    recorded_at = fields.AwareDateTime()
    channel = fields.String()
    recorded_by = fields.String()
    note = fields.String(allow_none=True)


class _CitizenFields(Schema):
    given_name = Text(min_length=1, max_length=100)
    middle_names = Text(allow_none=True, max_length=200)
    family_name = Text(min_length=1, max_length=100)
    preferred_name = Text(allow_none=True, max_length=100)
    date_of_birth = fields.Date(allow_none=True)
    previous_names = fields.List(
        fields.Nested(PreviousNameSchema), validate=validate.Length(max=20)
    )
    contact_points = fields.List(
        fields.Nested(ContactPointInSchema), validate=validate.Length(max=20)
    )
    addresses = fields.List(fields.Nested(AddressInSchema), validate=validate.Length(max=20))
    identifiers = fields.List(fields.Nested(IdentifierSchema), validate=validate.Length(max=20))
    preferences = fields.Nested(PreferencesSchema)

    @validates("date_of_birth")
    def _birth(self, value: dt.date | None, **kwargs: Any) -> None:
        _not_in_future(value)
        if value is not None and value < EARLIEST_BIRTH:
            raise ValidationError(f"must not be before {EARLIEST_BIRTH.isoformat()}")


class CitizenCreateSchema(_CitizenFields):
    """A new citizen. Unknown fields, including id, status and version, are refused."""

    given_name = Text(required=True, min_length=1, max_length=100)
    family_name = Text(required=True, min_length=1, max_length=100)
    consents = fields.List(fields.Nested(ConsentInSchema), validate=validate.Length(max=20))


class CitizenPatchSchema(_CitizenFields):
    """Changes to a citizen. Lists given here replace the stored list."""


class CitizenSchema(Schema):
    id = fields.UUID()
    status = fields.String()
    given_name = fields.String()
    middle_names = fields.String(allow_none=True)
    family_name = fields.String()
    preferred_name = fields.String(allow_none=True)
    date_of_birth = fields.Date(allow_none=True)
    date_of_death = fields.Date(allow_none=True)
    previous_names = fields.List(fields.Nested(PreviousNameSchema))
    contact_points = fields.List(fields.Nested(ContactPointSchema))
    addresses = fields.List(fields.Nested(AddressSchema))
    identifiers = fields.Method("_identifiers")
    preferences = fields.Nested(PreferencesSchema)
    consents = fields.List(fields.Nested(ConsentSchema), attribute="current_consents")
    merged_into = fields.UUID(attribute="merged_into_id", allow_none=True)
    version = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()

    def _identifiers(self, citizen: Any) -> list[dict[str, str]]:
        from cgcrm.citizens.service import reveal_identifiers

        return reveal_identifiers(citizen)


class CitizenQuerySchema(Schema):
    identifier = fields.String(
        validate=FullMatch(r"^[A-Z][A-Z0-9_]{1,39}:.{1,100}$", error="SYSTEM:VALUE")
    )
    status = fields.String(validate=validate.OneOf(("active", "merged", "deceased")))
    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(validate=validate.Range(min=1, max=200))


class CitizenSearchQuerySchema(Schema):
    q = Text(max_length=200)
    date_of_birth = fields.Date()
    postcode = Text(max_length=20)
    limit = fields.Integer(validate=validate.Range(min=1, max=50))

    @validates_schema
    def _something_to_search(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not (data.get("q") or data.get("date_of_birth") or data.get("postcode")):
            raise ValidationError("give q, date_of_birth or postcode", field_name="q")


class SearchHitSchema(Schema):
    score = fields.Float()
    matched_on = fields.List(fields.String())
    citizen = fields.Nested(CitizenSchema)


class SearchResultSchema(Schema):
    results = fields.List(fields.Nested(SearchHitSchema))
    candidates_considered = fields.Integer()


class AuditEventSchema(Schema):
    seq = fields.Integer()
    occurred_at = fields.AwareDateTime()
    action = fields.String()
    principal_kind = fields.String()
    principal_id = fields.String()
    department_code = fields.String(allow_none=True)
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    request_id = fields.String()
    reason = fields.String(allow_none=True)
    hash = fields.String(
        allow_none=True,
        metadata={"description": "The event's keyed hash in the sealed chain; null until sealed."},
    )


class AuditQuerySchema(Schema):
    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(validate=validate.Range(min=1, max=200))
