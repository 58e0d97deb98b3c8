"""The rebuild's contact parts computed at once on several connections sharing the rebuild's
snapshot (``METRICS_REBUILD_PARALLELISM``) give exactly the rollups of the serial path, through
the real PostgreSQL; and a failure in any of them leaves the rollups as they were."""

from __future__ import annotations

import random
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.extensions import db
from cgcrm.metrics.rollups import rebuild_parallel, rebuild_sql
from cgcrm.metrics.rollups.rebuild import rebuild_rollups
from tests.metrics.conftest import clear_rollups, pending_event_ids, process, snapshot
from tests.metrics.test_consistency import _cases, _contacts, _surveys

PARALLELISM = "METRICS_REBUILD_PARALLELISM"


@pytest.fixture
def contacts(app: Flask, rates: Any, post_contact: Any, new_citizen: Any) -> list[str]:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the parallel rebuild is PostgreSQL's")
    citizens = [new_citizen() for _ in range(3)]
    ids = _contacts(post_contact, citizens, 45, seed=21)
    _surveys(app, ids[:12], citizens[1])
    _cases(rates)
    return citizens


def _rebuild(app: Flask, monkeypatch: pytest.MonkeyPatch, connections: int) -> int:
    monkeypatch.setitem(app.config, PARALLELISM, connections)
    with app.app_context():
        counted = rebuild_rollups("2026-03-01", None)
        db.session.remove()
    return counted


def _empty_rollups(app: Flask) -> None:
    """Delete the rollup rows (not the handlers' markers: the events stay processed)."""
    with app.app_context():
        for name in ("interaction_daily_rollups", "case_daily_rollups", "case_resolutions"):
            db.session.execute(sa.text(f"DELETE FROM {name}"))
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("connections", [2, 3, 5])
def test_the_parallel_rebuild_equals_the_serial_one_and_the_handlers(
    app: Flask, contacts: list[str], monkeypatch: pytest.MonkeyPatch, connections: int
) -> None:
    process(app)
    reference = snapshot(app)
    assert _rebuild(app, monkeypatch, 1) == 45
    serial = snapshot(app)
    assert serial == reference
    _empty_rollups(app)
    assert _rebuild(app, monkeypatch, connections) == 45
    assert snapshot(app) == serial


def test_follow_ups_in_ranges_of_citizens_equal_the_serial_ones(
    app: Flask, contacts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    process(app)
    reference = snapshot(app)
    _, middle, high = sorted(contacts)
    ranges = [
        f"AND i.citizen_id < CAST('{middle}' AS uuid)",
        f"AND i.citizen_id >= CAST('{middle}' AS uuid) AND i.citizen_id < CAST('{high}' AS uuid)",
        f"AND i.citizen_id >= CAST('{high}' AS uuid)",
    ]
    asked = []
    monkeypatch.setattr(
        rebuild_parallel, "citizen_ranges", lambda slices: asked.append(slices) or ranges
    )
    _empty_rollups(app)
    assert _rebuild(app, monkeypatch, 5) == 45
    assert asked == [3]
    assert snapshot(app) == reference


def test_citizen_ranges_cut_the_planner_s_histogram(app: Flask, contacts: list[str]) -> None:
    with app.app_context():
        assert rebuild_parallel.citizen_ranges(0) == rebuild_parallel.citizen_ranges(1) == [""]
        db.session.execute(sa.text("ANALYZE interactions"))
        ranges = rebuild_parallel.citizen_ranges(2)
        db.session.rollback()
    # Three citizens are too few for a histogram: one part; with one, two ranges.
    assert len(ranges) in (1, 2)
    if len(ranges) == 2:
        assert ranges[0].startswith("AND i.citizen_id < ")
        assert ranges[1].startswith("AND i.citizen_id >= ")


def test_the_parallel_rebuild_leaves_pending_events_to_their_handlers(
    app: Flask, post_contact: Any, contacts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = pending_event_ids(app)
    random.Random(8).shuffle(ids)
    process(app, ids[: len(ids) // 2], batch=4)
    _contacts(post_contact, contacts, 10, seed=22)
    _rebuild(app, monkeypatch, 1)
    serial = snapshot(app)
    _rebuild(app, monkeypatch, 3)
    assert snapshot(app) == serial
    process(app)  # the pending half, added by the handlers to the rebuilt buckets
    after = snapshot(app)
    clear_rollups(app)
    process(app)
    assert snapshot(app) == after


def test_a_failing_part_rolls_the_whole_rebuild_back(
    app: Flask, contacts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    process(app)
    before = snapshot(app)
    # Every bucket of the follow-ups divides by zero, in its worker.
    failing = rebuild_sql.FOLLOWUPS + " WHERE 1 / (b.avoidable - b.avoidable) = 0"
    monkeypatch.setattr(rebuild_sql, "FOLLOWUPS", failing)
    with pytest.raises(sa.exc.DataError):
        _rebuild(app, monkeypatch, 3)
    assert snapshot(app) == before


@pytest.mark.parametrize("connections", [1, 4])
def test_a_rebuild_brings_changed_missing_and_extra_buckets_back(
    app: Flask, contacts: list[str], monkeypatch: pytest.MonkeyPatch, connections: int
) -> None:
    process(app)
    reference = snapshot(app)
    with app.app_context():
        table = "interaction_daily_rollups"
        first, second = db.session.execute(
            sa.text(f"SELECT day, channel_code FROM {table} ORDER BY day, channel_code LIMIT 2")
        ).all()
        db.session.execute(
            sa.text(
                f"UPDATE {table} SET interactions = interactions + 5, csat_2 = 7 "
                "WHERE day = :day AND channel_code = :channel"
            ),
            {"day": first[0], "channel": first[1]},
        )
        db.session.execute(
            sa.text(f"DELETE FROM {table} WHERE day = :day AND channel_code = :channel"),
            {"day": second[0], "channel": second[1]},
        )
        # A bucket no contact makes, on a rebuilt day.
        db.session.execute(
            sa.text(f"""INSERT INTO {table} (day, department_id, channel_code, service_key,
                    service_id, interactions, transactions_started, transactions_completed,
                    resolved, handling_seconds, handled, updated_at)
                SELECT day, department_id, 'email', service_key, service_id, 3, 0, 0, 0, 0, 0,
                    now()
                FROM {table} WHERE day = :day LIMIT 1
                ON CONFLICT DO NOTHING"""),
            {"day": first[0]},
        )
        db.session.commit()
        db.session.remove()
    assert snapshot(app) != reference
    _rebuild(app, monkeypatch, connections)
    assert snapshot(app) == reference
