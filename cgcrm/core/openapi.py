"""The OpenAPI document: errors are documented as the problem+json they are."""

from __future__ import annotations

from flask_smorest import Api
from marshmallow import Schema, fields


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(metadata={"description": "URI identifying the problem type"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "field -> messages, for invalid input"})


class CgcrmApi(Api):
    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = "DEFAULT_ERROR"
