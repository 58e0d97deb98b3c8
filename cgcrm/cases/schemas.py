"""Request and response shapes of cases, their transitions, notes and linked contacts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from cgcrm.cases import reference
from cgcrm.cases.sla import SLA_STATES
from cgcrm.cases.workflow import PRIORITIES, STATUSES, allowed_transitions
from cgcrm.catalog.schemas import DEPARTMENT_CODE, KNOWN_SERVICE, SERVICE_CODE
from cgcrm.citizens.references import citizen_reference_problem
from cgcrm.core.clock import utcnow
from cgcrm.core.fields import Cursor, FullMatch, Text
from cgcrm.core.references import ReferenceChecks
from cgcrm.identity.references import staff_user_problem

TEAM_CODE = FullMatch(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$", error="a team code such as rates-team-2"
)
NOT_PATCHABLE = {
    "status": "change the status with POST /api/v1/cases/{case_id}/transitions",
}


class CaseReference(fields.String):
    """A case reference as typed (any case, dashes optional); loads as ``C-XXXX-XXXX``."""

    def __init__(self, **kwargs: Any) -> None:
        # Checked after normalising: documents the shape, and marks this string as a code.
        kwargs.setdefault("validate", FullMatch(r"^C-[0-9A-Z]{4}-[0-9A-Z]{4}$"))
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > 20:
            raise ValidationError(reference.INVALID)
        try:
            return reference.normalise(text)
        except ValueError as exc:
            raise ValidationError(reference.INVALID) from exc


class _Assignment(ReferenceChecks):
    reference_checks = {
        "citizen_id": citizen_reference_problem,
        "assigned_user_id": staff_user_problem,
    }

    assigned_team = fields.String(
        allow_none=True,
        validate=TEAM_CODE,
        metadata={"description": "A team code, e.g. rates-team-2; null to unassign."},
    )
    assigned_user_id = fields.UUID(
        allow_none=True, metadata={"description": "A staff user's id; null to unassign."}
    )


class CaseCreateSchema(_Assignment):
    """A new case. Unknown fields, including id, status, reference and due_at, are refused."""

    service_code = fields.String(
        required=True, validate=KNOWN_SERVICE, metadata={"example": "RATES-PAY"}
    )
    citizen_id = fields.UUID(
        load_default=None, allow_none=True, metadata={"description": "Omit for anonymous cases."}
    )
    summary = Text(
        required=True,
        min_length=1,
        max_length=500,
        metadata={"example": "Rates notice not received"},
    )
    priority = fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES))


class CasePatchSchema(_Assignment):
    """Changes to priority, summary or assignment; the status changes through transitions."""

    summary = Text(min_length=1, max_length=500)
    priority = fields.String(validate=validate.OneOf(PRIORITIES))

    @pre_load
    def _explain_refused(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict):
            refused = {k: [v] for k, v in NOT_PATCHABLE.items() if k in data}
            if refused:
                raise ValidationError(refused)
        return data


class CaseQuerySchema(Schema):
    reference = CaseReference(
        metadata={"description": "A case reference; case and dashes do not matter."}
    )
    citizen_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(STATUSES))
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    service_code = fields.String(validate=SERVICE_CODE)
    department_code = fields.String(validate=DEPARTMENT_CODE)
    assigned_team = fields.String(validate=TEAM_CODE)
    assigned_user_id = fields.UUID()
    breached = fields.Boolean(
        metadata={"description": "Past due (or flagged) while open, or resolved late."}
    )
    open_ = fields.Boolean(
        data_key="open",
        metadata={"description": "true: new, in progress or awaiting citizen."},
    )
    cursor = Cursor()
    limit = fields.Integer(validate=validate.Range(min=1, max=200))


class PageQuerySchema(Schema):
    cursor = Cursor()
    limit = fields.Integer(validate=validate.Range(min=1, max=200))


class CaseTransitionInSchema(Schema):
    to = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = Text(load_default=None, allow_none=True, max_length=500, multiline=True)


class CaseNoteInSchema(Schema):
    text = Text(required=True, min_length=1, max_length=4000, multiline=True)


class CaseInteractionLinkSchema(Schema):
    interaction_id = fields.UUID(required=True)


class SlaSchema(Schema):
    due_at = fields.AwareDateTime()
    state = fields.String(validate=validate.OneOf(SLA_STATES))
    paused = fields.Boolean()
    paused_since = fields.AwareDateTime(allow_none=True)
    paused_seconds = fields.Integer(
        metadata={"description": "Working seconds of the pauses that ended (due_at includes)."}
    )
    breached_at = fields.AwareDateTime(allow_none=True)


class CaseSchema(Schema):
    id = fields.UUID()
    reference = fields.String()
    status = fields.String()
    priority = fields.String()
    summary = fields.String()
    service_code = fields.String()
    department_code = fields.String()
    citizen_id = fields.UUID(allow_none=True)
    assigned_team = fields.String(allow_none=True)
    assigned_user_id = fields.UUID(allow_none=True)
    opened_at = fields.AwareDateTime()
    opened_by = fields.String()
    due_at = fields.AwareDateTime()
    sla = fields.Nested(SlaSchema)
    allowed_transitions = fields.Method(
        "_allowed_transitions", metadata={"type": "array", "items": {"type": "string"}}
    )
    resolved_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    version = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()

    def _allowed_transitions(self, case: Any) -> list[str]:
        window = timedelta(days=int(current_app.config["CASE_REOPEN_WINDOW_DAYS"]))
        return allowed_transitions(case.status, case.resolved_at, utcnow(), window)


class CaseTransitionSchema(Schema):
    id = fields.UUID()
    case_id = fields.UUID()
    from_ = fields.String(data_key="from", attribute="from_status", allow_none=True)
    to = fields.String(attribute="to_status")
    at = fields.AwareDateTime()
    by = fields.String()
    department_code = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class CaseNoteSchema(Schema):
    id = fields.UUID()
    case_id = fields.UUID()
    text = fields.String()
    author = fields.String()
    author_department_code = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
