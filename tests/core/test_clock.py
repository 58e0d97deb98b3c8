"""The clock override the demo writes the past with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from cgcrm.core.clock import clock_set_to, utcnow


def test_clock_set_to_holds_the_moment_in_utc_and_restores_the_real_time() -> None:
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=11)))
    with clock_set_to(moment):
        assert utcnow() == moment and utcnow().tzinfo == UTC
        with clock_set_to(moment + timedelta(days=1)):
            assert utcnow() == moment + timedelta(days=1)
        assert utcnow() == moment
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(minutes=1)


def test_clock_set_to_refuses_a_naive_moment() -> None:
    with pytest.raises(ValueError), clock_set_to(datetime(2026, 3, 2, 9, 30)):
        pass
