"""Bulk import's fast path against the slow ones it replaces: a batch's candidates are the
engine's, and a record an import creates is the record ``POST /api/v1/citizens`` creates."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask

from cgcrm.extensions import db
from cgcrm.matching import batch_candidates, engine
from tests.conftest import new_citizen_payload
from tests.integrations.test_imports import rows, run_import

PEOPLE = [
    new_citizen_payload(given_name="Margaret", family_name="Okafor", date_of_birth="1971-05-14"),
    new_citizen_payload(given_name="William", family_name="Hartley", date_of_birth="1962-11-03"),
    new_citizen_payload(given_name="Siobhan", family_name="Kowalczyk", date_of_birth="1990-02-07"),
    new_citizen_payload(given_name="Tomasz", family_name="Wojcik", date_of_birth="1985-08-21"),
]


def _probes() -> list[dict[str, Any]]:
    """Each person as another office might type them, and one nobody recorded."""
    margaret, william, siobhan, tomasz = (dict(p, contact_points=[]) for p in PEOPLE)
    return [
        dict(margaret, given_name="Margret"),  # a typo
        dict(william, given_name="Bill", addresses=[]),  # a nickname, no address
        dict(siobhan, given_name="Kowalczyk", family_name="Siobhan"),  # swapped
        dict(william, date_of_birth="1962-03-11"),  # day and month transposed
        dict(tomasz, date_of_birth=None, family_name="Wojcick"),
        {"given_name": "Aroha", "family_name": "Ngata", "date_of_birth": "2001-01-01"},
    ]


def test_a_batch_finds_the_candidates_the_engine_finds(rates: Any, app: Flask) -> None:
    for person in PEOPLE:
        created = rates.post("/api/v1/citizens?on_match=create", json=person)
        assert created.status_code == 201, created.get_json()
    probes = _probes()
    with app.app_context():
        features = [engine.features_of(body) for body in probes]
        batch = batch_candidates.find_candidates_of(features, limit=3)
        one_by_one = [engine.find_candidates(body, limit=3) for body in probes]
        db.session.rollback()
    for found, expected in zip(batch, one_by_one, strict=True):
        assert [(c.citizen_id, c.band) for c in found[:1]] == [
            (c.citizen_id, c.band) for c in expected[:1]
        ]
    assert all(found and found[0].band != "non_match" for found in batch[:5])
    assert not any(c.band != "non_match" for c in batch[5])


def test_candidates_come_with_the_features_the_store_loads(rates: Any, app: Flask) -> None:
    for person in PEOPLE:
        created = rates.post("/api/v1/citizens?on_match=create", json=person)
        assert created.status_code == 201, created.get_json()
    probes = _probes()
    with app.app_context():
        features = [engine.features_of(body) for body in probes]
        ids_of, stored = batch_candidates.candidates_with_features(features)
        assert [sorted(ids) for ids in ids_of] == [
            sorted(ids) for ids in batch_candidates.candidate_ids_of(features)
        ]
        assert stored and stored == engine.load_features(set(stored))
        assert any(f.addresses and f.emails and f.names for f in stored.values())
        db.session.rollback()


VOLATILE = {"id", "created_at", "updated_at", "version", "etag"}


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    """A record's JSON without what differs between any two records (ids, times)."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in VOLATILE | {"citizen_id"}}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(record)  # type: ignore[no-any-return]


def test_an_imported_record_is_the_record_create_makes(rates: Any, burst_worker: Any) -> None:
    body = new_citizen_payload(
        given_name="Ngaio",
        middle_names="Mary Anne",
        family_name="Te Whatu-Marsh",
        preferred_name="Ngai",
        previous_names=[{"given_name": "Ngaio", "family_name": "Marsh", "valid_to": "2010-03-01"}],
        preferences={"preferred_channel": "email", "language": "mi", "accessibility_needs": []},
        identifiers=[{"system": "RATES_ACCOUNT", "value": "RA-7781"}],
    )
    response = rates.post(
        "/api/v1/imports",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/x-ndjson"},
    )
    done = run_import(rates, burst_worker, response)
    assert done["counts"]["created"] == 1, done
    imported_id = rows(rates, done["id"])[0]["citizen_id"]
    # The same person through the API (anyway, and without the identifier the import holds).
    created = rates.post(
        "/api/v1/citizens?on_match=create", json=dict(body, identifiers=[])
    ).get_json()
    imported = rates.get(f"/api/v1/citizens/{imported_id}").get_json()
    direct = rates.get(f"/api/v1/citizens/{created['id']}").get_json()
    assert imported.pop("identifiers") == [
        {"system": "RATES_ACCOUNT", "value": "RA-7781", "masked": False}
    ]
    direct.pop("identifiers")
    assert _comparable(imported) == _comparable(direct)
