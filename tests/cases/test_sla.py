"""sla_state: the SLA standing of a case at a moment, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from cgcrm.cases.sla import sla_state

DUE = datetime(2026, 11, 24, 12, 59, 59, tzinfo=UTC)


def case(**fields: Any) -> Any:
    values = {
        "status": "in_progress",
        "due_at": DUE,
        "sla_paused_at": None,
        "sla_paused_seconds": 0,
        "sla_breached_at": None,
        "resolved_at": None,
        **fields,
    }
    return SimpleNamespace(**values)


@pytest.mark.parametrize(
    ("fields", "now", "state"),
    [
        ({}, DUE - timedelta(days=2), "on_track"),
        ({"status": "new"}, DUE - timedelta(hours=23), "due_soon"),
        ({}, DUE + timedelta(seconds=1), "breached"),
        ({"sla_breached_at": DUE}, DUE - timedelta(days=3), "breached"),
        ({"status": "awaiting_citizen", "sla_paused_at": DUE}, DUE + timedelta(days=9), "paused"),
        (
            {"status": "awaiting_citizen", "sla_paused_at": DUE, "sla_breached_at": DUE},
            DUE,
            "breached",
        ),
        ({"status": "resolved", "resolved_at": DUE}, DUE + timedelta(days=9), "met"),
        ({"status": "closed", "resolved_at": DUE + timedelta(seconds=1)}, DUE, "missed"),
        ({"status": "resolved", "resolved_at": DUE, "sla_breached_at": DUE}, DUE, "missed"),
    ],
)
def test_states(fields: dict[str, Any], now: datetime, state: str) -> None:
    result = sla_state(case(**fields), now)
    assert result["state"] == state
    assert result["due_at"] == DUE
    assert result["paused"] is (fields.get("sla_paused_at") is not None)


def test_reports_the_pauses() -> None:
    result = sla_state(case(sla_paused_seconds=3600), DUE)
    assert result["paused_seconds"] == 3600
    assert result["paused_since"] is None
    assert result["breached_at"] is None
