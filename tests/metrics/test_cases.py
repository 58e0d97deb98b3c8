"""Case resolutions per day, within their SLA or not, and a reopen that takes one back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.metrics.models import CaseDailyRollup, CaseResolution
from cgcrm.metrics.rollups.buckets import zone
from cgcrm.metrics.rollups.rebuild import rebuild_rollups
from tests.cases.conftest import move, open_case, set_case_times
from tests.metrics.conftest import process, snapshot


def _resolved(app: Flask) -> list[tuple[int, int]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(CaseDailyRollup)).all()
        db.session.remove()
    return sorted((row.resolved, row.resolved_within_sla) for row in rows)


def _resolve(api: Any, case: dict[str, Any]) -> dict[str, Any]:
    response = move(api, case, "resolved")
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


@pytest.mark.smoke
def test_resolutions_count_within_and_outside_their_sla(app: Flask, rates: Any) -> None:
    on_time = open_case(rates)
    late = open_case(rates)
    still_open = open_case(rates)
    # Due yesterday: resolving it now flags the breach, so it counts outside its SLA.
    set_case_times(app, late["id"], due_at=utcnow() - timedelta(days=1))
    _resolve(rates, on_time)
    _resolve(rates, late)
    assert move(rates, still_open, "in_progress").status_code == 200
    process(app)
    # Both resolved today, in the rates department, about RATES-PAY: one bucket, 2 and 1.
    assert _resolved(app) == [(2, 1)]
    with app.app_context():
        today = utcnow().astimezone(zone()).date()
        days = set(db.session.scalars(sa.select(CaseResolution.day)))
        db.session.remove()
    assert days == {today}


def test_a_reopened_case_is_taken_back_and_counts_again_once_resolved(
    app: Flask, rates: Any
) -> None:
    case = _resolve(rates, open_case(rates))
    process(app)
    assert _resolved(app) == [(1, 1)]
    reopened = move(rates, case, "in_progress")
    assert reopened.status_code == 200, reopened.get_json()
    process(app)
    # Taken back; the emptied bucket is gone, as a rebuild would leave it.
    assert _resolved(app) == []
    _resolve(rates, reopened.get_json())
    process(app)
    assert _resolved(app) == [(1, 1)]
    before = snapshot(app)
    with app.app_context():
        today = utcnow().astimezone(zone()).date()
        rebuild_rollups(today - timedelta(days=1), today)
        db.session.remove()
    assert snapshot(app) == before


def test_events_replayed_or_out_of_order_settle_on_the_case_as_it_is(
    app: Flask, rates: Any
) -> None:
    case = _resolve(rates, open_case(rates))
    closed = move(rates, case, "closed")
    assert closed.status_code == 200
    from tests.metrics.conftest import pending_event_ids

    ids = pending_event_ids(app, "case.status_changed")
    process(app, list(reversed(ids)), batch=1)
    process(app, ids)
    # A closed case stays counted where it was resolved.
    assert _resolved(app) == [(1, 1)]
