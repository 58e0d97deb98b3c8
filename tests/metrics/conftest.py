"""Helpers of the rollup tests: contacts written through the public API, events processed by
the worker's batch job, and the rollup tables read back."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.catalog.models import Service
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.metrics.models import CaseDailyRollup, InteractionDailyRollup
from cgcrm.metrics.rollups.buckets import COUNTERS
from tests.conftest import new_citizen_payload

URL = "/api/v1/interactions"


@pytest.fixture
def post_contact(rates: Any) -> Any:
    """POST /api/v1/interactions as the rates department; returns the new contact's id."""

    def post(started_at: datetime, **fields: Any) -> str:
        payload: dict[str, Any] = {
            "channel": "phone",
            "outcome": "referred",
            "service_code": "RATES-PAY",
            "started_at": started_at.isoformat(),
            **fields,
        }
        response = rates.post(URL, json=payload)
        assert response.status_code == 201, response.get_json()
        return str(response.get_json()["id"])

    return post


@pytest.fixture
def new_citizen(rates: Any) -> Any:
    def create() -> str:
        response = rates.post("/api/v1/citizens?on_match=create", json=new_citizen_payload())
        assert response.status_code == 201, response.get_json()
        return str(response.get_json()["id"])

    return create


def pending_event_ids(app: Flask, event_type: str | None = None) -> list[str]:
    """The outbox events in publication order (all of them: handlers skip what they did)."""
    with app.app_context():
        query = sa.select(OutboxEvent.event_id).order_by(OutboxEvent.seq)
        if event_type is not None:
            query = query.where(OutboxEvent.type == event_type)
        ids = [str(event_id) for event_id in db.session.scalars(query)]
        db.session.remove()
    return ids


def process(app: Flask, ids: list[str] | None = None, *, batch: int | None = None) -> None:
    """Run the worker's batch job over ``ids`` (default every event), ``batch`` per job."""
    from cgcrm.worker.handlers import process_events

    ids = pending_event_ids(app) if ids is None else ids
    size = batch or max(len(ids), 1)
    with app.app_context():
        for start in range(0, len(ids), size):
            process_events(ids[start : start + size])
        db.session.remove()


def process_shuffled(app: Flask, seed: int, batch: int) -> None:
    ids = pending_event_ids(app)
    random.Random(seed).shuffle(ids)
    process(app, ids, batch=batch)


def service_codes(app: Flask) -> dict[uuid.UUID, str]:
    with app.app_context():
        codes = {s.id: s.code for s in db.session.scalars(sa.select(Service))}
        db.session.remove()
    return codes


def figures(app: Flask) -> dict[tuple[date, str, str | None], dict[str, int]]:
    """The interaction rollups by (day, channel, service code), nonzero counters only."""
    codes = service_codes(app)
    with app.app_context():
        rows = db.session.scalars(sa.select(InteractionDailyRollup)).all()
        db.session.remove()
    result: dict[tuple[date, str, str | None], dict[str, int]] = {}
    for row in rows:
        key = (row.day, row.channel_code, codes.get(row.service_id) if row.service_id else None)
        assert key not in result  # one department per test data set
        result[key] = {name: getattr(row, name) for name in COUNTERS if getattr(row, name)}
    return result


def totals(app: Flask) -> dict[str, int]:
    summed: dict[str, int] = {}
    for counts in figures(app).values():
        for name, value in counts.items():
            summed[name] = summed.get(name, 0) + value
    return summed


def snapshot(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every rollup table, every column but updated_at, every row, in key order."""
    tables = (InteractionDailyRollup.__table__, CaseDailyRollup.__table__)
    result = {}
    with app.app_context():
        for table in (*tables, sa.Table("case_resolutions", db.metadata)):
            columns = [c for c in table.c if c.name != "updated_at"]
            order = [c for c in table.primary_key.columns]
            rows = db.session.execute(sa.select(*columns).order_by(*order)).all()
            result[table.name] = [tuple(row) for row in rows]
        db.session.remove()
    return result


def clear_rollups(app: Flask) -> None:
    """Forget every rollup and every metrics marker, as if no event had been processed."""
    with app.app_context():
        for name in ("interaction_daily_rollups", "case_daily_rollups", "case_resolutions"):
            db.session.execute(sa.text(f"DELETE FROM {name}"))
        db.session.execute(sa.text("DELETE FROM processed_events WHERE handler LIKE 'metrics.%'"))
        db.session.commit()
        db.session.remove()
