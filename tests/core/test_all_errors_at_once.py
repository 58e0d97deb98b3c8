"""A request with several independent mistakes is answered with all of them in one 422.

Validation used to come in stages: the schema's errors first, then (once those were fixed) an
unknown service, then an unknown citizen, then dates in the wrong order. Now the schema checks
codes against the cached catalog and dates in any case, asks for the references it cannot
check itself when it fails anyway (``cgcrm.core.references``), and services collect their own
checks (``cgcrm.core.errors.FieldErrors``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Flask
from marshmallow import fields

from cgcrm.core.scopes import ALL_SCOPES
from tests.citizens.hostile.harness import check_response
from tests.citizens.hostile.schemas import names, request_schemas

JSON = {"Content-Type": "application/json", "If-Match": '"v1"'}
RLO = "\u202egnp.exe"


def _wrong_type(field: fields.Field) -> Any:
    if isinstance(field, fields.String | fields.UUID):
        return 12345
    return "not this"


def _assert_named(response: Any, expected: list[str], what: str) -> None:
    body = check_response(response, what)
    assert response.status_code == 422, (what, body)
    missing = [name for name in expected if not names(body.get("errors"), (name,))]
    assert not missing, f"{what}: {missing} not named in one answer: {body.get('errors')}"


def test_every_write_names_every_wrong_field_at_once(app: Flask, make_api: Any) -> None:
    api = make_api(" ".join(sorted(ALL_SCOPES)))
    checked = 0
    for parsed in request_schemas(app):
        if parsed.location != "json":
            continue
        loadable = {
            (field.data_key or name): field
            for name, field in parsed.schema.fields.items()
            if not field.dump_only
        }
        if not loadable:
            continue
        body = {key: _wrong_type(field) for key, field in loadable.items()}
        response = api.http.open(
            parsed.url, method=parsed.method, data=json.dumps(body), headers=api.headers(JSON)
        )
        _assert_named(response, sorted(loadable), parsed.name)
        checked += 1
    assert checked >= 10


def test_a_contact_with_five_mistakes_of_every_kind_is_one_answer(rates: Any) -> None:
    response = rates.post(
        "/api/v1/interactions",
        json={
            "channel": "fax",  # schema: not a channel
            "service_code": "NO-SUCH-SERVICE",  # catalog: unknown
            "department_code": "NO_SUCH_DEPT",  # catalog: unknown
            "started_at": "2026-03-02T10:00:00+10:00",
            "ended_at": "2026-03-02T09:00:00+10:00",  # dates: before the start
            "summary": RLO,  # text: direction override
            "citizen_id": str(uuid.uuid4()),  # reference: unknown citizen
        },
    )
    _assert_named(
        response,
        [
            "channel",
            "service_code",
            "department_code",
            "ended_at",
            "summary",
            "citizen_id",
            "outcome",
        ],
        "POST /interactions",
    )


def test_a_contact_the_schema_accepts_reports_every_service_check_at_once(
    waste: Any,
) -> None:
    response = waste.post(
        "/api/v1/interactions",
        json={
            "channel": "phone",
            "outcome": "resolved",
            "started_at": "2026-03-02T10:00:00+10:00",
            "department_code": "RATES",  # not the caller's, and no cross_department
            "case_id": str(uuid.uuid4()),  # unknown case
        },
    )
    _assert_named(response, ["department_code", "case_id"], "POST /interactions")


def test_a_case_with_mistakes_of_every_kind_is_one_answer(rates: Any) -> None:
    response = rates.post(
        "/api/v1/cases",
        json={
            "service_code": "NO-SUCH-SERVICE",
            "summary": "",
            "priority": "whenever",
            "citizen_id": str(uuid.uuid4()),
            "assigned_user_id": str(uuid.uuid4()),
            "assigned_team": "no spaces allowed",
        },
    )
    _assert_named(
        response,
        [
            "service_code",
            "summary",
            "priority",
            "citizen_id",
            "assigned_user_id",
            "assigned_team",
        ],
        "POST /cases",
    )


def test_a_case_the_schema_accepts_reports_every_reference_at_once(rates: Any) -> None:
    response = rates.post(
        "/api/v1/cases",
        json={
            "service_code": "RATES-PAY",
            "summary": "Rates notice not received",
            "citizen_id": str(uuid.uuid4()),
            "assigned_user_id": str(uuid.uuid4()),
        },
    )
    _assert_named(response, ["citizen_id", "assigned_user_id"], "POST /cases")


def test_a_citizen_with_mistakes_in_every_part_is_one_answer(rates: Any) -> None:
    response = rates.post(
        "/api/v1/citizens",
        json={
            "given_name": "x" * 101,
            "family_name": "Ma\u200bry",
            "date_of_birth": "2999-01-01",
            "contact_points": [{"kind": "fax", "value": "1"}],
            "addresses": [
                {
                    "line1": "1 Main St",
                    "locality": "Town",
                    "valid_from": "2020-01-01",
                    "valid_to": "2019-01-01",
                    "country": "australia",
                }
            ],
            "identifiers": [{"system": "lower", "value": "1"}],
            "consents": [{"purpose": "x", "granted": "maybe", "channel": "fax"}],
        },
    )
    _assert_named(
        response,
        [
            "given_name",
            "family_name",
            "date_of_birth",
            "contact_points",
            "addresses",
            "identifiers",
            "consents",
        ],
        "POST /citizens",
    )
    errors = response.get_json()["errors"]
    assert set(errors["addresses"]["0"]) == {"valid_to", "country"}


def test_a_service_with_mistakes_of_every_kind_is_one_answer(make_api: Any) -> None:
    response = make_api("admin").post(
        "/api/v1/services",
        json={
            "code": "lower case",
            "name": RLO,
            "department": "NO_SUCH_DEPT",
            "sla_target_days": -1,
            "unit_costs_minor": {"fax": 1},
        },
    )
    _assert_named(
        response,
        ["code", "name", "department", "sla_target_days", "unit_costs_minor"],
        "POST /services",
    )
