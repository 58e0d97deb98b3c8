"""Request and response shapes of the finance endpoints: reconciliation, journal, cash-up."""

from __future__ import annotations

from marshmallow import Schema, fields

from cgcrm.core.fields import BoundedDate, FullMatch
from cgcrm.payments.providers.cash import TILL_PATTERN, TILL_PATTERN_HELP
from cgcrm.payments.reconciliation_match import DIFFERENCE_KINDS
from cgcrm.payments.reconciliation_models import AGREED, DIFFERENCES, REPORT_UNAVAILABLE

_DAY = "A day in the deployment's TIME_ZONE (the journal's business date)."
_PROVIDER = FullMatch(r"^[a-z0-9_]{1,40}$", error="a provider name: a-z, 0-9 and _")


class ReconciliationQuerySchema(Schema):
    date = BoundedDate(required=True, metadata={"description": _DAY})
    provider = fields.String(
        validate=_PROVIDER, metadata={"description": "Only this provider's run and differences."}
    )


class ReconciliationRunSchema(Schema):
    date = BoundedDate(
        required=True,
        not_in_future=True,
        metadata={"description": _DAY + " Every configured provider's report is read again."},
    )


class CashUpQuerySchema(Schema):
    date = BoundedDate(required=True, metadata={"description": _DAY})
    till = fields.String(
        validate=FullMatch(TILL_PATTERN, error=TILL_PATTERN_HELP),
        metadata={"description": "Only this till (its reference, as recorded on payments)."},
    )


class RunSchema(Schema):
    provider = fields.String()
    status = fields.String(
        metadata={"enum": [AGREED, DIFFERENCES, REPORT_UNAVAILABLE]},
    )
    matched = fields.Integer(metadata={"description": "Entries the report agreed with."})
    ledger_count = fields.Integer(metadata={"description": "Journal entries of the day."})
    report_count = fields.Integer(metadata={"description": "Settled lines in the report."})
    ledger_totals = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Per currency, minor units, refunds negative."},
    )
    report_totals = fields.Dict(keys=fields.String(), values=fields.Integer())
    difference_count = fields.Integer()
    detail = fields.String(allow_none=True)
    run_by = fields.String()
    started_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime()


class DifferenceSchema(Schema):
    provider = fields.String()
    kind = fields.String(metadata={"enum": list(DIFFERENCE_KINDS)})
    entry_kind = fields.String(metadata={"enum": ["payment", "refund"]})
    provider_reference = fields.String(allow_none=True)
    payment_id = fields.UUID(allow_none=True)
    refund_id = fields.UUID(allow_none=True)
    payment_reference = fields.String(allow_none=True)
    department_code = fields.String(allow_none=True)
    service_code = fields.String(allow_none=True)
    ledger_amount_minor = fields.Integer(allow_none=True)
    report_amount_minor = fields.Integer(allow_none=True)
    currency = fields.String(allow_none=True)
    our_state = fields.String(allow_none=True)
    report_state = fields.String(allow_none=True)
    detail = fields.String()


class _Sum(Schema):
    count = fields.Integer()
    amount_minor = fields.Integer()


class JournalTotalSchema(Schema):
    service_code = fields.String()
    department_code = fields.String()
    channel = fields.String()
    currency = fields.String()
    payments = fields.Nested(_Sum)
    refunds = fields.Nested(_Sum, metadata={"description": "amount_minor negative."})
    net_minor = fields.Integer()


class ReconciliationSchema(Schema):
    date = fields.Date()
    reconciled = fields.Boolean(metadata={"description": "Whether the day has been reconciled."})
    journal = fields.List(
        fields.Nested(JournalTotalSchema),
        metadata={"description": "The day's journal per service, channel and currency."},
    )
    runs = fields.List(fields.Nested(RunSchema))
    differences = fields.List(fields.Nested(DifferenceSchema))


class _ByProvider(Schema):
    cash = fields.Nested(_Sum)
    card_present = fields.Nested(_Sum)


class CashUpEntrySchema(Schema):
    kind = fields.String(metadata={"enum": ["payment", "refund"]})
    reference = fields.String()
    payment_reference = fields.String()
    provider = fields.String()
    amount_minor = fields.Integer(metadata={"description": "Refunds negative."})
    at = fields.AwareDateTime()
    recorded_by = fields.String()


class CashUpTillSchema(Schema):
    till = fields.String()
    department_code = fields.String()
    currency = fields.String()
    payments = fields.Nested(_ByProvider)
    refunds = fields.Nested(_ByProvider)
    expected_cash_minor = fields.Integer(
        metadata={
            "description": "Cash taken less cash refunded: what the drawer should hold "
            "beyond its float."
        }
    )
    card_present_net_minor = fields.Integer(
        metadata={"description": "Card-present payments less refunds: the terminal's total."}
    )
    entries = fields.List(fields.Nested(CashUpEntrySchema))


class CashUpSchema(Schema):
    date = fields.Date()
    till = fields.String(allow_none=True)
    tills = fields.List(fields.Nested(CashUpTillSchema))
