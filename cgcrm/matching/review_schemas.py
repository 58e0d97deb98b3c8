"""Request and response schemas of duplicate review, merge and undo."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from cgcrm.core.fields import BoundedDict, Cursor
from cgcrm.matching.models import PAIR_SOURCES, PAIR_STATUSES
from cgcrm.matching.survivorship import FIELDS, SIDES


class DuplicateQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(PAIR_STATUSES), load_default="open")
    source = fields.String(validate=validate.OneOf(PAIR_SOURCES))
    band = fields.String(validate=validate.OneOf(("match", "possible")))
    citizen_id = fields.UUID()
    cursor = Cursor()
    limit = fields.Integer(validate=validate.Range(min=1, max=200))


class CitizenSummarySchema(Schema):
    """Enough of a record to judge a pair; the full record is at /citizens/{id}."""

    id = fields.UUID()
    status = fields.String()
    given_name = fields.String(allow_none=True)
    middle_names = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    preferred_name = fields.String(allow_none=True)
    date_of_birth = fields.Date(allow_none=True)
    merged_into = fields.UUID(attribute="merged_into_id", allow_none=True)
    version = fields.Integer()


class DuplicatePairSchema(Schema):
    id = fields.UUID()
    status = fields.String(metadata={"enum": list(PAIR_STATUSES)})
    score = fields.Float(metadata={"description": "match probability in [0, 1]"})
    band = fields.String(metadata={"enum": ["match", "possible"]})
    explanation = fields.Dict(
        metadata={"description": "per compared field: its comparison level and weight"}
    )
    model_version = fields.Integer()
    source = fields.String(metadata={"enum": list(PAIR_SOURCES)})
    citizen = fields.Nested(CitizenSummarySchema)
    other_citizen = fields.Nested(CitizenSummarySchema, attribute="other")
    created_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    merge_id = fields.UUID(allow_none=True)


class DecisionSchema(Schema):
    """An empty JSON object: API writes always carry a JSON body."""


class MergeRequestSchema(Schema):
    duplicate_id = fields.UUID(
        required=True,
        metadata={
            "description": "The record merged into this one (a review item's id between the "
            "two records is accepted too)."
        },
    )
    fields_ = BoundedDict(
        data_key="fields",
        attribute="fields",
        max_items=len(FIELDS),
        keys=fields.String(validate=validate.OneOf(FIELDS)),
        values=fields.String(validate=validate.OneOf(SIDES)),
        load_default=dict,
        metadata={
            "description": "Which record each named field is taken from; the others take the "
            "most recent value (docs/decisions.md)."
        },
    )


class MergeSchema(Schema):
    id = fields.UUID()
    status = fields.Method("_status", metadata={"enum": ["merged", "undone"], "type": "string"})
    survivor_id = fields.UUID()
    duplicate_id = fields.UUID()
    pair_id = fields.UUID(allow_none=True)
    fields_ = fields.Dict(
        data_key="fields",
        attribute="fields",
        metadata={"description": "the record each field was taken from"},
    )
    moved = fields.Method(
        "_moved",
        metadata={
            "type": "object",
            "description": "per list or table: rows moved to the survivor, and rows both "
            "records held, kept once",
        },
    )
    survivor_version = fields.Integer()
    duplicate_version = fields.Integer()
    merged_at = fields.AwareDateTime()
    merged_by = fields.String()
    undone_at = fields.AwareDateTime(allow_none=True)
    undone_by = fields.String(allow_none=True)

    def _status(self, merge: Any) -> str:
        return "undone" if merge.undone_at else "merged"

    def _moved(self, merge: Any) -> dict[str, Any]:
        return dict(merge.moved.get("summary", {}))
