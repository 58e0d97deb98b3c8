"""After a merge, and after its undo, the follow-up KPIs equal a rebuild from raw data: the
handler of ``citizen.merged`` / ``citizen.unmerged`` recomputes the days the moved contacts
touch."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask

from cgcrm.metrics.rollups.merges import touched_days
from cgcrm.metrics.rollups.rebuild import rebuild_rollups
from tests.matching.merge_helpers import create, merge
from tests.metrics.conftest import process, snapshot, totals

START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def _rebuilt(app: Flask) -> Any:
    with app.app_context():
        rebuild_rollups(date(2026, 4, 1), date(2026, 6, 30))
    return snapshot(app)


def test_rollups_after_merge_and_undo_equal_a_rebuild(
    app: Flask, rates: Any, post_contact: Any
) -> None:
    first, second = create(rates)["id"], create(rates, given_name="Jon")["id"]
    # Resolved by each record; after the merge they are one person's repeat contacts.
    for citizen, days in ((first, 0), (second, 3), (first, 20), (second, 40)):
        post_contact(
            START + timedelta(days=days),
            citizen_id=citizen,
            direction="inbound",
            outcome="resolved",
        )
    process(app)
    before = totals(app)
    assert before.get("avoidable", 0) == 0

    done = merge(rates, first, second).get_json()
    process(app)
    merged = snapshot(app)
    assert totals(app)["avoidable"] == 1
    assert merged == _rebuilt(app)

    undone = rates.post(f"/api/v1/merges/{done['id']}/undo", json={})
    assert undone.status_code == 200, undone.get_json()
    process(app)
    assert totals(app) == before
    assert snapshot(app) == _rebuilt(app)


def test_touched_days_cover_the_follow_up_window_once() -> None:
    day = date(2026, 5, 10)
    assert touched_days({day}) == [(day - timedelta(days=8), day + timedelta(days=8))]
    assert touched_days({day, day + timedelta(days=10)}) == [
        (day - timedelta(days=8), day + timedelta(days=18))
    ]
    far = day + timedelta(days=100)
    assert len(touched_days({day, far})) == 2
