"""``GET /api/v1/me`` (who the caller is) and disabling a staff user (admin)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from cgcrm.core import scopes
from cgcrm.core.access import current_actor, requires
from cgcrm.core.fields import Text
from cgcrm.core.openapi import Blueprint
from cgcrm.extensions import db
from cgcrm.identity import service
from cgcrm.identity.models import OAuthClient, StaffUser

blp = Blueprint(
    "identity", __name__, url_prefix="/api/v1", description="Who the caller is; staff users."
)


class MeSchema(Schema):
    kind = fields.String(metadata={"description": "client or user"})
    id = fields.String(metadata={"description": "The client id, or the staff user's UUID."})
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    department = fields.String(allow_none=True, metadata={"description": "Department code."})
    department_id = fields.UUID(allow_none=True)
    roles = fields.List(fields.String(), metadata={"description": "Staff roles (users only)."})
    scopes = fields.List(fields.String(), metadata={"description": "Scopes of this token."})


class StaffUserSchema(Schema):
    id = fields.UUID()
    email = fields.String()
    display_name = fields.String()
    department = fields.String(attribute="department.code", allow_none=True)
    roles = fields.List(fields.String(), attribute="role_names")
    active = fields.Boolean()
    disabled_at = fields.DateTime(allow_none=True)


@blp.route("/me")
class MeView(MethodView):
    @requires()
    @blp.response(200, MeSchema)
    def get(self) -> Any:
        """Who the caller is: kind, department, roles and the scopes of this token."""
        principal = current_actor().principal
        answer: dict[str, Any] = {
            "kind": principal.kind,
            "id": principal.id,
            "name": None,
            "email": None,
            "department": principal.department_code,
            "department_id": principal.department_id,
            "roles": [],
            "scopes": sorted(principal.scopes),
        }
        if principal.kind == "user":
            user = db.session.get(StaffUser, uuid.UUID(principal.id))
            if user is not None:
                answer |= {"name": user.display_name, "email": user.email}
                answer["roles"] = user.role_names
        else:
            client = db.session.scalar(
                db.select(OAuthClient).where(OAuthClient.client_id == principal.id)
            )
            answer["name"] = client.name if client is not None else None
        return answer


class DisableSchema(Schema):
    reason = Text(max_length=500, metadata={"description": "Why, for the security event."})


@blp.route("/staff-users/<uuid:user_id>/disable")
class DisableView(MethodView):
    @requires(scopes.ADMIN)
    @blp.arguments(DisableSchema)
    @blp.response(200, StaffUserSchema)
    @blp.alt_response(404, description="No such staff user.")
    def post(self, data: dict[str, Any], user_id: uuid.UUID) -> Any:
        """Disable a staff user: no more sign-ins; refresh tokens revoked at once, access
        tokens within the revocation window."""
        return service.disable_user(
            user_id, by=current_actor().principal.ref, reason=data.get("reason")
        )
