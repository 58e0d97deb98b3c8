"""The duplicate scan through the API: a job on the imports queue files review items."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.extensions import db
from cgcrm.matching.models import DuplicateScan
from cgcrm.matching.scan import run_scan
from tests.conftest import new_citizen_payload


@pytest.fixture(autouse=True)
def _creates_without_matching(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Duplicates recorded as counters did before matching: the scan is what finds them (a
    create that matches would file the pair itself)."""
    monkeypatch.delitem(app.extensions, "cgcrm.match_lookup", raising=False)


def _people(api: Any) -> tuple[str, str]:
    first = api.post(
        "/api/v1/citizens?on_match=create",
        json=new_citizen_payload(given_name="Katherine", family_name="Oduya"),
    ).get_json()["id"]
    # The same woman, registered again by another counter with a nickname and a typo.
    second = api.post(
        "/api/v1/citizens?on_match=create",
        json=new_citizen_payload(given_name="Kate", family_name="Oduyah"),
    ).get_json()["id"]
    api.post(
        "/api/v1/citizens",
        json=new_citizen_payload(
            given_name="Rangi",
            family_name="Parata",
            date_of_birth="1950-01-09",
            contact_points=[],
            addresses=[],
        ),
    )
    return first, second


def test_a_scan_files_the_duplicates_it_finds(app: Flask, make_api: Any, burst_worker: Any) -> None:
    admin = make_api("citizens:read citizens:write admin")
    first, second = _people(admin)
    response = admin.post("/api/v1/duplicates/scans", json={})
    assert response.status_code == 202, response.get_json()
    assert admin.post("/api/v1/duplicates/scans", json={}).status_code == 409
    assert burst_worker()
    scan = admin.get(response.headers["Location"]).get_json()
    assert scan["status"] == "completed", scan
    assert scan["records_total"] == scan["records_done"] == 3
    assert scan["pairs_filed"] >= 1 and scan["pairs_compared"] >= 1
    with app.app_context():
        pairs = db.session.execute(
            sa.text("SELECT citizen_id, other_citizen_id, source FROM duplicate_pairs")
        ).all()
        db.session.remove()
    found = {(str(uuid.UUID(str(a))), str(uuid.UUID(str(b)))) for a, b, _ in pairs}
    assert found >= {tuple(sorted((first, second)))}
    assert {source for *_, source in pairs} <= {"scan", "create"}
    # A second scan finds the same pairs and files none again.
    again = admin.post("/api/v1/duplicates/scans", json={})
    assert again.status_code == 202
    assert burst_worker()
    assert admin.get(again.headers["Location"]).get_json()["pairs_filed"] == 0


def test_a_stopped_scan_resumes_after_its_last_committed_record(app: Flask, make_api: Any) -> None:
    admin = make_api("citizens:read citizens:write admin")
    _people(admin)
    with app.app_context():
        ids = sorted(
            uuid.UUID(str(i)) for i in db.session.scalars(sa.text("SELECT id FROM citizens"))
        )
        scan = DuplicateScan(
            id=uuid.uuid4(),
            status="running",
            requested_by="test",
            records_done=1,
            pairs_compared=0,
            pairs_filed=0,
            resume_after=ids[0],
        )
        db.session.add(scan)
        db.session.commit()
        assert run_scan(scan.id, cap=50, chunk=1) == "completed"
        done = db.session.get(DuplicateScan, scan.id)
        assert done is not None and done.records_done == 3 and done.status == "completed"
        assert run_scan(scan.id, cap=50) == "completed"  # a redelivered job does nothing
        db.session.remove()


def test_only_administrators_start_scans(rates: Any) -> None:
    assert rates.post("/api/v1/duplicates/scans", json={}).status_code == 403
    assert rates.get(f"/api/v1/duplicates/scans/{uuid.uuid4()}").status_code == 404
