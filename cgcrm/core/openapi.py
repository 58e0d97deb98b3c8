"""The OpenAPI document: the contract a department's generated client relies on.

Routes declare what only they know (schemas with ``@blp.arguments``/``@blp.response``, scopes
with ``@requires``, extra responses with ``@blp.alt_response``, extra request headers with
``@accepts_headers``); everything that follows from our conventions is added by one mechanism,
``cgcrm.core.openapi_contract``, so a new route is described completely without repeating it:
operationIds, per-operation scopes, the common request and response headers, and every error
response (problem+json) the conventions can produce.
"""

from __future__ import annotations

import copy
import http
from collections.abc import Callable
from typing import Any, TypeVar

import flask_smorest
from flask import Flask, Response, current_app
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import INCLUDE, Schema, fields, validate

from cgcrm.core.openapi_contract import (
    HEADER_PARAMETERS,
    REQUEST_HEADERS_ATTR,
    ContractPlugin,
    ScopeResolver,
    problem_response_headers,
)
from cgcrm.core.openapi_document import finalize_document

F = TypeVar("F", bound=Callable[..., Any])


class ProblemSchema(Schema):
    """RFC 9457 problem details, with the extension members the API sends."""

    class Meta:
        # RFC 9457 §3.2: clients must ignore extension members they do not know.
        unknown = INCLUDE

    type = fields.String(
        required=True,
        metadata={
            "description": "URI identifying the problem type",
            "example": "https://cgcrm.example/problems/not-found",
        },
    )
    title = fields.String(required=True, metadata={"example": "Not found"})
    status = fields.Integer(required=True, metadata={"example": 404})
    detail = fields.String(required=True, metadata={"example": "no citizen with id …"})
    errors = fields.Dict(
        metadata={
            "description": "field -> messages, for invalid input (422, 400)",
            "example": {"given_name": ["Missing data for required field."]},
        }
    )
    required_scopes = fields.List(
        fields.String(),
        metadata={"description": "the scopes the operation needs (403 insufficient_scope)"},
    )
    current_version = fields.Integer(
        metadata={"description": "the resource's version now (412 on a stale If-Match)"}
    )
    allowed_transitions = fields.List(
        fields.String(), metadata={"description": "the statuses a case may move to now (409)"}
    )
    merged_into = fields.UUID(
        metadata={"description": "the record a merged citizen was merged into (409)"}
    )
    live_record = fields.UUID(
        allow_none=True,
        metadata={"description": "the live record at the end of its merge chain (409)"},
    )
    retry_after = fields.Integer(
        metadata={"description": "seconds until a retry may succeed (429, 503)"}
    )


def accepts_headers(*names: str) -> Callable[[F], F]:
    """Declare request headers a view honours beyond those every operation documents.

    ``X-Request-ID`` is documented on every operation and ``If-Match`` on every PATCH;
    a view names the others it reads: ``Idempotency-Key``, ``X-Access-Reason``, ``If-Match``.
    """
    unknown = set(names) - set(HEADER_PARAMETERS)
    if unknown:
        raise ValueError(f"no documentation for request headers {sorted(unknown)}")

    def mark(view: F) -> F:
        setattr(view, REQUEST_HEADERS_ATTR, frozenset(names))
        return view

    return mark


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, with each argument schema built once instead of per request.

    Given a schema class, webargs instantiates it on every request, and marshmallow deep-copies
    every declared field each time: a third of a millisecond per call on the busiest routes. Our
    schemas keep no per-request state, so one instance serves every request.
    """

    def arguments(self, schema: type[Schema] | Schema, *args: Any, **kwargs: Any) -> Any:
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)


class CgcrmApi(Api):
    ERROR_SCHEMA = ProblemSchema
    # Every error an operation can answer is listed by status (ContractPlugin), not as a
    # catch-all "default", so that a client gets a typed problem for each.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, app: Flask, *, operation_scopes: ScopeResolver) -> None:
        self._contract = ContractPlugin(app, operation_scopes)
        super().__init__(app, spec_kwargs={"extra_plugins": [self._contract]})
        self.ma_plugin.converter.add_attribute_function(_field_constraints)

    def _register_responses(self) -> None:
        """Document error responses as the application/problem+json they are."""
        self._contract.register_components(self.spec)
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            content_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                content_type = "application/problem+json"
            prepare_response(response, self.spec, content_type)
            if status >= 400:
                response["headers"] = problem_response_headers(status)
                response["content"][content_type]["example"] = _problem_example(status)
            self.spec.components.response(status.name, response, lazy=True)

    def document_paths(
        self, paths: dict[str, Any], security_schemes: dict[str, Any] | None = None
    ) -> None:
        """Add operations of plain Flask views (written out by hand) to the document."""
        self._extra_paths = {**getattr(self, "_extra_paths", {}), **paths}
        self._extra_schemes = {**getattr(self, "_extra_schemes", {}), **(security_schemes or {})}

    def document(self) -> dict[str, Any]:
        """The finished OpenAPI document (built once per application)."""
        cached: dict[str, Any] | None = getattr(self, "_document", None)
        if cached is None:
            built = self.spec.to_dict()
            built["paths"].update(copy.deepcopy(getattr(self, "_extra_paths", {})))
            schemes = built["components"].setdefault("securitySchemes", {})
            schemes.update(getattr(self, "_extra_schemes", {}))
            cached = self._document = finalize_document(built)
        return cached

    def _openapi_json(self) -> Response:
        return current_app.response_class(
            current_app.json.dumps(self.document(), indent=2), mimetype="application/json"
        )


def _field_constraints(converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """Constraints our own fields enforce that apispec cannot read from validators.

    A field class of ours says what it accepts with a ``json_schema()`` method (see ``Text``):
    the document then promises exactly that, and the schema fuzzer holds the field to it.
    """
    describe = getattr(field, "json_schema", None)
    if callable(describe):
        described: dict[str, Any] = describe()
        return described
    if isinstance(field, fields.Dict) and field.key_field is not None:
        choices = [v for v in field.key_field.validators if isinstance(v, validate.OneOf)]
        if choices:
            return {"propertyNames": {"enum": list(choices[0].choices)}}
    return {}


def _problem_example(status: http.HTTPStatus) -> dict[str, Any]:
    slug = status.phrase.lower().replace(" ", "-")
    return {
        "type": f"https://cgcrm.example/problems/{slug}",
        "title": status.phrase,
        "status": int(status),
        "detail": f"{status.phrase.lower()}: see the documentation of this operation",
    }
