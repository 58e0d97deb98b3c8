"""Interaction endpoints: parse, authorise, call the service, serialise."""

from __future__ import annotations

import uuid
from typing import Any

from flask import url_for
from flask.views import MethodView

from cgcrm.core import scopes
from cgcrm.core.idempotent_route import run_idempotent
from cgcrm.core.openapi import Blueprint, accepts_headers
from cgcrm.core.pagination import (
    decode_cursor,
    moment_and_id,
    moment_and_id_key,
    next_link,
    page_limit,
)
from cgcrm.identity.guard import current_actor, requires
from cgcrm.interactions import service
from cgcrm.interactions.models import Interaction
from cgcrm.interactions.schemas import (
    InteractionCreateSchema,
    InteractionQuerySchema,
    InteractionSchema,
)

blp = Blueprint(
    "interactions",
    __name__,
    url_prefix="/api/v1/interactions",
    description="Every contact on every channel: phone, counter, web, mail and the rest.",
)


def _cursor_key(interaction: Interaction) -> str:
    return moment_and_id_key(interaction.started_at, interaction.id)


def _location(interaction: Interaction) -> dict[str, str]:
    return {"Location": url_for("interactions.InteractionView", interaction_id=interaction.id)}


@blp.route("")
class InteractionsView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.arguments(InteractionQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, InteractionSchema(many=True))
    def get(self, cursor: str | None = None, limit: int | None = None, **filters: Any) -> Any:
        """List the contacts you may see, latest first, by citizen, service, channel or period."""
        size = page_limit(limit)
        interactions = service.list_interactions(
            current_actor(), limit=size, after=decode_cursor(cursor, moment_and_id), **filters
        )
        link = next_link(interactions, size, key=_cursor_key)
        return interactions, ({"Link": link} if link else {})

    @requires(scopes.INTERACTIONS_WRITE)
    @accepts_headers("Idempotency-Key")
    @blp.arguments(InteractionCreateSchema)
    @blp.response(201, InteractionSchema)
    @blp.alt_response(409, description="The Idempotency-Key is in use by a running request.")
    def post(self, data: dict[str, Any]) -> Any:
        """Record a contact (send Idempotency-Key so a retry never counts twice)."""
        actor = current_actor()
        return run_idempotent(
            actor,
            data,
            lambda hook: service.record_interaction(actor, data, before_commit=hook),
            InteractionSchema,
            _location,
        )


@blp.route("/<uuid:interaction_id>")
class InteractionView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.response(200, InteractionSchema)
    def get(self, interaction_id: uuid.UUID) -> Any:
        """Read one contact."""
        return service.get_interaction(current_actor(), interaction_id)
