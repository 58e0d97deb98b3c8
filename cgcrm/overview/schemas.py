"""Response shape of the 360 view."""

from __future__ import annotations

from marshmallow import Schema, fields

from cgcrm.assurance.schemas import AssuranceSchema
from cgcrm.cases.schemas import CaseSchema
from cgcrm.citizens.schemas import CitizenSchema
from cgcrm.interactions.schemas import InteractionSchema
from cgcrm.payments.schemas import PaymentSchema


class ChannelUseSchema(Schema):
    channel = fields.String()
    interactions = fields.Integer()
    last_contact_at = fields.AwareDateTime()


class WithheldSchema(Schema):
    interactions = fields.Integer(
        metadata={"description": "Contacts another department recorded that you may not see."}
    )
    open_cases = fields.Integer(
        metadata={"description": "Open cases of other departments that you may not see."}
    )
    payments = fields.Integer(
        metadata={"description": "Payments other departments took that you may not see."}
    )
    satisfaction = fields.Integer(
        metadata={"description": "Satisfaction answers about contacts you may not see."}
    )


class CitizenSatisfactionAnswerSchema(Schema):
    id = fields.UUID()
    interaction_id = fields.UUID()
    channel = fields.String(metadata={"description": "The channel of the contact answered about."})
    service_code = fields.String(allow_none=True)
    csat = fields.Integer(metadata={"description": "5 very satisfied ... 1 very dissatisfied."})
    nps = fields.Integer(allow_none=True)
    effort = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    source = fields.String(metadata={"description": "citizen or staff"})
    recorded_at = fields.AwareDateTime()


class CitizenSatisfactionSchema(Schema):
    answers = fields.Integer(metadata={"description": "Answers about contacts you may see."})
    mean_csat = fields.Float(allow_none=True)
    latest = fields.List(
        fields.Nested(CitizenSatisfactionAnswerSchema), metadata={"description": "Newest first."}
    )


class OverviewSchema(Schema):
    citizen = fields.Nested(CitizenSchema)
    open_cases = fields.List(fields.Nested(CaseSchema))
    latest_interactions = fields.List(fields.Nested(InteractionSchema))
    channels = fields.List(
        fields.Nested(ChannelUseSchema),
        metadata={"description": "Contacts per channel, most used first."},
    )
    interaction_count = fields.Integer()
    last_channel = fields.String(
        allow_none=True, metadata={"description": "The channel of the most recent contact."}
    )
    withheld = fields.Nested(WithheldSchema)
    payments = fields.List(
        fields.Nested(PaymentSchema),
        metadata={"description": "The latest payments, newest first, with their state."},
    )
    assurance = fields.Nested(
        AssuranceSchema, metadata={"description": "Identity assurance level and its evidence."}
    )
    satisfaction = fields.Nested(
        CitizenSatisfactionSchema,
        metadata={"description": "Satisfaction answers about the citizen's contacts."},
    )
    generated_at = fields.AwareDateTime()
