"""Request and response shapes of the metrics endpoints."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from cgcrm.catalog.models import CHANNEL_KINDS
from cgcrm.catalog.schemas import KNOWN_DEPARTMENT, KNOWN_SERVICE
from cgcrm.core.channels import CHANNEL_CODES
from cgcrm.core.fields import BoundedDate
from cgcrm.metrics.compare import KPIS
from cgcrm.metrics.kpis import GROUP_BY
from cgcrm.metrics.periods import INTERVALS, MAX_RANGE_DAYS
from cgcrm.metrics.tally import SCORES

_RANGE = f"Inclusive, a day in the deployment's TIME_ZONE; at most {MAX_RANGE_DAYS} days in all."


def _rate(description: str) -> fields.Float:
    return fields.Float(
        allow_none=True, metadata={"description": f"{description} Null when nothing to divide by."}
    )


class Measure(fields.Float):
    """A number dumped as it is: a count stays an integer, a rate a float."""

    def _format_num(self, value: Any) -> Any:
        return value


class _Filters(Schema):
    service = fields.String(
        validate=KNOWN_SERVICE, metadata={"description": "A service code: only its figures."}
    )
    channel = fields.String(
        validate=validate.OneOf(CHANNEL_CODES),
        metadata={"description": "A channel code: only its figures (SLA attainment is null)."},
    )
    department = fields.String(
        validate=KNOWN_DEPARTMENT, metadata={"description": "A department code."}
    )


class KpiQuerySchema(_Filters):
    from_ = BoundedDate(data_key="from", attribute="from", required=True)
    to = BoundedDate(required=True, metadata={"description": _RANGE})
    interval = fields.String(
        load_default="day",
        validate=validate.OneOf(INTERVALS),
        metadata={
            "description": "The series' intervals: days, ISO weeks (from Monday) or "
            "calendar months; the first and last are clipped to the range."
        },
    )
    group_by = fields.String(
        validate=validate.OneOf(GROUP_BY),
        metadata={"description": "Also give one entry per channel, service or department."},
    )


class CompareQuerySchema(_Filters):
    from_a = BoundedDate(required=True)
    to_a = BoundedDate(required=True, metadata={"description": _RANGE})
    from_b = BoundedDate(required=True)
    to_b = BoundedDate(required=True, metadata={"description": _RANGE})


class ChannelShiftQuerySchema(Schema):
    from_a = BoundedDate(required=True)
    to_a = BoundedDate(required=True, metadata={"description": _RANGE})
    from_b = BoundedDate(required=True)
    to_b = BoundedDate(required=True, metadata={"description": _RANGE})
    service = fields.String(
        validate=KNOWN_SERVICE, metadata={"description": "Only contacts about this service."}
    )


CsatCountsSchema = Schema.from_dict(
    {score: fields.Integer() for score in SCORES}, name="CsatCountsSchema"
)
ContactsByChannelSchema = Schema.from_dict(
    {code: fields.Integer() for code in CHANNEL_CODES}, name="ContactsByChannelSchema"
)


class SatisfactionSchema(Schema):
    value = _rate("Share of responses scoring 4 or 5 of 5.")
    n = fields.Integer(metadata={"description": "Responses."})
    low = _rate("Wilson 95 % interval, lower bound.")
    high = _rate("Wilson 95 % interval, upper bound.")
    counts = fields.Nested(CsatCountsSchema, metadata={"description": "Responses by score."})
    mean = _rate("Mean score, 1 to 5.")


class KpiEntrySchema(Schema):
    contacts = fields.Integer()
    contacts_by_channel = fields.Nested(ContactsByChannelSchema)
    transactions_started = fields.Integer()
    transactions_completed = fields.Integer()
    completion_rate = _rate("Transactions completed ÷ started.")
    digital_take_up = _rate("Transactions completed on digital channels ÷ all completed.")
    user_satisfaction = fields.Nested(SatisfactionSchema)
    total_cost_minor = fields.Integer(
        metadata={"description": "Σ contacts about a service x its unit cost on the channel."}
    )
    cost_per_transaction_minor = _rate("Total cost ÷ transactions completed, minor units.")
    currency = fields.String(
        allow_none=True, metadata={"description": "ISO 4217; null when none or mixed."}
    )
    first_contact_resolution = _rate(
        "Of inbound identified contacts resolved or completed, the share with no inbound "
        "contact by the citizen about the same service in the 7 days after."
    )
    avoidable_contact_rate = _rate(
        "Share of inbound identified contacts within 7 days after an earlier one by the "
        "citizen about the same service."
    )
    average_handling_seconds = _rate("Mean handling time of contacts with an end.")
    sla_attainment = _rate(
        "Cases resolved within SLA ÷ cases resolved (null by channel: cases have none)."
    )
    nps = _rate("Net promoter score, -100 to 100.")
    customer_effort = _rate("Mean effort score, 1 to 7.")
    survey_response_rate = _rate("Responses to invitations ÷ invitations sent.")


class PeriodEntrySchema(KpiEntrySchema):
    period_start = fields.Date()
    period_end = fields.Date(metadata={"description": "Inclusive."})


class GroupEntrySchema(KpiEntrySchema):
    key = fields.String(
        allow_none=True,
        metadata={
            "description": "The channel, service or department code (service: null "
            "for contacts about no service)."
        },
    )


class _Echo(Schema):
    service = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    time_zone = fields.String(metadata={"description": "The zone of the days counted."})


class KpiReportSchema(_Echo):
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    interval = fields.String()
    group_by = fields.String(allow_none=True)
    totals = fields.Nested(KpiEntrySchema)
    series = fields.List(fields.Nested(PeriodEntrySchema))
    groups = fields.List(
        fields.Nested(GroupEntrySchema),
        metadata={"x-optional": True, "description": "With group_by only."},
    )


class ComparisonSchema(Schema):
    a = Measure(allow_none=True)
    b = Measure(allow_none=True)
    difference = Measure(allow_none=True, metadata={"description": "B - A."})
    n_a = fields.Integer(allow_none=True, metadata={"description": "Proportions: sample in A."})
    n_b = fields.Integer(allow_none=True, metadata={"description": "Proportions: sample in B."})
    z = fields.Float(allow_none=True)
    p_value = fields.Float(
        allow_none=True,
        metadata={"description": "Two-sided, two-proportion z-test with pooled proportion."},
    )
    significant = fields.Boolean(
        allow_none=True, metadata={"description": "p < 0.05; null for KPIs not tested."}
    )


ComparisonsSchema = Schema.from_dict(
    {kpi: fields.Nested(ComparisonSchema) for kpi in KPIS}, name="ComparisonsSchema"
)


class CompareReportSchema(_Echo):
    from_a = fields.Date()
    to_a = fields.Date()
    from_b = fields.Date()
    to_b = fields.Date()
    kpis = fields.Nested(ComparisonsSchema)


KindCountsSchema = Schema.from_dict(
    {kind: fields.Integer() for kind in CHANNEL_KINDS}, name="KindCountsSchema"
)
ShiftMatrixSchema = Schema.from_dict(
    {kind: fields.Nested(KindCountsSchema) for kind in CHANNEL_KINDS}, name="ShiftMatrixSchema"
)


class ChannelShiftSchema(Schema):
    from_a = fields.Date()
    to_a = fields.Date()
    from_b = fields.Date()
    to_b = fields.Date()
    service = fields.String(allow_none=True)
    time_zone = fields.String()
    citizens = fields.Integer(metadata={"description": "Citizens with contacts in both."})
    matrix = fields.Nested(
        ShiftMatrixSchema,
        metadata={"description": "Main channel kind in A (rows) against B (columns)."},
    )
    moved_to_digital = fields.Integer()
    moved_to_assisted = fields.Integer()
    assisted_to_digital_share = _rate("Of citizens mainly assisted in A, the share digital in B.")
