"""Duplicate scan endpoints: start a scan of the whole population, watch its progress."""

from __future__ import annotations

import uuid
from typing import Any

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields

from cgcrm.core import scopes
from cgcrm.core.openapi import Blueprint
from cgcrm.identity.guard import current_actor, requires
from cgcrm.matching import scan_service

blp = Blueprint(
    "duplicate_scans",
    __name__,
    url_prefix="/api/v1/duplicates/scans",
    description="The duplicate scan: every record scored against the others (blocked), "
    "pairs that may be one person filed for review.",
)


class DuplicateScanSchema(Schema):
    id = fields.UUID()
    status = fields.String(metadata={"description": "queued, running, completed or failed"})
    model_version = fields.Integer(allow_none=True)
    records_total = fields.Integer(
        allow_none=True,
        metadata={"description": "null until the job has found the candidate pairs"},
    )
    records_done = fields.Integer(
        metadata={"description": "records (in id order) whose pairs with later ones are scored"}
    )
    pairs_compared = fields.Integer(
        metadata={"description": "candidate pairs scored so far (blocked: a few per record)"}
    )
    pairs_filed = fields.Integer(
        metadata={"description": "new review items (pairs filed before by any path excluded)"}
    )
    error = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)


class NoBodySchema(Schema):
    """A scan takes no parameters: it covers every active record."""


@blp.route("")
class DuplicateScansView(MethodView):
    @requires(scopes.ADMIN)
    @blp.arguments(NoBodySchema)
    @blp.response(202, DuplicateScanSchema)
    @blp.alt_response(409, description="A scan is queued or running already.")
    @blp.doc(operationId="startDuplicateScan")
    def post(self, _body: dict[str, Any]) -> Any:
        """Start a scan of the whole population for duplicates (a job; one at a time)."""
        scan = scan_service.request_scan(current_actor())
        return scan, {"Location": url_for("duplicate_scans.DuplicateScanView", scan_id=scan.id)}


@blp.route("/<uuid:scan_id>")
class DuplicateScanView(MethodView):
    @requires(scopes.CITIZENS_WRITE)
    @blp.response(200, DuplicateScanSchema)
    @blp.doc(operationId="getDuplicateScan")
    def get(self, scan_id: uuid.UUID) -> Any:
        """A duplicate scan's progress."""
        return scan_service.get_scan(scan_id)
