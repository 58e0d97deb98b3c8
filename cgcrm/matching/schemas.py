"""Request and response shapes of identity resolution."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from cgcrm.citizens.schemas import (
    IDENTIFIER_SYSTEM,
    ConsentInSchema,
    PreferencesSchema,
)
from cgcrm.core.fields import BoundedDate, BoundedList, FullMatch, JsonBoolean, Text
from cgcrm.core.time_bounds import EARLIEST_BIRTH


class MatchNameSchema(Schema):
    given_name = Text(load_default=None, allow_none=True, max_length=100)
    family_name = Text(load_default=None, allow_none=True, max_length=100)
    valid_from = BoundedDate(load_default=None, allow_none=True)
    valid_to = BoundedDate(load_default=None, allow_none=True)


class MatchContactPointSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("email", "phone")))
    value = Text(required=True, max_length=254)
    is_primary = JsonBoolean(load_default=False)


class MatchAddressSchema(Schema):
    """An address of which any part may be missing (a postcode alone still blocks)."""

    line1 = Text(load_default=None, allow_none=True, max_length=200)
    line2 = Text(load_default=None, allow_none=True, max_length=200)
    locality = Text(load_default=None, allow_none=True, max_length=100)
    region = Text(load_default=None, allow_none=True, max_length=100)
    postcode = Text(load_default=None, allow_none=True, max_length=20)
    country = fields.String(load_default=None, allow_none=True, validate=FullMatch(r"^[A-Z]{2}$"))
    valid_from = BoundedDate(load_default=None, allow_none=True)
    valid_to = BoundedDate(load_default=None, allow_none=True)


class MatchIdentifierSchema(Schema):
    system = fields.String(
        required=True,
        validate=FullMatch(IDENTIFIER_SYSTEM, error="upper-case letters, digits and _"),
    )
    value = Text(required=True, max_length=100)


class MatchRequestSchema(Schema):
    """A citizen as a create would describe them, any field missing. Preferences and consents
    are accepted (the same body can then be created) and play no part in matching."""

    given_name = Text(load_default=None, allow_none=True, max_length=100)
    middle_names = Text(load_default=None, allow_none=True, max_length=200)
    family_name = Text(load_default=None, allow_none=True, max_length=100)
    preferred_name = Text(load_default=None, allow_none=True, max_length=100)
    date_of_birth = BoundedDate(load_default=None, allow_none=True, earliest=EARLIEST_BIRTH)
    previous_names = BoundedList(fields.Nested(MatchNameSchema), max_items=20)
    contact_points = BoundedList(fields.Nested(MatchContactPointSchema), max_items=20)
    addresses = BoundedList(fields.Nested(MatchAddressSchema), max_items=20)
    identifiers = BoundedList(fields.Nested(MatchIdentifierSchema), max_items=20)
    preferences = fields.Nested(PreferencesSchema)
    consents = BoundedList(fields.Nested(ConsentInSchema), max_items=20)


class FieldComparisonSchema(Schema):
    level = fields.String(metadata={"description": "How the field compared, e.g. exact."})
    weight = fields.Float(metadata={"description": "Its match weight, log2(m / u)."})


class MatchCandidateSchema(Schema):
    citizen_id = fields.UUID()
    score = fields.Float(metadata={"description": "Match probability in [0, 1]."})
    band = fields.String(metadata={"description": "match, possible or non_match."})
    explanation = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(FieldComparisonSchema),
        metadata={
            "description": "Per field both records have: its level and weight; name_order "
            "(level swapped, weight 0) when the names agree only read the other way round."
        },
    )


class MatchResultSchema(Schema):
    candidates = fields.List(fields.Nested(MatchCandidateSchema))
