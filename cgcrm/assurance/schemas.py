"""Request and response shapes of identity assurance."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from cgcrm.assurance import rules
from cgcrm.catalog.codes import catalog_codes
from cgcrm.core.channels import CHANNEL_CODES
from cgcrm.core.fields import BoundedDateTime, BoundedDict, FullMatch, Text

# Six or more digits in a row, with or without separators: what a full document number
# looks like. Evidence keeps the last digits only.
FULL_NUMBER = re.compile(r"(?:\d[\s-]?){6,}")


class VerificationCreateSchema(Schema):
    """Evidence of a citizen's identity. A contact point is verified through the code flow
    (``/verifications/codes``), not here. Unknown fields (an image, a full number) are refused."""

    method = fields.String(required=True, validate=validate.OneOf(rules.DIRECT_METHODS))
    channel = fields.String(validate=validate.OneOf(CHANNEL_CODES))
    expires_at = BoundedDateTime(
        metadata={"description": "Shorter than the method's longest validity; default: that."}
    )
    service_code = Text(max_length=40, metadata={"description": "For knowledge questions."})
    note = Text(max_length=500, allow_none=True)
    document_type = fields.String(validate=validate.OneOf(rules.DOCUMENT_TYPES))
    last_digits = fields.String(
        validate=FullMatch(
            r"^[A-Za-z0-9]{2,4}$",
            error="the last 2 to 4 characters of the document number only, never the number",
        )
    )
    provider = Text(max_length=200, metadata={"description": "The provider's issuer URL."})
    acr = Text(max_length=200)
    vot = Text(max_length=20)
    answers = BoundedDict(
        max_items=len(rules.KNOWN_QUESTIONS),
        keys=fields.String(validate=validate.OneOf(rules.KNOWN_QUESTIONS)),
        values=Text(max_length=100),
        metadata={"description": "Answers given on the phone; checked, never stored."},
    )

    @validates("note")
    def _no_document_number(self, value: str | None, **kwargs: Any) -> None:
        if value and FULL_NUMBER.search(value):
            raise ValidationError("looks like a full document number: keep only the last digits")


class VerificationSchema(Schema):
    id = fields.UUID()
    citizen_id = fields.UUID()
    method = fields.String()
    outcome = fields.String()
    strength = fields.String()
    channel = fields.String(allow_none=True)
    details = fields.Method("_details", metadata={"type": "object"})
    service_code = fields.String(allow_none=True)
    verified_by = fields.String()
    department_code = fields.Method("_department", metadata={"type": ["string", "null"]})
    verified_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()

    def _details(self, verification: Any) -> dict[str, Any]:
        # The contact point's keyed hash is for matching, not for reading.
        return {k: v for k, v in verification.details.items() if k != "contact_hash"}

    def _department(self, verification: Any) -> str | None:
        if verification.department_id is None:
            return None
        department = catalog_codes.department_by_id(verification.department_id)
        return department.code if department else None


class EvidenceSummarySchema(Schema):
    id = fields.UUID()
    method = fields.String()
    strength = fields.String()
    verified_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()


class AssuranceSchema(Schema):
    level = fields.String(metadata={"enum": list(rules.LEVELS)})
    valid_until = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When the level drops as evidence expires."}
    )
    evidence = fields.List(fields.Nested(EvidenceSummarySchema))


class CodeRequestSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("email", "phone")))
    value = Text(max_length=254, metadata={"description": "Which one; default the primary."})


class CodeChallengeSchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    sent_to = fields.String()
    status = fields.String()
    expires_at = fields.AwareDateTime()
    attempts_left = fields.Method("_left", metadata={"type": "integer"})

    def _left(self, challenge: Any) -> int:
        from cgcrm.assurance.codes import CODE_ATTEMPTS

        return max(CODE_ATTEMPTS - challenge.attempts, 0)


class CodeConfirmSchema(Schema):
    code = fields.String(required=True, validate=FullMatch(r"^[0-9]{6}$", error="six digits"))
