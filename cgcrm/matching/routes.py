"""Identity resolution endpoints: parse, authorise, call the service, serialise."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from cgcrm.core import scopes
from cgcrm.core.openapi import Blueprint
from cgcrm.identity.guard import current_actor, requires
from cgcrm.matching import service
from cgcrm.matching.schemas import MatchRequestSchema, MatchResultSchema

blp = Blueprint(
    "matching",
    __name__,
    url_prefix="/api/v1/citizens",
    description="Identity resolution: is this person already recorded?",
)


@blp.route("/match")
class CitizenMatchView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.doc(operationId="matchCitizen")
    @blp.arguments(MatchRequestSchema)
    @blp.response(200, MatchResultSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Find the records that may be this person, best first, with why."""
        return {"candidates": service.match_citizen(current_actor(), body)}
