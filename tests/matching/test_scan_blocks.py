"""The duplicate scan's candidate pairs (found in SQL) and its resumption after a failure."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.extensions import db
from cgcrm.matching import scan, scan_blocks
from cgcrm.matching.models import DuplicateScan
from tests.conftest import new_citizen_payload


@pytest.fixture(autouse=True)
def _creates_without_matching(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records stored as they come: the scan is what must pair them."""
    monkeypatch.delitem(app.extensions, "cgcrm.match_lookup", raising=False)


def _create(api: Any, **fields: Any) -> str:
    body = new_citizen_payload(**{"contact_points": [], **fields})
    response = api.post("/api/v1/citizens?on_match=create", json=body)
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def _pairs(app: Flask, cap: int = 200, window: int = 8) -> set[tuple[str, str]]:
    with app.app_context():
        scan_blocks.build_pairs("scan_pairs_under_test", cap, window)
        rows = db.session.execute(
            sa.text("SELECT citizen_id, other_citizen_id FROM scan_pairs_under_test")
        ).all()
        db.session.rollback()
        db.session.remove()
    return {(str(uuid.UUID(str(a))), str(uuid.UUID(str(b)))) for a, b in rows}


def _pair(a: str, b: str) -> tuple[str, str]:
    low, high = sorted((uuid.UUID(a), uuid.UUID(b)))
    return str(low), str(high)


def test_pairs_are_found_through_their_keys_and_strangers_are_not_paired(
    app: Flask, make_api: Any
) -> None:
    api = make_api("citizens:read citizens:write")
    elsewhere = {"addresses": []}
    kate = _create(api, given_name="Katherine", family_name="Oduya", **elsewhere)
    # A nickname and a misspelt family name, the same date of birth.
    kate_again = _create(api, given_name="Kate", family_name="Oduyah", **elsewhere)
    # The names read the other way round, a day and month transposed (1984-02-03).
    swapped = _create(
        api, given_name="Oduya", family_name="Katherine", date_of_birth="1984-02-03", **elsewhere
    )
    # No date of birth: the same names are enough to be compared.
    undated = _create(api, given_name="Katherine", family_name="Oduya", date_of_birth=None)
    # Born the same day, nothing else in common: never compared.
    stranger = _create(api, given_name="Rangi", family_name="Parata", **elsewhere)
    pairs = _pairs(app)
    assert {_pair(kate, kate_again), _pair(kate, swapped), _pair(kate, undated)} <= pairs
    assert not any(stranger in pair for pair in pairs)
    assert all(a < b for a, b in pairs)


def test_an_oversized_block_pairs_each_member_with_its_neighbours_only(
    app: Flask, make_api: Any
) -> None:
    api = make_api("citizens:read citizens:write")
    # Eight strangers sharing one phone (a shelter's, a hostel's): a block of eight.
    given = ["Ana", "Ben", "Cleo", "Dov", "Eli", "Fay", "Gus", "Hana"]
    for index, name in enumerate(given):
        _create(
            api,
            given_name=name,
            family_name=f"{name}son",
            date_of_birth=f"19{50 + index}-01-0{index + 1}",
            addresses=[],
            contact_points=[{"kind": "phone", "value": "0412 345 678"}],
        )
    assert len(_pairs(app, cap=200)) == 8 * 7 // 2
    # Over the cap: each member with the next two only (sorted by name), 7 + 6 pairs.
    assert len(_pairs(app, cap=4, window=2)) == 7 + 6


def test_a_failed_scan_resumes_with_its_pairs_and_files_nothing_twice(
    app: Flask, make_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = make_api("citizens:read citizens:write")
    for index in range(4):
        _create(api, given_name="Katherine", family_name="Oduya", addresses=[])
        _create(api, given_name="Mere", family_name=f"Tane{'x' * index}", addresses=[])
    with app.app_context():
        scan_id = uuid.uuid4()
        db.session.add(
            DuplicateScan(
                id=scan_id,
                status="queued",
                requested_by="test",
                records_done=0,
                pairs_compared=0,
                pairs_filed=0,
            )
        )
        db.session.commit()
        filed_calls = 0
        file_pairs = scan._file_pairs

        def fail_on_second_chunk(found: Any, version: int) -> int:
            nonlocal filed_calls
            filed_calls += 1
            if filed_calls == 2:
                raise RuntimeError("worker lost")
            return file_pairs(found, version)

        monkeypatch.setattr(scan, "_file_pairs", fail_on_second_chunk)
        with pytest.raises(RuntimeError):
            scan.run_scan(scan_id, cap=200, chunk=2)
        stopped = db.session.get(DuplicateScan, scan_id)
        assert stopped is not None and stopped.status == "running"
        assert stopped.resume_after is not None and stopped.pairs_compared > 0
        table = scan_blocks.work_table(scan_id.hex)
        total = db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
        monkeypatch.setattr(scan, "_file_pairs", file_pairs)
        assert scan.run_scan(scan_id, cap=200, chunk=2) == "completed"
        done = db.session.get(DuplicateScan, scan_id)
        assert done is not None and done.status == "completed"
        assert done.pairs_compared == total
        assert done.records_done == done.records_total == 8
        filed = db.session.scalar(sa.text("SELECT count(*) FROM duplicate_pairs"))
        assert done.pairs_filed == filed > 0
        assert not scan_blocks.has_pairs(table)  # the work table is gone
        db.session.remove()
