"""Request and response shapes of bulk import."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from cgcrm.core.fields import Cursor, Text
from cgcrm.integrations.imports.models import ROW_OUTCOMES


class ImportQuerySchema(Schema):
    """The query of ``POST /api/v1/imports``; the file itself is the request body."""

    mapping = Text(
        max_length=8000,
        metadata={
            "description": "CSV only: a JSON object from column name to field, e.g. "
            '{"Forename": "given_name", "Surname": "family_name", "DOB": "date_of_birth", '
            '"Mail": "email", "Tel": "phone", "Street": "address.line1", "Town": '
            '"address.locality", "Postcode": "address.postcode", "Account": '
            '"identifier.RATES_ACCOUNT"}. Columns it does not name are ignored. Without it '
            "the header cells must be field names themselves."
        },
    )
    file_name = Text(max_length=200, metadata={"description": "The file's name, for people."})


class ImportSchema(Schema):
    id = fields.UUID()
    status = fields.String(metadata={"description": "queued, running, completed or failed"})
    format = fields.String()
    file_name = fields.String(allow_none=True)
    size_bytes = fields.Integer()
    content_sha256 = fields.String()
    mapping = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)
    rows_total = fields.Integer(
        allow_none=True, metadata={"description": "null until the job has read the file"}
    )
    rows_done = fields.Integer()
    progress = fields.Method("_progress", metadata={"type": "number", "minimum": 0, "maximum": 1})
    counts = fields.Method(
        "_counts",
        metadata={
            "description": "Rows per outcome: created (a new record), linked (an existing "
            "record, given the row's identifiers), review (created, with a review item naming "
            "the record it may duplicate), rejected (invalid; see the rows).",
            "type": "object",
            "properties": {name: {"type": "integer"} for name in ROW_OUTCOMES},
        },
    )
    error = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)

    def _progress(self, item: object) -> float:
        total = getattr(item, "rows_total", None)
        if getattr(item, "status", None) == "completed":
            return 1.0
        if not total:
            return 0.0
        return round(min(1.0, getattr(item, "rows_done", 0) / total), 4)

    def _counts(self, item: object) -> dict[str, int]:
        return {name: int(getattr(item, name) or 0) for name in ROW_OUTCOMES}


class ImportRowSchema(Schema):
    row_number = fields.Integer()
    outcome = fields.String()
    citizen_id = fields.UUID(allow_none=True)
    pair_id = fields.UUID(allow_none=True)
    reasons = fields.Dict(
        allow_none=True,
        metadata={"description": "Rejected rows: field -> messages; others: notes, if any."},
    )


class ImportRowQuerySchema(Schema):
    outcome = fields.String(validate=validate.OneOf(ROW_OUTCOMES))
    cursor = Cursor()
    limit = fields.Integer(validate=validate.Range(min=1, max=200))
