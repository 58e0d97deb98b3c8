"""Department A never sees department B's cases (nor their notes, history or contacts) unless
the citizen shares across government or A holds a cross-department role."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.cases.models import Case
from cgcrm.catalog.models import Department
from cgcrm.extensions import db
from tests.cases.conftest import URL, move, open_case
from tests.conftest import DEPARTMENT_SYSTEM
from tests.consent_helpers import grant_sharing


@pytest.fixture
def waste_case(waste: Any, citizen_id: str) -> dict[str, Any]:
    case = open_case(waste, "WASTE-MISSED-BIN", citizen_id=citizen_id, summary="Bin missed")
    note = waste.post(f"{URL}/{case['id']}/notes", json={"text": "Truck broke down"})
    assert note.status_code == 201
    return case


def hidden_from(api: Any, case: dict[str, Any]) -> None:
    base = f"{URL}/{case['id']}"
    for response in (
        api.get(base),
        api.get(f"{base}/notes"),
        api.get(f"{base}/transitions"),
        api.get(f"{base}/interactions"),
        api.post(f"{base}/notes", json={"text": "peek"}),
        move(api, case, "in_progress"),
        api.patch(base, json={"priority": "low"}, headers={"If-Match": '"v1"'}),
    ):
        assert response.status_code == 404, response.get_json()
        assert response.content_type == "application/problem+json"
    assert api.get(URL).get_json() == []
    assert api.get(URL, query_string={"reference": case["reference"]}).get_json() == []
    assert api.get(URL, query_string={"citizen_id": case["citizen_id"]}).get_json() == []


def visible_to(api: Any, case: dict[str, Any]) -> None:
    assert api.get(f"{URL}/{case['id']}").status_code == 200
    assert [c["id"] for c in api.get(URL).get_json()] == [case["id"]]
    notes = api.get(f"{URL}/{case['id']}/notes").get_json()
    assert [n["text"] for n in notes] == ["Truck broke down"]
    assert notes[0]["author_department_code"] == "WASTE"


@pytest.mark.smoke
def test_another_departments_case_is_not_found(rates: Any, waste_case: dict[str, Any]) -> None:
    hidden_from(rates, waste_case)


def test_anonymous_cases_stay_with_their_department(rates: Any, waste: Any) -> None:
    case = open_case(waste, "WASTE-MISSED-BIN")
    hidden_from(rates, case)
    assert waste.get(f"{URL}/{case['id']}").status_code == 200


def test_visible_when_the_citizen_shares_across_government(
    rates: Any, waste: Any, citizen_id: str, waste_case: dict[str, Any], make_api: Any
) -> None:
    grant_sharing(make_api, "RATES", citizen_id)
    visible_to(rates, waste_case)
    # Seeing is not owning: the workflow stays with the case's department; notes are shared.
    assert move(rates, waste_case, "in_progress").status_code == 403
    patched = rates.patch(
        f"{URL}/{waste_case['id']}", json={"priority": "low"}, headers={"If-Match": '"v1"'}
    )
    assert patched.status_code == 403
    assert rates.post(f"{URL}/{waste_case['id']}/notes", json={"text": "Called"}).status_code == 201

    withdrawn = rates.post(
        f"/api/v1/citizens/{citizen_id}/consents",
        json={"purpose": "whole_of_government_sharing", "granted": False, "channel": "phone"},
    )
    assert withdrawn.status_code == 201
    hidden_from(rates, waste_case)


def test_visible_with_the_cross_department_scope(make_api: Any, waste_case: dict[str, Any]) -> None:
    supervisor = make_api(f"{DEPARTMENT_SYSTEM} cross_department", "CUSTOMER")
    visible_to(supervisor, waste_case)
    assert move(supervisor, waste_case, "in_progress").status_code == 200


def test_the_department_that_opened_a_case_keeps_sight_of_it(
    make_api: Any, rates: Any, waste: Any, citizen_id: str
) -> None:
    """A contact centre opens a rates case for a caller who never consented to sharing: it may
    follow the case up (read it, its history and notes, add notes), not work it."""
    centre = make_api(DEPARTMENT_SYSTEM, "CUSTOMER")
    case = open_case(centre, "RATES-PAY", citizen_id=citizen_id, summary="Rates notice lost")
    assert case["department_code"] == "RATES"
    base = f"{URL}/{case['id']}"
    assert rates.post(f"{base}/notes", json={"text": "Reissued the notice"}).status_code == 201

    assert centre.get(base).status_code == 200
    for query in ({}, {"citizen_id": citizen_id}, {"reference": case["reference"]}):
        assert [c["id"] for c in centre.get(URL, query_string=query).get_json()] == [case["id"]]
    history = centre.get(f"{base}/transitions").get_json()
    assert [(t["from"], t["to"], t["department_code"]) for t in history] == [
        (None, "new", "CUSTOMER")
    ]
    assert centre.post(f"{base}/notes", json={"text": "Caller rang again"}).status_code == 201
    notes = centre.get(f"{base}/notes").get_json()
    assert [(n["author_department_code"], n["text"]) for n in notes] == [
        ("RATES", "Reissued the notice"),
        ("CUSTOMER", "Caller rang again"),
    ]
    overview = centre.get(f"/api/v1/citizens/{citizen_id}/overview").get_json()
    assert [c["id"] for c in overview["open_cases"]] == [case["id"]]
    assert overview["withheld"]["open_cases"] == 0

    # Following up is not working the case: the workflow stays with RATES.
    assert move(centre, case, "in_progress").status_code == 403
    patched = centre.patch(base, json={"priority": "low"}, headers={"If-Match": '"v1"'})
    assert patched.status_code == 403
    assert move(rates, case, "in_progress").status_code == 200

    # A third department sees neither the case nor a sign of it beyond the 360 view's count.
    waste_view = waste.get(f"/api/v1/citizens/{citizen_id}/overview").get_json()
    assert waste_view["open_cases"] == [] and waste_view["withheld"]["open_cases"] == 1
    hidden_from(waste, {**case, "version": 2})


def test_an_anonymous_case_stays_with_its_department_and_its_opener(
    make_api: Any, rates: Any, waste: Any
) -> None:
    centre = make_api(DEPARTMENT_SYSTEM, "CUSTOMER")
    case = open_case(centre, "RATES-PAY", summary="Anonymous report")
    for api in (centre, rates):
        assert api.get(f"{URL}/{case['id']}").status_code == 200
        assert [c["id"] for c in api.get(URL).get_json()] == [case["id"]]
    hidden_from(waste, case)


def test_existing_cases_get_their_opener_from_the_opening_transition(
    app: Flask, make_api: Any, rates: Any
) -> None:
    centre = make_api(DEPARTMENT_SYSTEM, "CUSTOMER")
    by_centre, by_rates = open_case(centre), open_case(rates)
    path = (
        Path(__file__).resolve().parents[2] / "migrations/versions/0011_case_opener_department.py"
    )
    spec = importlib.util.spec_from_file_location("migration_0011", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with app.app_context():
        db.session.execute(sa.update(Case).values(opened_by_department_id=None))
        db.session.execute(sa.text(migration.BACKFILL))
        db.session.commit()
        openers = dict(
            db.session.execute(
                sa.select(Case.id, Department.code).join(
                    Department, Department.id == Case.opened_by_department_id
                )
            ).all()
        )
        db.session.remove()
    assert openers == {
        uuid.UUID(by_centre["id"]): "CUSTOMER",
        uuid.UUID(by_rates["id"]): "RATES",
    }
