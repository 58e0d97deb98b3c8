"""The set-based SQL path of the contact rollups (PostgreSQL): it claims and counts its events
itself, gives the same tables as the Python rules, and leaves parked and applied events alone."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.extensions import db
from cgcrm.metrics.rollups.counted import RECORDED_EVENT, ROLLUP_HANDLER
from cgcrm.worker.handlers import HANDLERS, process_events
from cgcrm.worker.models import ProcessedEvent
from tests.metrics.conftest import clear_rollups, pending_event_ids, process, snapshot
from tests.metrics.test_consistency import data_set  # noqa: F401  (fixture)

ROLLUPS = [spec for spec in HANDLERS if spec.name == ROLLUP_HANDLER]


@pytest.fixture(autouse=True)
def _postgresql_only(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the set-based path is PostgreSQL's")


@pytest.fixture
def in_python(app: Flask) -> Iterator[None]:
    """The Python rules, as on SQLite, for the length of a test."""
    app.config["METRICS_INCREMENTAL_IN_SQL"] = False
    try:
        yield
    finally:
        app.config["METRICS_INCREMENTAL_IN_SQL"] = True


def _count_in_sql(app: Flask, event_ids: list[str]) -> int | None:
    from cgcrm.metrics.rollups.incremental_sql import count_recorded_events

    with app.app_context():
        applied = count_recorded_events(event_ids)
        db.session.commit()
        db.session.remove()
    return applied


def _markers(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ProcessedEvent)
            .where(ProcessedEvent.handler == ROLLUP_HANDLER)
        )
        db.session.remove()
    return int(count or 0)


def test_the_sql_path_counts_as_the_python_rules(
    app: Flask,
    data_set: Any,  # noqa: F811
    in_python: None,
) -> None:
    process(app)
    reference = snapshot(app)
    app.config["METRICS_INCREMENTAL_IN_SQL"] = True
    for seed, batch in ((1, 1), (2, 7), (3, 1000)):
        clear_rollups(app)
        ids = pending_event_ids(app, RECORDED_EVENT)
        random.Random(seed).shuffle(ids)
        for start in range(0, len(ids), batch):
            assert _count_in_sql(app, ids[start : start + batch]) is not None
        process(app)  # the other handlers' events, counted already or now
        assert snapshot(app) == reference, (seed, batch)


def test_the_sql_path_claims_each_event_once_and_skips_the_others(
    app: Flask,
    data_set: Any,  # noqa: F811
) -> None:
    ids = pending_event_ids(app, RECORDED_EVENT)
    others = [i for i in pending_event_ids(app) if i not in set(ids)]
    half = ids[: len(ids) // 2]
    assert _count_in_sql(app, half + others[:3]) == len(half)
    assert _count_in_sql(app, half) == 0  # replayed: nothing new
    assert _count_in_sql(app, ids) == len(ids) - len(half)
    assert _markers(app) == len(ids)
    process(app)  # the other metrics handlers; the contacts' events are claimed already
    counted = snapshot(app)
    clear_rollups(app)
    process(app)
    assert snapshot(app) == counted


def test_the_job_applies_the_sql_path_without_loading_events(
    app: Flask,
    data_set: Any,  # noqa: F811
    monkeypatch: Any,
) -> None:
    from cgcrm.worker import handlers

    def no_loading(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("the SQL path should leave nothing to the loaded paths")

    monkeypatch.setattr(handlers, "_apply_loaded", no_loading)
    ids = pending_event_ids(app, RECORDED_EVENT)
    with app.app_context():
        assert process_events(ids, ROLLUPS) == len(ids)
        db.session.remove()
    assert _markers(app) == len(ids)


def test_a_redelivered_job_applies_its_new_events_in_sql(
    app: Flask,
    data_set: Any,  # noqa: F811
    monkeypatch: Any,
) -> None:
    """Its claims fail on the markers' key; the SQL path runs it again without the claimed."""
    from cgcrm.worker import handlers

    def no_loading(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("the SQL path should leave nothing to the loaded paths")

    monkeypatch.setattr(handlers, "_apply_loaded", no_loading)
    ids = pending_event_ids(app, RECORDED_EVENT)
    half = ids[: len(ids) // 2]
    with app.app_context():
        assert process_events(half, ROLLUPS) == len(half)
        assert process_events(ids, ROLLUPS) == len(ids) - len(half)
        assert process_events(ids, ROLLUPS) == 0
        db.session.remove()
    assert _markers(app) == len(ids)
    counted = snapshot(app)["interaction_daily_rollups"]
    clear_rollups(app)
    with app.app_context():
        assert process_events(ids, ROLLUPS) == len(ids)
        db.session.remove()
    assert snapshot(app)["interaction_daily_rollups"] == counted


def test_off_or_elsewhere_the_sql_path_steps_aside(
    app: Flask,
    data_set: Any,  # noqa: F811
    in_python: None,
) -> None:
    ids = pending_event_ids(app, RECORDED_EVENT)
    assert _count_in_sql(app, ids) is None
    assert _markers(app) == 0
