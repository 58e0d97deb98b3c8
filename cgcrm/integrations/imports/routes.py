"""Bulk import endpoints: send a file, watch its job, read its rows."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, request, url_for
from flask.views import MethodView

from cgcrm.core import scopes
from cgcrm.core.errors import UnsupportedMediaType
from cgcrm.core.http import accepts_bodies
from cgcrm.core.openapi import Blueprint
from cgcrm.core.pagination import decode_cursor, next_link, page_limit
from cgcrm.identity.guard import current_actor, requires
from cgcrm.integrations.imports import parsing, service
from cgcrm.integrations.imports.schemas import (
    ImportQuerySchema,
    ImportRowQuerySchema,
    ImportRowSchema,
    ImportSchema,
)

blp = Blueprint(
    "imports",
    __name__,
    url_prefix="/api/v1/imports",
    description="Bulk import of a department's citizen records: validated, matched against the "
    "population and the file's earlier rows, then created, linked or sent to review.",
)

_FILE_BODY = {
    "required": True,
    "description": "The file itself, as the body: CSV with a header row (see the mapping "
    "parameter) or NDJSON, one citizen create body per line. At most IMPORT_MAX_BYTES "
    "(50 MB by default).",
    "content": {
        parsing.CSV_TYPE: {"schema": {"type": "string", "minLength": 1}},
        parsing.NDJSON_TYPE: {"schema": {"type": "string", "minLength": 1}},
    },
}


@blp.route("")
class ImportsView(MethodView):
    @requires(scopes.CITIZENS_WRITE)
    @accepts_bodies(parsing.CSV_TYPE, parsing.NDJSON_TYPE)
    @blp.arguments(ImportQuerySchema, location="query")
    @blp.response(202, ImportSchema)
    @blp.alt_response(413, description="The file is larger than IMPORT_MAX_BYTES.")
    @blp.alt_response(415, description="The body is neither text/csv nor application/x-ndjson.")
    @blp.doc(operationId="createImport", requestBody=_FILE_BODY)
    def post(self, args: dict[str, Any]) -> Any:
        """Import a file of citizens (CSV with a column mapping, or NDJSON); runs as a job."""
        if request.mimetype not in parsing.FORMATS:
            raise UnsupportedMediaType("send the file as text/csv or application/x-ndjson")
        # Every other request is held to 1 MB; a department's file may be far larger.
        request.max_content_length = int(current_app.config["IMPORT_MAX_BYTES"])
        created = service.request_import(
            current_actor(),
            request.get_data(cache=False),
            request.mimetype,
            mapping=args.get("mapping"),
            file_name=args.get("file_name"),
        )
        return created, {"Location": url_for("imports.ImportView", import_id=created.id)}


@blp.route("/<uuid:import_id>")
class ImportView(MethodView):
    @requires(scopes.CITIZENS_WRITE)
    @blp.response(200, ImportSchema)
    @blp.doc(operationId="getImport")
    def get(self, import_id: uuid.UUID) -> Any:
        """An import's status, progress and counts per outcome."""
        return service.get_import(current_actor(), import_id)


@blp.route("/<uuid:import_id>/rows")
class ImportRowsView(MethodView):
    @requires(scopes.CITIZENS_WRITE)
    @blp.arguments(ImportRowQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, ImportRowSchema(many=True))
    @blp.doc(operationId="listImportRows")
    def get(
        self,
        import_id: uuid.UUID,
        cursor: str | None = None,
        limit: int | None = None,
        outcome: str | None = None,
    ) -> Any:
        """The rows of an import and their outcomes (?outcome=rejected: numbers and reasons)."""
        size = page_limit(limit)
        rows = service.list_import_rows(
            current_actor(),
            import_id,
            limit=size,
            after=decode_cursor(cursor, int),
            outcome=outcome,
        )
        link = next_link(rows, size, key=lambda row: row.row_number)
        return rows, ({"Link": link} if link else {})
