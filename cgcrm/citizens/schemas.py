"""Request and response shapes of the citizen record."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from cgcrm.core.channels import CHANNEL_CODES
from cgcrm.core.fields import BoundedDate, BoundedList, Cursor, FullMatch, JsonBoolean, Text
from cgcrm.core.time_bounds import EARLIEST_BIRTH

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
# The parts of an address that place it; an address needs one of them.
PLACE_PARTS = ("line1", "locality", "postcode")


def check_period(data: dict[str, Any]) -> None:
    # Runs despite other field errors, so dates in the wrong order are reported with them.
    start, end = data.get("valid_from"), data.get("valid_to")
    if start and end and end < start:
        raise ValidationError({"valid_to": ["must not be before valid_from"]})


def check_a_place(data: dict[str, Any]) -> None:
    if not any(data.get(part) for part in PLACE_PARTS):
        raise ValidationError(
            "give at least one of line1, locality and postcode", field_name="line1"
        )


def check_a_name(data: dict[str, Any]) -> None:
    # People with one name exist (mononyms) and department files often lack one: one will do.
    if not (data.get("given_name") or data.get("family_name")):
        raise ValidationError("give given_name, family_name or both", field_name="given_name")


class PreviousNameSchema(Schema):
    given_name = Text(required=True, min_length=1, max_length=100)
    family_name = Text(required=True, min_length=1, max_length=100)
    valid_from = BoundedDate(load_default=None, allow_none=True)
    valid_to = BoundedDate(load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=False)
    def _period(self, data: dict[str, Any], **kwargs: Any) -> None:
        check_period(data)


class ContactPointInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("email", "phone")))
    value = Text(required=True, min_length=1, max_length=254)
    is_primary = JsonBoolean(load_default=False)


class ContactPointSchema(Schema):
    id = fields.UUID(dump_only=True)
    kind = fields.String()
    value = fields.String()
    is_primary = JsonBoolean()


class AddressInSchema(Schema):
    """An address as far as it is known: department files often lack the street or the town
    (a postcode alone still places the person); at least one of line1, locality and postcode."""

    line1 = Text(load_default=None, blank_as_none=True, max_length=200)
    line2 = Text(load_default=None, blank_as_none=True, max_length=200)
    locality = Text(load_default=None, blank_as_none=True, max_length=100)
    region = Text(load_default=None, blank_as_none=True, max_length=100)
    postcode = Text(load_default=None, blank_as_none=True, max_length=20)
    country = fields.String(load_default=None, allow_none=True, validate=FullMatch(r"^[A-Z]{2}$"))
    valid_from = BoundedDate(load_default=None, allow_none=True)
    valid_to = BoundedDate(load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=False)
    def _period(self, data: dict[str, Any], **kwargs: Any) -> None:
        check_period(data)

    @validates_schema
    def _somewhere(self, data: dict[str, Any], **kwargs: Any) -> None:
        check_a_place(data)


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
    masked = JsonBoolean(
        load_default=False,
        metadata={
            "description": "true with the masked value you were shown keeps the stored "
            "identifier of this system (a PATCH of a list you may not read in full)."
        },
    )


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
    accessibility_needs = BoundedList(
        fields.String(validate=validate.OneOf(ACCESSIBILITY_NEEDS)),
        load_default=list,
        max_items=len(ACCESSIBILITY_NEEDS),
    )


class ConsentInSchema(Schema):
    purpose = fields.String(
        required=True, validate=FullMatch(PURPOSE, error="a snake_case purpose code")
    )
    granted = JsonBoolean(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNEL_CODES))
    note = Text(load_default=None, allow_none=True, max_length=500)


class ConsentRecordSchema(ConsentInSchema):
    """One decision about one citizen. A grant that widens access (whole_of_government_sharing)
    needs the consents:record scope and interaction_id: the contact the citizen gave it in."""

    interaction_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The contact (interaction) with this citizen in which the decision "
            "was made; required for a grant that opens other departments' records."
        },
    )


class ConsentSchema(Schema):
    id = fields.UUID()
    purpose = fields.String()
    status = fields.String()
    recorded_at = fields.AwareDateTime()
    channel = fields.String()
    recorded_by = fields.String()
    note = fields.String(allow_none=True)
    interaction_id = fields.UUID(allow_none=True)


class _CitizenFields(Schema):
    given_name = Text(blank_as_none=True, max_length=100)
    middle_names = Text(blank_as_none=True, max_length=200)
    family_name = Text(blank_as_none=True, max_length=100)
    preferred_name = Text(blank_as_none=True, max_length=100)
    date_of_birth = BoundedDate(allow_none=True, earliest=EARLIEST_BIRTH, not_in_future=True)
    previous_names = BoundedList(fields.Nested(PreviousNameSchema), max_items=20)
    contact_points = BoundedList(fields.Nested(ContactPointInSchema), max_items=20)
    addresses = BoundedList(fields.Nested(AddressInSchema), max_items=20)
    identifiers = BoundedList(fields.Nested(IdentifierSchema), max_items=20)
    preferences = fields.Nested(PreferencesSchema)


class CitizenCreateSchema(_CitizenFields):
    """A new citizen, with at least one of given_name and family_name. Unknown fields,
    including id, status and version, are refused."""

    consents = BoundedList(fields.Nested(ConsentInSchema), max_items=20)

    @validates_schema
    def _a_name(self, data: dict[str, Any], **kwargs: Any) -> None:
        check_a_name(data)


class CitizenCreateQuerySchema(Schema):
    on_match = fields.String(
        load_default="reject",
        validate=validate.OneOf(("reject", "create", "link")),
        metadata={
            "description": "What to do when the person is already recorded (a match): reject "
            "(409 naming the record, the default), create (a new record anyway, filed for "
            "review) or link (200 with the existing record)."
        },
    )


class CitizenPatchSchema(_CitizenFields):
    """Changes to a citizen. Lists given here replace the stored list. A name may be changed,
    not removed: a record keeps the names it was created with (one, for a mononym)."""

    given_name = Text(min_length=1, max_length=100)
    family_name = Text(min_length=1, max_length=100)


class CitizenSchema(Schema):
    id = fields.UUID()
    status = fields.String()
    given_name = fields.String(allow_none=True)
    middle_names = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    preferred_name = fields.String(allow_none=True)
    date_of_birth = fields.Date(allow_none=True)
    date_of_death = fields.Date(allow_none=True)
    previous_names = fields.List(fields.Nested(PreviousNameSchema))
    contact_points = fields.List(fields.Nested(ContactPointSchema))
    addresses = fields.List(fields.Nested(AddressSchema))
    identifiers = fields.Method(
        "_identifiers",
        metadata={
            "description": "Each identifier's system and value. The value is in full only for "
            "the department that owns the system (or with identifiers:read); otherwise it is "
            "masked (****567) and masked is true.",
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "system": {"type": "string"},
                    "value": {"type": "string"},
                    "masked": {"type": "boolean"},
                },
                "required": ["system", "value", "masked"],
            },
        },
    )
    preferences = fields.Nested(PreferencesSchema)
    consents = fields.List(fields.Nested(ConsentSchema), attribute="current_consents")
    merged_into = fields.UUID(attribute="merged_into_id", allow_none=True)
    live_record = fields.Method(
        "_live_record",
        metadata={
            "description": "For a merged record, the live record its person is now kept in, "
            "following merge chains (merged_into names the record it was merged into); null "
            "otherwise.",
            "type": ["string", "null"],
            "format": "uuid",
        },
    )
    version = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    assurance = fields.Method(
        "_assurance",
        metadata={
            "description": "Identity assurance: level (none, low, medium, high), when it drops "
            "(valid_until) and the evidence it rests on (cgcrm.assurance).",
            "type": ["object", "null"],
        },
    )

    def _assurance(self, citizen: Any) -> dict[str, Any] | None:
        from cgcrm.citizens.assurance_links import assurance_summary

        return assurance_summary(citizen.id)

    def _live_record(self, citizen: Any) -> str | None:
        if citizen.status != "merged":
            return None
        from cgcrm.citizens.tombstones import live_record_id

        live = live_record_id(citizen.merged_into_id)
        return str(live) if live else None

    def _identifiers(self, citizen: Any) -> list[dict[str, Any]]:
        # The one place identifiers are serialised; what is disclosed depends on who asks.
        from cgcrm.citizens.disclosure import disclosed_identifiers, request_principal

        return disclosed_identifiers(request_principal(), citizen)


class CitizenQuerySchema(Schema):
    identifier = fields.String(
        validate=FullMatch(r"^[A-Z][A-Z0-9_]{1,39}:.{1,100}$", error="SYSTEM:VALUE")
    )
    status = fields.String(validate=validate.OneOf(("active", "merged", "deceased")))
    cursor = Cursor()
    limit = fields.Integer(validate=validate.Range(min=1, max=200))


class CitizenSearchQuerySchema(Schema):
    q = Text(max_length=200)
    date_of_birth = BoundedDate(earliest=EARLIEST_BIRTH)
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
    cursor = Cursor()
    limit = fields.Integer(validate=validate.Range(min=1, max=200))
