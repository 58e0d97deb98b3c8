"""Stale pooled connections: replaced when found idle, a retryable 503 when found in use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from flask import Flask

from cgcrm.core.pool import IdlePing
from cgcrm.extensions import db


def _terminate_app_connections(app: Flask) -> int:
    """Kill every server process serving this test database, as a failover would."""
    with app.app_context():
        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(killed[0]) if killed else 0


@pytest.fixture
def idle_ping(app: Flask) -> Iterator[IdlePing]:
    if app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("needs PostgreSQL server processes to terminate")
    ping: IdlePing = app.extensions["cgcrm.idle_ping"]
    configured = ping.idle_seconds
    yield ping
    ping.idle_seconds = configured
    with app.app_context():
        db.engine.dispose()  # the killed connections still pooled must not meet the next test


def test_a_connection_found_dead_after_idling_is_replaced(idle_ping: IdlePing, staff: Any) -> None:
    assert staff.get("/api/v1/channels").status_code == 200
    idle_ping.idle_seconds = 0  # every checkout counts as after an idle spell
    assert _terminate_app_connections(staff.app) >= 1
    assert staff.get("/api/v1/channels").status_code == 200


def test_a_connection_lost_in_use_is_a_retryable_503(idle_ping: IdlePing, staff: Any) -> None:
    assert staff.get("/api/v1/channels").status_code == 200
    idle_ping.idle_seconds = float("inf")  # never pinged: the request meets the broken one
    assert _terminate_app_connections(staff.app) >= 1
    lost = staff.get("/api/v1/channels")
    assert lost.status_code == 503
    assert lost.content_type == "application/problem+json"
    assert lost.headers["Retry-After"] == "1"
    # The failure invalidated the pool: the next request opens a fresh connection.
    assert staff.get("/api/v1/channels").status_code == 200
