"""Case endpoints: parse, authorise, call the service, serialise."""

from __future__ import annotations

import uuid
from typing import Any

from flask import url_for
from flask.blueprints import BlueprintSetupState
from flask.views import MethodView

from cgcrm.cases import service
from cgcrm.cases.models import Case
from cgcrm.cases.schemas import (
    CaseCreateSchema,
    CaseInteractionLinkSchema,
    CaseNoteInSchema,
    CaseNoteSchema,
    CasePatchSchema,
    CaseQuerySchema,
    CaseSchema,
    CaseTransitionInSchema,
    CaseTransitionSchema,
    PageQuerySchema,
)
from cgcrm.core import scopes
from cgcrm.core.http import access_reason, etag_for, required_version
from cgcrm.core.idempotent_route import run_idempotent
from cgcrm.core.openapi import Blueprint, accepts_headers
from cgcrm.core.pagination import (
    decode_cursor,
    moment_and_id,
    moment_and_id_key,
    next_link,
    page_limit,
)
from cgcrm.core.working_days import calendar_for
from cgcrm.identity.guard import current_actor, requires
from cgcrm.interactions.models import Interaction
from cgcrm.interactions.schemas import InteractionSchema

blp = Blueprint(
    "cases",
    __name__,
    url_prefix="/api/v1/cases",
    description="Service requests: workflow, assignment, notes, linked contacts, SLA clock.",
)


@blp.record_once
def _build_calendar(state: BlueprintSetupState) -> None:
    # A holiday setting that names no calendar stops the application at start-up.
    calendar_for(state.app)


def _case_headers(case: Case) -> dict[str, str]:
    return {
        "ETag": etag_for(case.version),
        "Location": url_for("cases.CaseView", case_id=case.id),
    }


def _page(items: list[Any], size: int) -> tuple[list[Any], dict[str, str]]:
    link = next_link(items, size)
    return items, ({"Link": link} if link else {})


def _contact_key(interaction: Interaction) -> str:
    return moment_and_id_key(interaction.started_at, interaction.id)


@blp.route("")
class CasesView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.arguments(CaseQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, CaseSchema(many=True))
    def get(self, cursor: str | None = None, limit: int | None = None, **filters: Any) -> Any:
        """List the cases you may see, oldest first, by reference, citizen, status, SLA, …"""
        size = page_limit(limit)
        cases = service.list_cases(
            current_actor(), limit=size, after=decode_cursor(cursor, uuid.UUID), **filters
        )
        return _page(cases, size)

    @requires(scopes.CASES_WRITE)
    @accepts_headers("Idempotency-Key")
    @blp.arguments(CaseCreateSchema)
    @blp.response(201, CaseSchema)
    @blp.alt_response(
        409,
        description="The citizen was merged, or the Idempotency-Key is in use by a request "
        "still running.",
    )
    def post(self, data: dict[str, Any]) -> Any:
        """Open a case against a service (send Idempotency-Key to make retries safe)."""
        actor = current_actor()
        return run_idempotent(
            actor,
            data,
            lambda hook: service.open_case(actor, data, before_commit=hook),
            CaseSchema,
            _case_headers,
        )


@blp.route("/<uuid:case_id>")
class CaseView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @accepts_headers("X-Access-Reason")
    @blp.response(200, CaseSchema)
    def get(self, case_id: uuid.UUID) -> Any:
        """Read a case with its SLA standing and allowed transitions (X-Access-Reason: why)."""
        case = service.read_case(current_actor(), case_id, reason=access_reason())
        return case, {"ETag": etag_for(case.version)}

    @requires(scopes.CASES_WRITE)
    @blp.arguments(CasePatchSchema)
    @blp.response(200, CaseSchema)
    @blp.alt_response(403, description="The case belongs to another department.")
    @blp.alt_response(412, description="The case changed since the If-Match version.")
    @blp.alt_response(428, description="If-Match is missing.")
    def patch(self, changes: dict[str, Any], case_id: uuid.UUID) -> Any:
        """Change priority, summary or assignment; requires If-Match with the ETag you read."""
        case = service.update_case(current_actor(), case_id, required_version(), changes)
        return case, {"ETag": etag_for(case.version)}


@blp.route("/<uuid:case_id>/transitions")
class CaseTransitionsView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.arguments(PageQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, CaseTransitionSchema(many=True))
    def get(self, case_id: uuid.UUID, cursor: str | None = None, limit: int | None = None) -> Any:
        """The case's status history, oldest first: from, to, when, by whom, why."""
        size = page_limit(limit)
        transitions = service.list_transitions(
            current_actor(), case_id, limit=size, after=decode_cursor(cursor, uuid.UUID)
        )
        return _page(transitions, size)

    @requires(scopes.CASES_WRITE)
    @accepts_headers("If-Match")
    @blp.arguments(CaseTransitionInSchema)
    @blp.response(200, CaseSchema)
    @blp.alt_response(403, description="The case belongs to another department.")
    @blp.alt_response(409, description="Not allowed now; allowed_transitions lists what is.")
    @blp.alt_response(412, description="The case changed since the If-Match version.")
    @blp.alt_response(428, description="If-Match is missing.")
    def post(self, data: dict[str, Any], case_id: uuid.UUID) -> Any:
        """Move the case to another status; requires If-Match with the ETag you read."""
        case = service.transition_case(
            current_actor(), case_id, required_version(), data["to"], data.get("reason")
        )
        return case, {"ETag": etag_for(case.version)}


@blp.route("/<uuid:case_id>/notes")
class CaseNotesView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.arguments(PageQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, CaseNoteSchema(many=True))
    def get(self, case_id: uuid.UUID, cursor: str | None = None, limit: int | None = None) -> Any:
        """The case's notes, oldest first."""
        size = page_limit(limit)
        notes = service.list_notes(
            current_actor(), case_id, limit=size, after=decode_cursor(cursor, uuid.UUID)
        )
        return _page(notes, size)

    @requires(scopes.CASES_WRITE)
    @blp.arguments(CaseNoteInSchema)
    @blp.response(201, CaseNoteSchema)
    @blp.alt_response(409, description="The case is closed; a closed case takes no notes.")
    def post(self, data: dict[str, Any], case_id: uuid.UUID) -> Any:
        """Add a note to the case."""
        return service.add_note(current_actor(), case_id, data["text"])


@blp.route("/<uuid:case_id>/interactions")
class CaseInteractionsView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.arguments(PageQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, InteractionSchema(many=True))
    def get(self, case_id: uuid.UUID, cursor: str | None = None, limit: int | None = None) -> Any:
        """The contacts linked to the case that you may see, latest first."""
        size = page_limit(limit)
        contacts = service.list_case_interactions(
            current_actor(), case_id, limit=size, after=decode_cursor(cursor, moment_and_id)
        )
        link = next_link(contacts, size, key=_contact_key)
        return contacts, ({"Link": link} if link else {})

    @requires(scopes.CASES_WRITE)
    @blp.arguments(CaseInteractionLinkSchema)
    @blp.response(201, InteractionSchema)
    @blp.alt_response(200, schema=InteractionSchema, description="It was already linked.")
    @blp.alt_response(409, description="The contact is linked to another case.")
    def post(self, data: dict[str, Any], case_id: uuid.UUID) -> Any:
        """Link a contact (interaction) to the case."""
        interaction, linked = service.link_interaction(
            current_actor(), case_id, data["interaction_id"]
        )
        return interaction, (201 if linked else 200)
