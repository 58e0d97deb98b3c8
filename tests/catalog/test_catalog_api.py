"""The catalog: readable by any principal, changed only with the admin scope."""

from __future__ import annotations

from typing import Any

import pytest

from cgcrm.catalog.seed import load_catalog
from cgcrm.extensions import db
from cgcrm.settings import PROJECT_ROOT


@pytest.mark.smoke
def test_any_principal_reads_the_catalog(make_api: Any) -> None:
    reader = make_api("metrics:read")
    channels = reader.get("/api/v1/channels").get_json()
    assert {c["kind"] for c in channels} == {"digital", "assisted"}
    services = reader.get("/api/v1/services?department=RATES").get_json()
    assert [s["code"] for s in services] == ["RATES-PAY"]
    assert services[0]["unit_costs_minor"] == {"phone": 850, "web": 40}


def test_only_admin_writes(make_api: Any) -> None:
    body = {
        "code": "PARKING-PERMIT",
        "name": "Residential parking permit",
        "department": "RATES",
        "sla_target_days": 5,
        "fee_minor": 4500,
        "unit_costs_minor": {"web": 30, "counter": 1200},
    }
    assert make_api("citizens:write").post("/api/v1/services", json=body).status_code == 403
    admin = make_api("admin")
    created = admin.post("/api/v1/services", json=body)
    assert created.status_code == 201, created.get_json()
    url = f"/api/v1/services/{created.get_json()['id']}"
    assert admin.post("/api/v1/services", json=body).status_code == 409

    assert admin.patch(url, json={"fee_minor": 5000}).status_code == 428
    changed = admin.patch(url, json={"fee_minor": 5000}, headers={"If-Match": '"v1"'})
    assert changed.status_code == 200
    assert changed.get_json()["fee_minor"] == 5000
    assert admin.patch(url, json={"fee_minor": 1}, headers={"If-Match": '"v1"'}).status_code == 412


def test_bad_service_input_is_422(make_api: Any) -> None:
    admin = make_api("admin")
    response = admin.post(
        "/api/v1/services",
        json={
            "code": "x",
            "name": "",
            "department": "NOPE",
            "sla_target_days": -1,
            "unit_costs_minor": {"fax": 1},
        },
    )
    assert response.status_code == 422
    assert {"code", "name", "sla_target_days", "unit_costs_minor"} <= set(
        response.get_json()["errors"]
    )


def test_seed_catalog_loads_once(app: Any) -> None:
    path = PROJECT_ROOT / "config" / "seed" / "catalog.yaml"
    with app.app_context():
        first = load_catalog(path)
        second = load_catalog(path)
        db.session.remove()
    assert first["services"] >= 30
    assert first["identifier_systems"] == 1  # the test catalog declares the other two
    assert second == {"departments": 0, "channels": 0, "services": 0, "identifier_systems": 0}


def test_a_service_says_how_many_of_its_contacts_are_surveyed(make_api: Any) -> None:
    admin = make_api("admin")
    body = {"code": "DOG-REG", "name": "Register a dog", "department": "RATES"}
    created = admin.post("/api/v1/services", json={**body, "sla_target_days": 2})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["survey_sampling_rate"] == 0.2  # the default
    url = f"/api/v1/services/{created.get_json()['id']}"
    changed = admin.patch(url, json={"survey_sampling_rate": 0.35}, headers={"If-Match": '"v1"'})
    assert changed.status_code == 200, changed.get_json()
    assert admin.get(url).get_json()["survey_sampling_rate"] == 0.35
    never = admin.post(
        "/api/v1/services",
        json={**body, "code": "DOG-ATTACK", "sla_target_days": 1, "survey_sampling_rate": 0},
    )
    assert never.get_json()["survey_sampling_rate"] == 0.0


@pytest.mark.parametrize("rate", [1.5, -0.1, "0.5", True, None])
def test_a_sampling_rate_is_a_number_from_0_to_1(make_api: Any, rate: Any) -> None:
    response = make_api("admin").post(
        "/api/v1/services",
        json={
            "code": "DOG-REG",
            "name": "Register a dog",
            "department": "RATES",
            "sla_target_days": 2,
            "survey_sampling_rate": rate,
        },
    )
    assert response.status_code == 422
    assert "survey_sampling_rate" in response.get_json()["errors"]


def test_the_demo_catalog_samples_services_differently(app: Any) -> None:
    from sqlalchemy import select

    from cgcrm.catalog.models import Service

    with app.app_context():
        load_catalog(PROJECT_ROOT / "config" / "seed" / "catalog.yaml")
        rates = dict(db.session.execute(select(Service.code, Service.survey_sampling_rate)).all())
        db.session.remove()
    assert rates["CS-COMPLAINT"] > rates["PARK-FINE-PAY"] > rates["ANIMAL-ATTACK"] == 0.0
    assert all(0 <= rate <= 1 for rate in rates.values())
