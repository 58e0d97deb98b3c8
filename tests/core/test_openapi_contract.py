"""The OpenAPI document as a contract: what every operation must say, checked for all of them."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask

from cgcrm.core import scopes
from cgcrm.core.access import anonymous_allowed
from cgcrm.identity.guard import PUBLIC_ENDPOINTS, declared_scopes

CAMEL_CASE = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)+$")
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def _operations(
    document: dict[str, Any], api_only: bool = True
) -> list[tuple[str, str, dict[str, Any]]]:
    """The operations of the API (or also the OAuth, JWKS and health endpoints)."""
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS and (path.startswith("/api/") or not api_only)
    ]


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_every_operation_has_a_unique_camel_case_operation_id(document: dict[str, Any]) -> None:
    operations = _operations(document, api_only=False)
    ids = [operation.get("operationId") for _, _, operation in operations]
    assert all(ids), [f"{m} {p}" for p, m, o in operations if not o.get("operationId")]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(CAMEL_CASE.fullmatch(i) for i in ids), [i for i in ids if not CAMEL_CASE.match(i)]
    assert {"getCitizen", "listCitizens", "createCitizen", "updateCitizen"} <= set(ids)
    assert "createInteraction" in ids


def test_every_operation_names_the_scopes_its_guard_enforces(
    app: Flask, document: dict[str, Any]
) -> None:
    rules = {
        (
            rule.rule.replace("<uuid:", "{").replace("<string:", "{").replace(">", "}"),
            method,
        ): rule.endpoint
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
    }
    documented = set()
    for path, method, operation in _operations(document, api_only=False):
        endpoint = rules[(path, method.upper())]
        documented.add(endpoint)
        if endpoint in PUBLIC_ENDPOINTS:
            assert all("oauth2" not in s for s in operation["security"]), f"{method} {path}"
            continue
        expected = sorted(declared_scopes(app, endpoint, method.upper()) or ())
        # A view open to anonymous callers too says so: no credentials, or these scopes.
        anonymous = [{}] if anonymous_allowed(app, endpoint, method.upper()) else []
        assert operation["security"] == [*anonymous, {"oauth2": expected}], f"{method} {path}"
    # Every route is in the document, but the document itself and the pages for people: its
    # viewer, the citizen's survey page and the staff sign-in page.
    # The staff console's pages (cgcrm.console) are a web application of their own.
    routes = {r.endpoint for r in app.url_map.iter_rules() if not r.endpoint.startswith("console.")}
    assert routes - documented == {
        "api-docs.openapi_json",
        "api-docs.openapi_swagger_ui",
        "swagger_ui_assets.static",
        "static",
        "survey_pages.answer_form",
        "sandbox_pages.stylesheet",
        "sandbox_pages.card_page",
        "sandbox_pages.submit_card_details",
        "sandbox_pages.cancel_page",
        "sandbox_pages.cancel_payment",
        "signin.authorize_form",
        "signin.authorize_submit",
        "federation.start",
        "federation.callback",
    }


def test_the_security_scheme_describes_every_scope(document: dict[str, Any]) -> None:
    flow = document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert set(flow["scopes"]) == set(scopes.ALL_SCOPES)
    assert set(scopes.DESCRIPTIONS) == set(scopes.ALL_SCOPES), "describe every scope"
    assert all(flow["scopes"][scope] != scope for scope in scopes.ALL_SCOPES)


def test_every_error_is_a_problem_and_every_response_names_its_headers(
    document: dict[str, Any],
) -> None:
    for path, method, operation in _operations(document):
        label = f"{method} {path}"
        statuses = set(operation["responses"])
        assert "default" not in statuses, label
        assert {"400", "401", "403", "429", "503"} <= statuses, label
        if "{" in path:
            assert "404" in statuses, label
        if "requestBody" in operation:
            assert {"413", "415", "422"} <= statuses, label
        for status, response in operation["responses"].items():
            response = _resolve(document, response)
            headers = response.get("headers", {})
            assert {"X-Request-ID", "RateLimit", "RateLimit-Policy"} <= set(headers), label
            if status >= "400":
                assert list(response["content"]) == ["application/problem+json"], label
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, label
            if status == "429":
                assert _resolve(document, headers["Retry-After"]).get("required"), label


def test_conditional_and_idempotent_writes_document_their_headers(
    document: dict[str, Any],
) -> None:
    for _path, method, operation in _operations(document):
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "X-Request-ID" in names
        if method == "patch":
            if_match = next(p for p in operation["parameters"] if p["name"] == "If-Match")
            assert if_match["required"] is True
            assert {"412", "428"} <= set(operation["responses"])
    create = document["paths"]["/api/v1/citizens"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    created = create["responses"]["201"]["headers"]
    assert {"ETag", "Location", "Idempotent-Replayed"} <= set(created)
    listed = document["paths"]["/api/v1/citizens"]["get"]["responses"]["200"]["headers"]
    assert "Link" in listed


def test_response_fields_that_are_always_sent_are_required(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    citizen = schemas["Citizen"]
    assert {"id", "version", "given_name", "created_at"} <= set(citizen["required"])
    # A schema that is also a request body keeps its optional fields there.
    assert "DepartmentRead" in schemas
    assert set(schemas["Department"].get("required", [])) < set(
        schemas["DepartmentRead"]["required"]
    )


def test_a_403_with_required_scopes_matches_the_problem_schema(
    document: dict[str, Any], make_api: Any
) -> None:
    refused = make_api("citizens:read").post("/api/v1/citizens", json={})
    assert refused.status_code == 403
    body = refused.get_json()
    assert body["required_scopes"] == ["citizens:write"]
    problem = {"$ref": "#/components/schemas/Problem", "components": document["components"]}
    validator = jsonschema_rs.validator_for(problem)
    assert validator.is_valid(body), list(validator.iter_errors(body))
    assert "required_scopes" in document["components"]["schemas"]["Problem"]["properties"]


def test_the_document_names_its_servers_and_gives_examples(document: dict[str, Any]) -> None:
    assert document["servers"]
    not_found = document["components"]["responses"]["NOT_FOUND"]
    assert not_found["content"]["application/problem+json"]["example"]["status"] == 404
    if_match = document["components"]["headers"]["ETag"]
    assert if_match["example"]
