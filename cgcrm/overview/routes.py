"""The 360 view endpoint: parse, authorise, call the service, serialise.

Its URL stays under ``/api/v1/citizens``: clients see one resource tree, whatever package
composes the answer.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from cgcrm.core import scopes
from cgcrm.core.http import access_reason
from cgcrm.core.openapi import Blueprint, accepts_headers
from cgcrm.identity.guard import current_actor, requires
from cgcrm.overview.schemas import OverviewSchema
from cgcrm.overview.service import citizen_overview

blp = Blueprint(
    "overview",
    __name__,
    url_prefix="/api/v1/citizens",
    description="The 360 view: one citizen's record, open cases and contacts across channels.",
)


@blp.route("/<uuid:citizen_id>/overview")
class CitizenOverviewView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @accepts_headers("X-Access-Reason")
    @blp.response(200, OverviewSchema)
    def get(self, citizen_id: uuid.UUID) -> Any:
        """The 360 view: record, open cases with SLA state, and contacts across every channel."""
        return citizen_overview(current_actor(), citizen_id, reason=access_reason())
