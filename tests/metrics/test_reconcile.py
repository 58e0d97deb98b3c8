"""The safety nets: the nightly reconciliation, the catch-up of late events, the commands."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.extensions import db
from cgcrm.metrics.models import InteractionDailyRollup
from cgcrm.metrics.rollups.reconcile import catch_up_metrics, reconcile_rollups
from tests.metrics.conftest import process, snapshot, totals

T = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
# From today (30 November 2026 or later) back past March 2026.
DAYS_BACK = 400


def _write_some(post_contact: Any, new_citizen: Any) -> None:
    citizen = new_citizen()
    post_contact(
        T, citizen_id=citizen, outcome="resolved", transaction_stage="started", transaction_ref="X"
    )
    post_contact(
        T + timedelta(days=2),
        citizen_id=citizen,
        channel="web",
        transaction_stage="completed",
        transaction_ref="X",
    )
    post_contact(T + timedelta(days=3), service_code=None)


@pytest.mark.smoke
def test_reconcile_finds_logs_and_fixes_each_drift(
    app: Flask, post_contact: Any, new_citizen: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _write_some(post_contact, new_citizen)
    process(app)
    reference = snapshot(app)
    with app.app_context():
        assert reconcile_rollups(DAYS_BACK) == 0
        table = InteractionDailyRollup.__table__
        # Three kinds of drift: a wrong counter, a lost bucket, a bucket of nothing.
        rows = db.session.execute(sa.select(table).order_by(table.c.day)).mappings().all()
        db.session.execute(
            sa.update(table).where(table.c.day == rows[0]["day"]).values(avoidable=5)
        )
        db.session.execute(sa.delete(table).where(table.c.day == rows[1]["day"]))
        spurious = dict(rows[2])
        spurious.update(day=rows[2]["day"] + timedelta(days=1), interactions=7)
        db.session.execute(sa.insert(table), [spurious])
        db.session.commit()
        with caplog.at_level(logging.WARNING, logger="cgcrm.metrics.rollups.reconcile"):
            assert reconcile_rollups(DAYS_BACK) == 3
        db.session.remove()
    drifts = [r.getMessage() for r in caplog.records if "rollup drift" in r.getMessage()]
    assert len(drifts) == 3
    assert any("avoidable stored 5, raw data 0" in message for message in drifts)
    assert any("interactions stored 7, raw data 0" in message for message in drifts)
    assert any("interactions stored 0, raw data 1" in message for message in drifts)
    assert snapshot(app) == reference


def test_the_catch_up_applies_events_the_worker_has_not_within_its_grace(
    app: Flask, post_contact: Any, new_citizen: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_some(post_contact, new_citizen)
    with app.app_context():
        assert catch_up_metrics() == 0  # still within the grace period
        monkeypatch.setitem(app.config, "METRICS_CATCH_UP_GRACE", 0)
        monkeypatch.setitem(app.config, "METRICS_CATCH_UP_LIMIT", 2)
        # The oldest events first, at most the limit per run.
        assert catch_up_metrics() == 2
        assert catch_up_metrics() == 1
        assert catch_up_metrics() == 0
        db.session.remove()
    assert totals(app)["interactions"] == 3
    assert totals(app)["transactions_completed"] == 1


def test_the_commands_rebuild_and_reconcile(
    app: Flask, post_contact: Any, new_citizen: Any
) -> None:
    _write_some(post_contact, new_citizen)
    process(app)
    reference = snapshot(app)
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["metrics", "rebuild", "--from", "2026-03-01", "--to", "2026-03-31"]
    )
    assert result.exit_code == 0, result.output
    assert "count 3 contacts" in result.output
    assert snapshot(app) == reference
    result = runner.invoke(
        args=["metrics", "rebuild", "--from", "2026-03-02", "--to", "2026-03-01"]
    )
    assert result.exit_code == 1 and "day_to is before day_from" in result.output
    result = runner.invoke(args=["metrics", "reconcile", "--days", str(DAYS_BACK)])
    assert result.exit_code == 0 and "0 buckets drifted" in result.output
