"""The dashboard's filters and job-health wording, on their own (the page itself is tested
through the real sign-in and API in test_dashboard.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cgcrm.console.dashboard_filters import automatic_interval, preset_range, read_filters
from cgcrm.console.dashboard_health import ago, duration, jobs_health

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("period", "first"),
    [("4w", date(2026, 11, 3)), ("13w", date(2026, 9, 1)), ("12m", date(2025, 12, 1))],
)
def test_presets_end_today(period: str, first: date) -> None:
    assert preset_range(period, TODAY) == (first, TODAY)


@pytest.mark.parametrize(
    ("days", "interval"), [(1, "day"), (31, "day"), (32, "week"), (190, "week"), (191, "month")]
)
def test_the_automatic_interval_keeps_charts_readable(days: int, interval: str) -> None:
    assert automatic_interval(TODAY - timedelta(days=days - 1), TODAY) == interval


def test_dates_of_ones_choice_and_the_period_before_them() -> None:
    args = {
        "period": "custom",
        "from-day": "2",
        "from-month": "3",
        "from-year": "2026",
        "to-day": "15",
        "to-month": "3",
        "to-year": "2026",
        "service": "RATES-PAY",
        "channel": "",
    }
    filters, errors, _ = read_filters(args, TODAY)
    assert errors == {}
    assert (filters.first, filters.last, filters.interval) == (
        date(2026, 3, 2),
        date(2026, 3, 15),
        "day",
    )
    assert filters.before() == (date(2026, 2, 16), date(2026, 3, 1))
    assert filters.kpi_params() == {
        "from": "2026-03-02",
        "to": "2026-03-15",
        "interval": "day",
        "service": "RATES-PAY",
    }
    assert filters.shift_params()["service"] == "RATES-PAY"
    # The query string that shows it again: the empty channel is left out.
    assert filters.query() == {k: v for k, v in args.items() if v}


def test_a_preset_ignores_typed_dates_and_shows_its_own() -> None:
    filters, errors, typed = read_filters({"period": "4w", "from-day": "x"}, TODAY)
    assert errors == {} and typed == {}
    assert filters.date_fields()["from"] == {"day": "3", "month": "11", "year": "2026"}
    assert "from-day" not in filters.query()


def test_ages_and_durations_in_words() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert ago(None, now) == "never"
    assert ago("2026-11-30T11:59:30+00:00", now) == "just now"
    assert ago("2026-11-30T09:00:00+00:00", now) == "3 hours ago"
    assert duration(60) == "1 minute" and duration(86400 * 2) == "2 days"
    assert duration(1.5) == "1 second"


def test_job_health_names_what_needs_attention() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    failed = {
        "queue": "metrics",
        "function": "cgcrm.worker.handlers.process_events",
        "failed_at": "2026-11-30T11:00:00+00:00",
        "error": ["Traceback", "  ...", "RuntimeError: boom", ""],
        "retries_left": 0,
    }
    counts = {"queued": 2, "started": 1, "failed": 1, "scheduled": 0}
    overview = {
        "queues": [{"queue": "metrics", "counts": counts, "failed": [failed]}],
        "relay": {"unpublished": 40, "oldest_unpublished_age_seconds": 125.0},
        "periodic": [
            {
                "name": "housekeeping",
                "interval_seconds": 3600,
                "overdue": False,
                "last_succeeded_at": "2026-11-30T11:30:00+00:00",
            },
            {"name": "metrics-catch-up", "interval_seconds": 300, "overdue": True},
        ],
        "parked": {"count": 3},
    }
    health = jobs_health(overview, now)
    assert health["problems"] == [
        "1 failed job",
        "overdue periodic jobs: metrics-catch-up",
        "the outbox relay is 2 minutes behind",
        "3 parked events",
    ]
    assert health["failures"][0]["error"] == "RuntimeError: boom"
    assert health["failures"][0]["failed"] == "1 hour ago"
    assert [job["status"] for job in health["periodic"]] == ["On time", "Overdue"]
    assert health["periodic"][0]["succeeded"] == "30 minutes ago"
    assert health["queues"] == [{"name": "metrics", **counts}]
    assert jobs_health({"queues": [], "periodic": []}, now)["problems"] == []
