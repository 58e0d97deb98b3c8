"""Schema-driven fuzzing of the case operations with a case that exists, so generated requests
reach the workflow, notes and links behind a found case (the suite-wide fuzz test mostly meets
404s here: it knows no case id). Same assertions: never a 5xx, errors are problem+json."""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import settings
from schemathesis.checks import content_type_conformance, not_a_server_error

from tests.cases.conftest import open_case
from tests.conftest import new_citizen_payload
from tests.test_openapi_fuzz import (  # noqa: F401  (fixtures are used by name)
    ALL_SCOPES,
    FUZZ_HEALTH_CHECKS,
    PROBLEM_JSON,
    PROBLEM_MEMBERS,
    _header,
    _schemathesis_pytest9_shim,
    _use_known_ids,
    api_schema,
)


@pytest.fixture
def bearer(make_api: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_api(ALL_SCOPES).token}"}


@pytest.fixture
def known_ids(app: Flask, make_api: Any) -> dict[str, str]:
    api = make_api(ALL_SCOPES, "RATES")
    citizen = api.post("/api/v1/citizens", json=new_citizen_payload()).get_json()
    case = open_case(api, citizen_id=citizen["id"])
    return {"case_id": case["id"], "citizen_id": citizen["id"]}


schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex="^/api/v1/cases")


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=FUZZ_HEALTH_CHECKS,
)
def test_case_operations_never_answer_with_a_server_error(
    case: Any, bearer: dict[str, str], known_ids: dict[str, str]
) -> None:
    _use_known_ids(case, known_ids, bearer)
    if case.method.upper() == "POST" and case.path.endswith("/transitions"):
        current = case.operation.app.test_client().get(
            case.formatted_path.removesuffix("/transitions"), headers=bearer
        )
        if current.status_code == 200:
            case.headers = {**(case.headers or {}), "If-Match": current.headers["ETag"]}
    response = case.call(headers=bearer)
    if 200 <= response.status_code < 300:
        case.validate_response(
            response, checks=[not_a_server_error, content_type_conformance], headers=bearer
        )
        return
    case.validate_response(response, checks=[not_a_server_error], headers=bearer)
    content_type = _header(response, "Content-Type")
    assert content_type.split(";")[0].strip() == PROBLEM_JSON, (
        f"{case.method} {case.formatted_path} -> {response.status_code} {content_type}"
    )
    body = json.loads(response.content)
    assert all(member in body for member in PROBLEM_MEMBERS), body
    assert body["status"] == response.status_code, body
