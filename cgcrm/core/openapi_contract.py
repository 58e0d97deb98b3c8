"""An apispec plugin that writes our API conventions (DESIGN.md §3) into every operation.

For each operation flask-smorest documents, from the route's view and its declared schemas:

- ``operationId``: camelCase from the view class and method (``CitizenView.get`` ->
  ``getCitizen``, ``CitizensView.get`` -> ``listCitizens``, ``CitizensView.post`` ->
  ``createCitizen``, ``patch`` -> ``updateCitizen``); ``@blp.doc(operationId=...)`` overrides;
- ``security``: the scopes of the view's ``@requires(...)`` (preceded by ``{}``, no
  credentials, when the view ``@allows_anonymous``);
- request headers: ``X-Request-ID`` everywhere, ``If-Match`` (required) on every PATCH, and
  whatever the view names with ``@accepts_headers``;
- response headers: ``X-Request-ID`` and the rate-limit headers on every response, ``ETag`` on
  a success whose body has a ``version``, ``Location`` on a 201, ``Link`` on a list,
  ``Idempotent-Replayed`` where ``Idempotency-Key`` is honoured, ``Retry-After`` on 429/503,
  ``WWW-Authenticate`` on 401;
- error responses (problem+json): 400, 401, 403, 429 and 503 on every operation; 404 with a path
  parameter; 413, 415 and 422 with a body; 422 with query arguments; 412 and 428 with
  ``If-Match``; 409 and 422 with ``Idempotency-Key``; 422 with ``X-Access-Reason``. A route
  adds others with ``@blp.alt_response(<status>, description=...)``; its body is filled in as a
  problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from apispec import APISpec, BasePlugin
from flask import Flask

from cgcrm.core.access import anonymous_allowed

ScopeResolver = Callable[[Flask, str, str], "frozenset[str] | None"]
REQUEST_HEADERS_ATTR = "_cgcrm_request_headers"
PROBLEM_JSON = "application/problem+json"

HEADER_PARAMETERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "Correlates logs across systems; echoed back, or one is generated. "
        "Up to 64 of A-Z a-z 0-9 . _ : - (anything else is replaced).",
        "schema": {"type": "string"},
        "example": "3f1c2a9e-req",
    },
    "If-Match": {
        "description": "The ETag of the version you read; a stale one answers 412, none 428.",
        "schema": {"type": "string", "pattern": '^"v[0-9]{1,18}"$'},
        "example": '"v1"',
    },
    "Idempotency-Key": {
        "description": "Makes a retry safe: the same key with the same body replays the first "
        "response (Idempotent-Replayed: true); with another body 422; while the first is still "
        "running 409. Keys live 24 h.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[ -~]+$"},
        "example": "9b2f0c4e-create-citizen-1",
    },
    "X-Access-Reason": {
        "description": "Why you read this record; recorded in the audit trail, so held to the "
        "rules of free text (no control or format characters, at most 200 characters once "
        "trimmed): a reason that breaks them is a 422 naming the header. Sent as UTF-8; this "
        "schema admits printable ASCII, which every HTTP stack carries unchanged.",
        "schema": {"type": "string", "maxLength": 200, "pattern": "^[ -~]*$"},
        "example": "citizen called about a rates notice",
    },
}

# Response headers, registered as components and referenced by name.
RESPONSE_HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id (the caller's, or generated).",
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": "The quota that applies: `<limit>;w=<window seconds>`.",
        "schema": {"type": "string"},
        "example": "100;w=60",
    },
    "RateLimit": {
        "description": "The quota left: `limit=<n>, remaining=<n>, reset=<seconds>`.",
        "schema": {"type": "string"},
        "example": "limit=100, remaining=99, reset=60",
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
        "example": 1,
    },
    "WWW-Authenticate": {
        "description": "The bearer challenge (RFC 6750), with `error` when a token was sent.",
        "schema": {"type": "string"},
        "example": 'Bearer realm="cgcrm", error="invalid_token"',
    },
    "ETag": {
        "description": "The version of the resource in this response; send it as If-Match.",
        "schema": {"type": "string", "pattern": '^"v[0-9]+"$'},
        "example": '"v1"',
    },
    "Location": {
        "description": "The URL of the created resource.",
        "schema": {"type": "string"},
    },
    "Link": {
        "description": 'The next page, when there is one: `<url>; rel="next"`.',
        "schema": {"type": "string"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response of an earlier request with "
        "the same Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Allow": {"description": "The methods the resource supports.", "schema": {"type": "string"}},
}
_EVERY_RESPONSE = ("X-Request-ID", "RateLimit-Policy", "RateLimit")
_REQUIRED_ON = {("Retry-After", 429), ("WWW-Authenticate", 401), ("Allow", 405)}
_OPTIONAL_ON = {("Retry-After", 503), ("WWW-Authenticate", 403)}


def _header_ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/headers/{name}"}


def _headers(names: list[str], required: set[str] | None = None) -> dict[str, Any]:
    """Header objects: a plain reference, or (when required) the component with required."""
    out: dict[str, Any] = {}
    for name in names:
        if required and name in required:
            out[name] = {**RESPONSE_HEADERS[name], "required": True}
        else:
            out[name] = _header_ref(name)
    return out


def problem_response_headers(status: int) -> dict[str, Any]:
    """The headers of an error response with ``status``."""
    names = list(_EVERY_RESPONSE)
    required = {"X-Request-ID"}
    for name, on in _REQUIRED_ON | _OPTIONAL_ON:
        if on == status:
            names.append(name)
            if (name, on) in _REQUIRED_ON:
                required.add(name)
    return _headers(names, required)


def _camel_words(name: str) -> list[str]:
    return re.findall(r"[A-Z][a-z0-9]*", name)


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def operation_id(view_name: str, method: str, returns_list: bool) -> str:
    """``getCitizen``, ``listCitizens``, ``createCitizen``... from a view class and method."""
    resource = view_name.removesuffix("View")
    words = _camel_words(resource) or [resource]
    if method == "get":
        verb = "list" if returns_list else "get"
    else:
        verb = {"post": "create", "patch": "update", "put": "replace", "delete": "delete"}[method]
        words[-1] = _singular(words[-1])
    return verb + "".join(words)


class ContractPlugin(BasePlugin):
    """Completes every operation with what our conventions imply (see the module docstring)."""

    def __init__(self, app: Flask, operation_scopes: ScopeResolver) -> None:
        self.app = app
        self.operation_scopes = operation_scopes
        self.spec: APISpec | None = None

    def init_spec(self, spec: APISpec) -> None:
        self.spec = spec

    def register_components(self, spec: APISpec) -> None:
        for name, header in RESPONSE_HEADERS.items():
            spec.components.header(name, header)

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        view_class = getattr(self.app.view_functions.get(rule.endpoint), "view_class", None)
        for method, operation in operations.items():
            handler = getattr(view_class, method, None)
            self._complete(rule, method, operation, handler)

    def _complete(self, rule: Any, method: str, operation: dict[str, Any], handler: Any) -> None:
        responses: dict[str, Any] = operation.setdefault("responses", {})
        for status in list(responses):  # smorest keys them by int or str
            responses[str(status)] = responses.pop(status)
        success = next((s for s in responses if s.startswith("2")), None)
        returns_list = success is not None and self._is_list(responses[success])
        view_name = rule.endpoint.rpartition(".")[2]
        operation.setdefault("operationId", operation_id(view_name, method, returns_list))

        scopes = self.operation_scopes(self.app, rule.endpoint, method.upper())
        operation["security"] = [{"oauth2": sorted(scopes or ())}]
        if anonymous_allowed(self.app, rule.endpoint, method.upper()):
            operation["security"].insert(0, {})  # no credentials at all, or these

        headers = {"X-Request-ID"} | set(getattr(handler, REQUEST_HEADERS_ATTR, ()))
        if method == "patch":
            headers.add("If-Match")
        parameters = operation.setdefault("parameters", [])
        for name in sorted(headers):
            parameter = {"in": "header", "name": name, **HEADER_PARAMETERS[name]}
            if name == "If-Match":
                parameter["required"] = True
            parameters.append(parameter)

        statuses = {"400", "401", "403", "429", "503"}
        if rule.arguments:
            statuses.add("404")
        if "requestBody" in operation:
            statuses |= {"413", "415", "422"}
        if any(p.get("in") == "query" for p in parameters):
            statuses.add("422")
        if "If-Match" in headers:
            statuses |= {"412", "428"}
        if "Idempotency-Key" in headers:
            statuses |= {"409", "422"}
        if "X-Access-Reason" in headers:  # a reason that is not acceptable text
            statuses.add("422")
        for status in sorted(statuses):
            responses.setdefault(status, self._problem_name(status))
        for status, response in responses.items():
            if isinstance(response, dict) and str(status) >= "400":
                self._fill_problem(str(status), response)
            elif isinstance(response, dict) and str(status).startswith("2"):
                self._add_success_headers(str(status), response, returns_list, headers)

    @staticmethod
    def _problem_name(status: str) -> str:
        import http

        return http.HTTPStatus(int(status)).name

    def _fill_problem(self, status: str, response: dict[str, Any]) -> None:
        """An alt_response that gave only a description gets the problem body and headers."""
        if "content" not in response:
            response["content"] = {
                PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
            }
        response.setdefault("headers", problem_response_headers(int(status)))

    def _add_success_headers(
        self, status: str, response: dict[str, Any], returns_list: bool, request_headers: set[str]
    ) -> None:
        names = list(_EVERY_RESPONSE)
        if self._has_version(response):
            names.append("ETag")
        if status == "201":
            names.append("Location")
        if returns_list:
            names.append("Link")
        if "Idempotency-Key" in request_headers:
            names.append("Idempotent-Replayed")
        existing = response.setdefault("headers", {})
        for name, header in _headers(names, {"X-Request-ID"}).items():
            existing.setdefault(name, header)

    def _schema_of(self, response: dict[str, Any]) -> dict[str, Any] | None:
        content = response.get("content") or {}
        media = content.get("application/json") or {}
        schema = media.get("schema")
        return schema if isinstance(schema, dict) else None

    def _is_list(self, response: Any) -> bool:
        schema = self._schema_of(response) if isinstance(response, dict) else None
        return bool(schema and schema.get("type") == "array")

    def _has_version(self, response: dict[str, Any]) -> bool:
        schema = self._schema_of(response)
        if not schema or "$ref" not in schema or self.spec is None:
            return False
        name = schema["$ref"].rpartition("/")[2]
        component = self.spec.components.schemas.get(name) or {}
        return "version" in (component.get("properties") or {})
