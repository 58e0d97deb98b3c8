"""Schema-driven fuzzing of every operation in the OpenAPI document, in-process over WSGI.

Schemathesis loads ``/api/v1/openapi.json`` from the application and generates requests for
each operation (explicit examples, boundary "coverage" cases, then random valid and invalid
data). Every call carries a bearer token holding every scope, so requests reach the views
instead of stopping at the guard; generated resource ids are often swapped for ids that exist,
so the fuzzing also reaches the code behind a found record (with a fresh If-Match for PATCH).

Asserted, and only this: no operation answers with a 5xx; a success has a documented media type;
an error is an RFC 9457 problem document (``application/problem+json``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error
from schemathesis.specs.openapi.definitions import OPENAPI_31

from cgcrm.catalog.models import Department, Service
from cgcrm.extensions import db
from tests.conftest import new_citizen_payload

SPEC_PATH = "/api/v1/openapi.json"
ALL_SCOPES = "citizens:read citizens:write audit admin"
PROBLEM_JSON = "application/problem+json"
PROBLEM_MEMBERS = ("type", "title", "status", "detail")


@pytest.fixture
def api_schema(app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi(SPEC_PATH, app)


@pytest.fixture(autouse=True)
def _schemathesis_pytest9_shim(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32.5's ``from_fixture`` reads ``request.node._nodeid``, which pytest 9
    renamed; without this every lazily-loaded schema test dies with AttributeError."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture
def bearer(make_api: Any) -> dict[str, str]:
    api = make_api(ALL_SCOPES)
    return {"Authorization": f"Bearer {api.token}"}


@pytest.fixture
def known_ids(app: Flask, make_api: Any) -> dict[str, str]:
    """Ids of records that exist, by path-parameter name."""
    api = make_api(ALL_SCOPES)
    created = api.post(
        "/api/v1/citizens",
        json=new_citizen_payload(
            identifiers=[{"system": "RATES_ACCOUNT", "value": "RA-7654321"}],
            consents=[{"purpose": "service_updates", "granted": True, "channel": "web"}],
        ),
    )
    assert created.status_code == 201, created.get_json()
    with app.app_context():
        department_id = db.session.scalar(
            sa.select(Department.id).where(Department.code == "CUSTOMER")
        )
        service_id = db.session.scalar(sa.select(Service.id).where(Service.code == "RATES-PAY"))
        db.session.remove()
    return {
        "citizen_id": created.get_json()["id"],
        "department_id": str(department_id),
        "service_id": str(service_id),
    }


def test_openapi_document_is_valid_openapi_3_1(api_schema: Any) -> None:
    document = api_schema.raw_schema
    assert document["openapi"] == "3.1.0"
    # The OAS 3.1 meta-schema is JSON Schema 2020-12, where "format" is an annotation, not an
    # assertion: OAS 3.1 allows relative URLs such as our tokenUrl "/oauth/token", which a
    # format-asserting validator (schemathesis' own ``validate()``) calls "not a uri".
    meta = jsonschema_rs.validator_for(OPENAPI_31, validate_formats=False)
    errors = [f"{error.instance_path}: {error.message}" for error in meta.iter_errors(document)]
    assert not errors, errors
    operations = list(api_schema.get_all_operations())
    broken = [str(result.err()) for result in operations if not hasattr(result, "ok")]
    assert not broken, broken
    labels = {result.ok().label for result in operations}
    for label in (
        "POST /api/v1/citizens",
        "GET /api/v1/citizens",
        "GET /api/v1/citizens/search",
        "GET /api/v1/citizens/{citizen_id}",
        "PATCH /api/v1/citizens/{citizen_id}",
        "GET /api/v1/citizens/{citizen_id}/consents",
        "POST /api/v1/citizens/{citizen_id}/consents",
        "GET /api/v1/citizens/{citizen_id}/audit",
    ):
        assert label in labels


def _use_known_ids(case: Any, known: dict[str, str], headers: dict[str, str]) -> None:
    """Swap about half of the generated (valid) ids for existing ones, deterministically from
    the generated value so that Hypothesis can still replay and shrink a failure."""
    swapped = False
    for name, value in list((case.path_parameters or {}).items()):
        if name not in known:
            continue
        try:
            generated = uuid.UUID(str(value))
        except ValueError:
            continue  # a negative case: keep the malformed id
        if generated.int % 2 == 0:
            case.path_parameters[name] = known[name]
            swapped = True
    if swapped and case.method.upper() == "PATCH":
        current = case.operation.app.test_client().get(case.formatted_path, headers=headers)
        if current.status_code == 200 and "ETag" in current.headers:
            case.headers = {**(case.headers or {}), "If-Match": current.headers["ETag"]}


def _header(response: Any, name: str) -> str:
    values = response.headers.get(name.lower()) or [""]
    return str(values[0])


# Fixtures are function-scoped on purpose (a clean database per example); generated bodies are
# large and often filtered.
FUZZ_HEALTH_CHECKS = [
    HealthCheck.function_scoped_fixture,
    HealthCheck.too_slow,
    HealthCheck.filter_too_much,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
]

schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=FUZZ_HEALTH_CHECKS,
)
def test_no_operation_answers_with_a_server_error(
    case: Any, bearer: dict[str, str], known_ids: dict[str, str]
) -> None:
    _use_known_ids(case, known_ids, bearer)
    response = case.call(headers=bearer)
    if 200 <= response.status_code < 300:
        checks = [not_a_server_error, content_type_conformance]
        case.validate_response(response, checks=checks, headers=bearer)
        return
    case.validate_response(response, checks=[not_a_server_error], headers=bearer)
    content_type = _header(response, "Content-Type")
    assert content_type.split(";")[0].strip() == PROBLEM_JSON, (
        f"{case.method} {case.formatted_path} -> {response.status_code} {content_type}"
    )
    body = json.loads(response.content)
    assert all(member in body for member in PROBLEM_MEMBERS), body
    assert body["status"] == response.status_code, body
