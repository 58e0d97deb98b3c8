"""Request and response shapes of satisfaction surveys."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from cgcrm.core.fields import FullMatch, Text, WholeNumber
from cgcrm.surveys.tokens import TOKEN_PATTERN

CSAT_LABELS = {
    5: "Very satisfied",
    4: "Satisfied",
    3: "Neither satisfied or dissatisfied",
    2: "Dissatisfied",
    1: "Very dissatisfied",
}
COMMENT_MAX = 2000


class SurveyResponseInSchema(Schema):
    """One answer about one contact, with exactly one of ``token`` and ``interaction_id``."""

    token = fields.String(
        validate=FullMatch(TOKEN_PATTERN, error="not a valid survey link"),
        metadata={
            "description": "The citizen answering: the token of their invitation's link "
            "(`/s/<token>`), sent without a bearer token. Not with `interaction_id`."
        },
    )
    interaction_id = fields.UUID(
        metadata={
            "description": "Staff recording an answer taken at the counter or by phone: the "
            "contact it is about, sent with a bearer token holding interactions:write. Not "
            "with `token`."
        }
    )
    csat = WholeNumber(
        required=True,
        validate=validate.Range(min=1, max=5),
        metadata={
            "description": "Overall, how did you feel about the service you received today? "
            + ", ".join(f"{score} {label.lower()}" for score, label in CSAT_LABELS.items())
            + "."
        },
    )
    nps = WholeNumber(
        allow_none=True,
        validate=validate.Range(min=0, max=10),
        metadata={
            "description": "How likely are you to recommend this service to a friend or family "
            "member? 0 not at all likely … 10 extremely likely."
        },
    )
    effort = WholeNumber(
        allow_none=True,
        validate=validate.Range(min=1, max=7),
        metadata={
            "description": "How easy was it to get what you needed today? 1 very difficult … "
            "7 very easy."
        },
    )
    comment = Text(allow_none=True, max_length=COMMENT_MAX, multiline=True)

    @validates_schema
    def _one_way_in(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("token" in data) == ("interaction_id" in data):
            message = "send exactly one of token and interaction_id"
            raise ValidationError({"token": [message], "interaction_id": [message]})


class SurveyResponseSchema(Schema):
    id = fields.UUID()
    interaction_id = fields.UUID()
    invited = fields.Boolean(
        metadata={"description": "Given through an invitation's link (not taken by staff)."}
    )
    csat = fields.Integer()
    nps = fields.Integer(allow_none=True)
    effort = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    source = fields.String(metadata={"description": "citizen or staff"})
    recorded_at = fields.AwareDateTime()
