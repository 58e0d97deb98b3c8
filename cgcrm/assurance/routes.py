"""Identity assurance endpoints: parse, authorise, call the service, serialise."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from cgcrm.assurance import codes, service
from cgcrm.assurance.schemas import (
    AssuranceSchema,
    CodeChallengeSchema,
    CodeConfirmSchema,
    CodeRequestSchema,
    VerificationCreateSchema,
    VerificationSchema,
)
from cgcrm.core import scopes
from cgcrm.core.openapi import Blueprint
from cgcrm.identity.guard import current_actor, requires

blp = Blueprint(
    "assurance",
    __name__,
    url_prefix="/api/v1/citizens",
    description="Identity assurance: evidence that a citizen is who they claim, and its level.",
)


@blp.route("/<uuid:citizen_id>/verifications")
class VerificationsView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.response(200, VerificationSchema(many=True))
    def get(self, citizen_id: uuid.UUID) -> Any:
        """Every piece of identity evidence recorded about a citizen, latest first."""
        return service.list_verifications(current_actor(), citizen_id)

    @requires(scopes.CITIZENS_WRITE)
    @blp.arguments(VerificationCreateSchema)
    @blp.response(201, VerificationSchema)
    @blp.alt_response(
        409,
        description="The record was merged into another (merged_into), or the service asks a "
        "question this citizen cannot answer (unavailable: no successful payment).",
    )
    @blp.alt_response(429, description="Too many wrong answers to knowledge questions today.")
    def post(self, data: dict[str, Any], citizen_id: uuid.UUID) -> Any:
        """Record identity evidence: a document seen at the counter, a sign-in, answers."""
        return service.record_verification(current_actor(), citizen_id, data)


@blp.route("/<uuid:citizen_id>/assurance")
class AssuranceView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.response(200, AssuranceSchema)
    def get(self, citizen_id: uuid.UUID) -> Any:
        """A citizen's identity assurance level now and the evidence it rests on."""
        return service.citizen_assurance(current_actor(), citizen_id)


@blp.route("/<uuid:citizen_id>/verifications/codes")
class CodesView(MethodView):
    @requires(scopes.CITIZENS_WRITE)
    @blp.arguments(CodeRequestSchema)
    @blp.response(202, CodeChallengeSchema)
    @blp.alt_response(
        409,
        description="The record was merged into another (merged_into), or the service asks a "
        "question this citizen cannot answer (unavailable: no successful payment).",
    )
    @blp.alt_response(429, description="Too many codes asked for this citizen in the hour.")
    def post(self, data: dict[str, Any], citizen_id: uuid.UUID) -> Any:
        """Send a one-time code to one of the citizen's contact points."""
        return codes.start_code(current_actor(), citizen_id, data)


@blp.route("/<uuid:citizen_id>/verifications/codes/<uuid:challenge_id>/confirm")
class CodeConfirmView(MethodView):
    @requires(scopes.CITIZENS_WRITE)
    @blp.arguments(CodeConfirmSchema)
    @blp.response(201, VerificationSchema)
    @blp.alt_response(409, description="The code was used, locked or expired, or not sent yet.")
    def post(self, data: dict[str, Any], citizen_id: uuid.UUID, challenge_id: uuid.UUID) -> Any:
        """Confirm the code the citizen received: their contact point is verified."""
        return codes.confirm_code(current_actor(), citizen_id, challenge_id, data["code"])
