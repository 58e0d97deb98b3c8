"""Duplicate review, merge and undo endpoints: parse, authorise, call the service, serialise."""

from __future__ import annotations

import uuid
from typing import Any

from flask import request, url_for
from flask.views import MethodView

from cgcrm.core import scopes
from cgcrm.core.http import required_version
from cgcrm.core.openapi import Blueprint, accepts_headers
from cgcrm.core.pagination import decode_cursor, next_link, page_limit
from cgcrm.identity.guard import current_actor, requires
from cgcrm.matching import merging, review, unmerging
from cgcrm.matching.review_schemas import (
    DecisionSchema,
    DuplicatePairSchema,
    DuplicateQuerySchema,
    MergeRequestSchema,
    MergeSchema,
)

blp = Blueprint(
    "duplicates",
    __name__,
    url_prefix="/api/v1",
    description="Duplicate review: pairs of records that may be one person, merge and undo.",
)


def _score_and_id(key: str) -> tuple[float, uuid.UUID]:
    score, _, ident = key.partition("|")
    value = float(score)
    if not 0.0 <= value <= 1.0:
        raise ValueError("score out of range")
    return value, uuid.UUID(ident)


def _cursor_key(pair: Any) -> str:
    return f"{pair.score!r}|{pair.id}"


def _merge_headers(merge: Any) -> dict[str, str]:
    return {"Location": url_for("duplicates.MergeView", merge_id=merge.id)}


@blp.route("/duplicates")
class DuplicatesView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.doc(operationId="listDuplicatePairs")
    @blp.arguments(DuplicateQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, DuplicatePairSchema(many=True))
    def get(self, cursor: str | None = None, limit: int | None = None, **filters: Any) -> Any:
        """Review items (open by default), best score first, both records summarised."""
        size = page_limit(limit)
        after = decode_cursor(cursor, _score_and_id)
        pairs = review.list_pairs(current_actor(), limit=size, after=after, **filters)
        link = next_link(pairs, size, key=_cursor_key)
        return pairs, ({"Link": link} if link else {})


@blp.route("/duplicates/<uuid:pair_id>")
class DuplicateView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.doc(operationId="getDuplicatePair")
    @blp.response(200, DuplicatePairSchema)
    def get(self, pair_id: uuid.UUID) -> Any:
        """One review item with both records summarised."""
        return review.get_pair(current_actor(), pair_id)


@blp.route("/duplicates/<uuid:pair_id>/dismiss")
class DismissView(MethodView):
    @requires(scopes.CITIZENS_WRITE)
    @blp.doc(operationId="dismissDuplicatePair")
    @blp.arguments(DecisionSchema)
    @blp.response(200, DuplicatePairSchema)
    @blp.alt_response(409, description="The pair is not open (dismissed or merged already).")
    def post(self, _: dict[str, Any], pair_id: uuid.UUID) -> Any:
        """Decide that the two records are different people."""
        return review.dismiss_pair(current_actor(), pair_id)


@blp.route("/citizens/<uuid:citizen_id>/merge")
class MergeCitizensView(MethodView):
    @requires(scopes.CITIZENS_WRITE)
    @blp.doc(operationId="mergeCitizens")
    @accepts_headers("If-Match")
    @blp.arguments(MergeRequestSchema)
    @blp.response(201, MergeSchema)
    @blp.alt_response(
        403, description="A record holds contacts or cases of departments you may not see."
    )
    @blp.alt_response(
        409,
        description="A record was merged already (merged_into and live_record name where its "
        "person lives), or the records hold different identifiers of one system.",
    )
    @blp.alt_response(412, description="The survivor changed since the If-Match version.")
    def post(self, data: dict[str, Any], citizen_id: uuid.UUID) -> Any:
        """Merge a duplicate record into this one (If-Match optional: the survivor's ETag)."""
        expected = required_version() if request.headers.get("If-Match") else None
        merge = merging.merge_citizens(
            current_actor(), citizen_id, data["duplicate_id"], data.get("fields"), expected
        )
        return merge, _merge_headers(merge)


@blp.route("/merges/<uuid:merge_id>")
class MergeView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.doc(operationId="getMerge")
    @blp.response(200, MergeSchema)
    def get(self, merge_id: uuid.UUID) -> Any:
        """One merge: the two records, the field choices, what moved, whether it was undone."""
        return merging.get_merge(current_actor(), merge_id)


@blp.route("/merges/<uuid:merge_id>/undo")
class UndoMergeView(MethodView):
    @requires(scopes.CITIZENS_WRITE)
    @blp.doc(operationId="undoMerge")
    @blp.arguments(DecisionSchema)
    @blp.response(200, MergeSchema)
    @blp.alt_response(
        409,
        description="Undone already, or a record changed since the merge (errors says what).",
    )
    def post(self, _: dict[str, Any], merge_id: uuid.UUID) -> Any:
        """Part the two records again, exactly as they were before the merge."""
        return unmerging.undo_merge(current_actor(), merge_id)
