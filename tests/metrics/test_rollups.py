"""Daily interaction rollups: buckets in TIME_ZONE, counters, and recomputation from raw data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.core.errors import ValidationError
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.metrics.models import NO_SERVICE, InteractionDailyRollup
from cgcrm.metrics.rollups.rebuild import rebuild_rollups
from cgcrm.worker.handlers import process_events

COUNTERS = (
    "interactions",
    "transactions_started",
    "transactions_completed",
    "resolved",
    "handling_seconds",
    "handled",
)


def _process_all(app: Flask) -> None:
    with app.app_context():
        ids = [str(e) for e in db.session.scalars(sa.select(OutboxEvent.event_id))]
        process_events(ids)
        db.session.remove()


def _buckets(app: Flask) -> dict[tuple[Any, ...], dict[str, int]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(InteractionDailyRollup)).all()
        db.session.remove()
    return {
        (r.day, r.channel_code, r.service_id is not None): {c: getattr(r, c) for c in COUNTERS}
        for r in rows
    }


@pytest.mark.smoke
def test_contacts_are_counted_in_the_local_day_of_their_bucket(
    app: Flask, record_contact: Any
) -> None:
    # 14:30 UTC on 1 March is 01:30 on 2 March in Sydney (UTC+11).
    late = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
    record_contact(started_at=late, ended_at=late + timedelta(seconds=120))
    record_contact(
        started_at=late,
        ended_at=late + timedelta(seconds=60),
        outcome="referred",
        transaction_stage="started",
    )
    record_contact(started_at=late, ended_at=None, service_code=None, channel="web")
    record_contact(
        started_at=late - timedelta(hours=4),
        ended_at=None,
        outcome="completed",
        transaction_stage="completed",
    )
    _process_all(app)
    assert _buckets(app) == {
        (date(2026, 3, 2), "phone", True): {
            "interactions": 2,
            "transactions_started": 1,
            "transactions_completed": 0,
            "resolved": 1,
            "handling_seconds": 180,
            "handled": 2,
        },
        (date(2026, 3, 2), "web", False): {
            "interactions": 1,
            "transactions_started": 0,
            "transactions_completed": 0,
            "resolved": 1,
            "handling_seconds": 0,
            "handled": 0,
        },
        # A completion with no start is a transaction started and completed in one contact.
        (date(2026, 3, 1), "phone", True): {
            "interactions": 1,
            "transactions_started": 1,
            "transactions_completed": 1,
            "resolved": 1,
            "handling_seconds": 0,
            "handled": 0,
        },
    }


@pytest.mark.smoke
def test_contacts_without_a_service_share_one_bucket(app: Flask, record_contact: Any) -> None:
    for _ in range(3):
        record_contact(service_code=None)
    _process_all(app)
    with app.app_context():
        rows = db.session.scalars(sa.select(InteractionDailyRollup)).all()
        assert [(r.service_id, r.service_key, r.interactions) for r in rows] == [
            (None, NO_SERVICE, 3)
        ]
        db.session.remove()


def test_recompute_rebuilds_what_the_handler_counted(app: Flask, record_contact: Any) -> None:
    base = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    for hours, channel in ((0, "phone"), (1, "web"), (30, "counter"), (50, "phone")):
        record_contact(started_at=base + timedelta(hours=hours), channel=channel)
    _process_all(app)
    incremental = _buckets(app)
    with app.app_context():
        db.session.execute(sa.update(InteractionDailyRollup).values(interactions=99))
        db.session.commit()
        assert rebuild_rollups("2026-03-01", "2026-03-31") == 4
        db.session.remove()
    assert _buckets(app) == incremental


def test_recompute_leaves_pending_contacts_to_the_handler(app: Flask, record_contact: Any) -> None:
    record_contact()
    _process_all(app)
    record_contact()  # its event is not processed yet
    with app.app_context():
        assert rebuild_rollups(date(2026, 3, 2), date(2026, 3, 2)) == 1
        db.session.remove()
    _process_all(app)
    assert sum(b["interactions"] for b in _buckets(app).values()) == 2


def test_recompute_refuses_an_inverted_range(app: Flask) -> None:
    with app.app_context(), pytest.raises(ValidationError):
        rebuild_rollups("2026-03-02", "2026-03-01")
    with app.app_context(), pytest.raises(ValidationError):
        rebuild_rollups("yesterday", "2026-03-01")


def test_recompute_refuses_days_no_time_zone_can_hold(app: Flask) -> None:
    for first, last in (("2026-03-01", "9999-12-31"), ("0001-01-01", "2026-03-01")):
        with app.app_context(), pytest.raises(ValidationError):
            rebuild_rollups(first, last)
