"""Citizen endpoints: parse, authorise, call the service, serialise."""

from __future__ import annotations

import uuid
from typing import Any

from flask import url_for
from flask.views import MethodView

from cgcrm.citizens import match_links, search, service
from cgcrm.citizens.schemas import (
    AuditEventSchema,
    AuditQuerySchema,
    CitizenCreateQuerySchema,
    CitizenCreateSchema,
    CitizenPatchSchema,
    CitizenQuerySchema,
    CitizenSchema,
    CitizenSearchQuerySchema,
    ConsentRecordSchema,
    ConsentSchema,
    SearchResultSchema,
)
from cgcrm.core import scopes
from cgcrm.core.http import access_reason, etag_for, required_version
from cgcrm.core.idempotent_route import run_idempotent
from cgcrm.core.openapi import Blueprint, accepts_headers
from cgcrm.core.pagination import decode_cursor, next_link, page_limit
from cgcrm.identity.guard import current_actor, requires

WITHHELD_HEADER = "Withheld-Count"

blp = Blueprint(
    "citizens",
    __name__,
    url_prefix="/api/v1/citizens",
    description="The unified citizen record, shared by every channel and department.",
)


def _record_headers(citizen: Any) -> dict[str, str]:
    return {
        "ETag": etag_for(citizen.version),
        "Location": url_for("citizens.CitizenView", citizen_id=citizen.id),
    }


@blp.route("")
class CitizensView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.arguments(CitizenQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, CitizenSchema(many=True))
    def get(self, cursor: str | None = None, limit: int | None = None, **filters: Any) -> Any:
        """List citizens, oldest first, optionally by identifier (SYSTEM:VALUE) or status."""
        size = page_limit(limit)
        citizens = service.list_citizens(
            current_actor(), limit=size, after=decode_cursor(cursor, uuid.UUID), **filters
        )
        link = next_link(citizens, size)
        return citizens, ({"Link": link} if link else {})

    @requires(scopes.CITIZENS_WRITE)
    @accepts_headers("Idempotency-Key")
    @blp.arguments(CitizenCreateQuerySchema, location="query", as_kwargs=True)
    @blp.arguments(CitizenCreateSchema)
    @blp.response(201, CitizenSchema)
    @blp.alt_response(
        200,
        schema=CitizenSchema,
        description="on_match=link and the person is already recorded: the existing record.",
    )
    @blp.alt_response(
        409,
        description="The person is already recorded (existing_citizen_id names the record), "
        "an identifier belongs to another citizen, or the Idempotency-Key is in use by a "
        "request still running.",
    )
    def post(self, data: dict[str, Any], on_match: str = "reject") -> Any:
        """Create a citizen record unless already recorded (Idempotency-Key makes retries safe)."""
        actor = current_actor()
        try:
            return run_idempotent(
                actor,
                {"body": data, "on_match": on_match} if on_match != "reject" else data,
                lambda hook: service.create_citizen(
                    actor, data, before_commit=hook, on_match=on_match
                ),
                CitizenSchema,
                _record_headers,
            )
        except match_links.ExistingRecord as existing:
            citizen = service.get_citizen(actor, existing.citizen_id, reason="on_match=link")
            return citizen, 200, _record_headers(citizen)


@blp.route("/search")
class CitizenSearchView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.doc(operationId="searchCitizens")
    @blp.arguments(CitizenSearchQuerySchema, location="query")
    @blp.response(200, SearchResultSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Find citizens despite typos, by name, email, phone or identifier."""
        return search.search_citizens(
            current_actor(),
            q=args.get("q"),
            date_of_birth=args.get("date_of_birth"),
            postcode=args.get("postcode"),
            limit=args.get("limit") or 20,
        )


@blp.route("/<uuid:citizen_id>")
class CitizenView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @accepts_headers("X-Access-Reason")
    @blp.response(200, CitizenSchema)
    def get(self, citizen_id: uuid.UUID) -> Any:
        """Read a citizen record (send X-Access-Reason to record why)."""
        citizen = service.get_citizen(current_actor(), citizen_id, reason=access_reason())
        return citizen, {"ETag": etag_for(citizen.version)}

    @requires(scopes.CITIZENS_WRITE)
    @blp.arguments(CitizenPatchSchema)
    @blp.response(200, CitizenSchema)
    @blp.alt_response(
        409,
        description="The record was merged into another (merged_into names it), or an "
        "identifier belongs to another citizen.",
    )
    @blp.alt_response(412, description="The record changed since the If-Match version.")
    @blp.alt_response(428, description="If-Match is missing.")
    def patch(self, changes: dict[str, Any], citizen_id: uuid.UUID) -> Any:
        """Change a citizen record; requires If-Match with the ETag you read."""
        citizen = service.update_citizen(current_actor(), citizen_id, required_version(), changes)
        return citizen, {"ETag": etag_for(citizen.version)}


@blp.route("/<uuid:citizen_id>/consents")
class ConsentsView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.response(200, ConsentSchema(many=True))
    def get(self, citizen_id: uuid.UUID) -> Any:
        """Every consent decision of a citizen, oldest first."""
        return service.consent_history(current_actor(), citizen_id)

    @requires(scopes.CITIZENS_WRITE)
    @blp.arguments(ConsentRecordSchema)
    @blp.response(201, ConsentSchema)
    def post(self, data: dict[str, Any], citizen_id: uuid.UUID) -> Any:
        """Record that a citizen granted or withdrew consent for a purpose."""
        return service.record_consent(current_actor(), citizen_id, data)


@blp.route("/<uuid:citizen_id>/audit")
class CitizenAuditView(MethodView):
    @requires(scopes.AUDIT)
    @blp.arguments(AuditQuerySchema, location="query", as_kwargs=True)
    @blp.response(
        200,
        AuditEventSchema(many=True),
        headers={
            WITHHELD_HEADER: {
                "description": "How many entries about other departments' records the caller "
                "may not see were left out of the whole trail.",
                "schema": {"type": "integer", "minimum": 0},
                "required": True,
                "example": 0,
            }
        },
    )
    def get(
        self, citizen_id: uuid.UUID, cursor: str | None = None, limit: int | None = None
    ) -> Any:
        """Who read or changed this record, when, why, in which request."""
        size = page_limit(limit)
        page = service.audit_trail(
            current_actor(), citizen_id, limit=size, after=decode_cursor(cursor, int)
        )
        # Entries about other departments' records the caller may not see, as the 360 view's
        # ``withheld`` counts them (a list body has no room for it).
        headers = {WITHHELD_HEADER: str(page.withheld)}
        link = next_link(page.events, size, key=lambda e: e.seq)
        if link:
            headers["Link"] = link
        return page.events, headers
