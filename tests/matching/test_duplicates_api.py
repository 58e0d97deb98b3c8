"""Review items: filed once per pair whoever files them, the queue best first in keyset pages,
dismissal, and department scoping."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.extensions import db
from cgcrm.matching.models import DuplicatePair
from cgcrm.matching.review import file_pair
from tests.matching.merge_helpers import STARTED, contact, create, merge

URL = "/api/v1/duplicates"


@pytest.fixture(autouse=True)
def _creates_without_matching(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests file every review item themselves and count them: creates here skip the
    matcher (as in an app built without one), so a create files nothing of its own."""
    monkeypatch.delitem(app.extensions, "cgcrm.match_lookup", raising=False)


@dataclass(frozen=True)
class Found:
    score: float
    band: str = "possible"
    explanation: dict[str, Any] = field(
        default_factory=lambda: {"family_name": {"level": "exact", "weight": 4.2}}
    )
    model_version: int = 3


def file(app: Flask, a: str, b: str, score: float, source: str = "scan", **kw: Any) -> str:
    with app.app_context():
        pair = file_pair(uuid.UUID(a), uuid.UUID(b), Found(score, **kw), source)
        db.session.commit()
        pair_id = str(pair.id)
        db.session.remove()
    return pair_id


def unfiled(app: Flask, *citizens: dict[str, Any]) -> list[str]:
    """The ids of records created for a test of its own pairs: those the creates filed (these
    fixtures are near-identical people) are forgotten."""
    with app.app_context():
        db.session.execute(sa.delete(DuplicatePair))
        db.session.commit()
        db.session.remove()
    return [citizen["id"] for citizen in citizens]


def pair_rows(app: Flask) -> list[Any]:
    with app.app_context():
        rows = db.session.execute(sa.select(DuplicatePair.__table__)).all()
        db.session.remove()
    return list(rows)


def test_a_pair_is_filed_once_in_either_order_and_takes_the_newer_score(
    app: Flask, rates: Any
) -> None:
    a, b = unfiled(app, create(rates), create(rates))
    first = file(app, a, b, 0.7)
    again = file(app, b, a, 0.8, source="import")
    assert first == again
    (row,) = pair_rows(app)
    assert row.citizen_id < row.other_citizen_id
    assert (row.score, row.source, row.model_version, row.version) == (0.8, "scan", 3, 2)
    assert file(app, a, b, 0.8) == first
    assert pair_rows(app)[0].version == 2  # the same score again changes nothing


def test_a_dismissed_pair_stays_dismissed(app: Flask, rates: Any) -> None:
    a, b = unfiled(app, create(rates), create(rates))
    pair_id = file(app, a, b, 0.6)
    dismissed = rates.post(f"{URL}/{pair_id}/dismiss", json={})
    assert dismissed.status_code == 200, dismissed.get_json()
    assert dismissed.get_json()["status"] == "dismissed"
    assert rates.post(f"{URL}/{pair_id}/dismiss", json={}).status_code == 409
    file(app, a, b, 0.99, band="match")
    (row,) = pair_rows(app)
    assert (row.status, row.score) == ("dismissed", 0.6)
    assert rates.get(URL).get_json() == []


def test_concurrent_filing_of_one_pair_makes_one_row(app: Flask, rates: Any) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL")
    a, b = unfiled(app, create(rates), create(rates))
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            ends = (a, b) if index % 2 else (b, a)
            file(app, *ends, 0.5 + index / 10)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert len(pair_rows(app)) == 1


def test_the_queue_is_best_first_in_keyset_pages_with_summaries(app: Flask, rates: Any) -> None:
    people = unfiled(app, *(create(rates, given_name=f"Person{i}") for i in range(6)))
    scores = [0.55, 0.9, 0.7, 0.7, 0.62]
    for index, score in enumerate(scores):
        file(app, people[index], people[index + 1], score, source="create" if index else "scan")
    seen: list[float] = []
    url: str | None = f"{URL}?limit=2"
    pages = 0
    while url:
        response = rates.get(url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        seen += [item["score"] for item in body]
        for item in body:
            assert item["citizen"]["id"] < item["other_citizen"]["id"]
            assert item["citizen"]["given_name"].startswith("Person")
            assert item["explanation"]["family_name"]["level"] == "exact"
            assert item["band"] == "possible" and item["status"] == "open"
        link = response.headers.get("Link")
        url = link[1 : link.index(">")].replace("http://localhost", "") if link else None
        pages += 1
    assert seen == sorted(scores, reverse=True) and pages == 3
    scan = rates.get(URL, query_string={"source": "scan"}).get_json()
    assert [item["score"] for item in scan] == [0.55]
    mine = rates.get(URL, query_string={"citizen_id": people[1]}).get_json()
    assert sorted(item["score"] for item in mine) == [0.55, 0.9]
    assert rates.get(URL, query_string={"cursor": "bm90LWEtY3Vyc29y"}).status_code == 422
    one = rates.get(f"{URL}/{rates.get(URL).get_json()[0]['id']}")
    assert one.status_code == 200 and one.get_json()["score"] == 0.9


def test_only_pairs_whose_records_the_caller_may_see_whole_are_listed(
    app: Flask, rates: Any, waste: Any, make_api: Any
) -> None:
    a, b, c = unfiled(app, *(create(rates) for _ in range(3)))
    assert contact(rates, b, STARTED).status_code == 201  # a rates contact on b
    hidden = file(app, a, b, 0.8)
    shown = file(app, a, c, 0.7)
    assert [item["id"] for item in waste.get(URL).get_json()] == [shown]
    assert waste.get(f"{URL}/{hidden}").status_code == 404
    assert waste.post(f"{URL}/{hidden}/dismiss", json={}).status_code == 404
    assert [item["id"] for item in rates.get(URL).get_json()] == [hidden, shown]
    everyone = make_api("citizens:read cross_department", "WASTE")
    assert len(everyone.get(URL).get_json()) == 2
    reader = make_api("citizens:read", "RATES")
    assert reader.post(f"{URL}/{shown}/dismiss", json={}).status_code == 403


def test_a_merge_settles_the_pairs_of_the_duplicate_and_undo_reopens_them(
    app: Flask, rates: Any
) -> None:
    a, b, x = unfiled(app, *(create(rates) for _ in range(3)))
    ours = file(app, a, b, 0.95, band="match")
    theirs = file(app, b, x, 0.6)
    done = merge(rates, a, ours)  # the pair's id names the duplicate too
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["duplicate_id"] == b and done.get_json()["pair_id"] == ours
    statuses = {str(row.id): (row.status, row.merge_id) for row in pair_rows(app)}
    merge_id = uuid.UUID(done.get_json()["id"])
    assert statuses[ours] == ("merged", merge_id) and statuses[theirs] == ("merged", merge_id)
    refiled = rates.get(URL).get_json()
    assert len(refiled) == 1
    assert {refiled[0]["citizen"]["id"], refiled[0]["other_citizen"]["id"]} == {a, x}
    assert rates.post(f"{URL}/{ours}/dismiss", json={}).status_code == 409

    before_undo = {str(row.id) for row in pair_rows(app)}
    undone = rates.post(f"/api/v1/merges/{done.get_json()['id']}/undo", json={})
    assert undone.status_code == 200, undone.get_json()
    rows = {str(row.id): row for row in pair_rows(app)}
    assert set(rows) == before_undo - {refiled[0]["id"]}
    assert all(row.status == "open" and row.merge_id is None for row in rows.values())
    assert [p["id"] for p in rates.get(URL).get_json()] == [ours, theirs]


def _race_merges(app: Flask, rates: Any, jobs: list[tuple[str, str]]) -> list[Any]:
    """POST each (survivor, duplicate) merge from its own thread and client, all at once."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int) -> None:
        client = app.test_client()
        barrier.wait(timeout=10)
        survivor, duplicate = jobs[index]
        results[index] = client.post(
            f"/api/v1/citizens/{survivor}/merge",
            json={"duplicate_id": duplicate},
            headers=rates.headers(),
        )

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "deadlock"
    return results


def test_two_concurrent_merges_of_one_record_cannot_corrupt_it(app: Flask, rates: Any) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row-lock races need PostgreSQL")
    for _ in range(3):
        a, b, c = unfiled(app, *(create(rates) for _ in range(3)))
        for citizen in (a, b, c):
            assert contact(rates, citizen, STARTED + timedelta(hours=1)).status_code == 201
        # b into a, a into b (opposite lock orders if taken naively), c into b.
        results = _race_merges(app, rates, [(a, b), (b, a), (b, c)])
        codes = sorted(r.status_code for r in results)
        assert all(code in (201, 409) for code in codes), [r.get_json() for r in results]
        assert codes.count(201) >= 1
        ids = {"a": a, "b": b, "c": c}
        with app.app_context():
            live = (
                db.session.execute(
                    sa.text(
                        "SELECT id FROM citizens WHERE id IN (:a, :b, :c) AND status = 'active'"
                    ),
                    ids,
                )
                .scalars()
                .all()
            )
            contacts = db.session.execute(
                sa.text(
                    "SELECT citizen_id, count(*) FROM interactions "
                    "WHERE citizen_id IN (:a, :b, :c) GROUP BY citizen_id"
                ),
                ids,
            ).all()
            broken = db.session.execute(
                sa.text(
                    "SELECT count(*) FROM citizens WHERE id IN (:a, :b, :c) AND status = "
                    "'merged' AND merged_into_id IS NULL"
                ),
                ids,
            ).scalar()
            db.session.remove()
        # Every contact sits on a live record; each merge that succeeded left one tombstone.
        assert {row[0] for row in contacts} <= set(live)
        assert sum(row[1] for row in contacts) == 3
        assert len(live) == 3 - codes.count(201) and broken == 0


def test_contacts_and_cases_recorded_during_a_merge_never_stay_on_the_tombstone(
    app: Flask, rates: Any
) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row-lock races need PostgreSQL")
    survivor, duplicate = unfiled(app, create(rates), create(rates))
    barrier = threading.Barrier(2)
    answers: list[int] = []
    errors: list[BaseException] = []

    def record() -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=10)
            for index in range(12):
                path = "/api/v1/interactions" if index % 3 else "/api/v1/cases"
                body = (
                    {
                        "citizen_id": duplicate,
                        "channel": "phone",
                        "service_code": "RATES-PAY",
                        "started_at": (STARTED + timedelta(minutes=index)).isoformat(),
                        "outcome": "resolved",
                    }
                    if index % 3
                    else {"service_code": "RATES-PAY", "citizen_id": duplicate, "summary": "x"}
                )
                answers.append(client.post(path, json=body, headers=rates.headers()).status_code)
        except BaseException as exc:
            errors.append(exc)

    def merge_them() -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=10)
            response = client.post(
                f"/api/v1/citizens/{survivor}/merge",
                json={"duplicate_id": duplicate},
                headers=rates.headers(),
            )
            answers.append(response.status_code)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=record), threading.Thread(target=merge_them)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert set(answers) <= {201, 409}
    with app.app_context():
        left = db.session.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM interactions WHERE citizen_id = :d) + "
                "(SELECT count(*) FROM cases WHERE citizen_id = :d)"
            ),
            {"d": duplicate},
        ).scalar()
        kept = db.session.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM interactions WHERE citizen_id = :s) + "
                "(SELECT count(*) FROM cases WHERE citizen_id = :s)"
            ),
            {"s": survivor},
        ).scalar()
        db.session.remove()
    assert left == 0
    assert kept == answers.count(201) - 1  # every recorded one moved; the merge's own 201
