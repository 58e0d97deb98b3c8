"""Days are Sydney days, across both daylight-saving changes of 2026.

On 5 April 2026 clocks go back at 03:00 (UTC+11 to UTC+10): the day runs from 13:00 UTC on the
4th to 14:00 UTC on the 5th, 25 hours. On 4 October they go forward at 02:00 (UTC+10 to UTC+11):
the day runs from 14:00 UTC on the 3rd to 13:00 UTC on the 4th, 23 hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask

from cgcrm.extensions import db
from cgcrm.metrics.rollups.rebuild import rebuild_rollups
from tests.metrics.conftest import figures, process


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _contacts_per_day(app: Flask) -> dict[date, int]:
    days: dict[date, int] = {}
    for (day, _, _), counts in figures(app).items():
        days[day] = days.get(day, 0) + counts["interactions"]
    return days


@pytest.mark.smoke
def test_days_follow_the_clock_change_of_april(app: Flask, post_contact: Any) -> None:
    for moment in (
        "2026-04-04T12:59:59",  # 23:59:59 on the 4th (+11)
        "2026-04-04T13:00:00",  # 00:00 on the 5th (+11)
        "2026-04-05T13:59:59",  # 23:59:59 on the 5th (+10)
        "2026-04-05T14:00:00",  # 00:00 on the 6th (+10)
    ):
        post_contact(_utc(moment))
    process(app)
    expected = {date(2026, 4, 4): 1, date(2026, 4, 5): 2, date(2026, 4, 6): 1}
    assert _contacts_per_day(app) == expected
    with app.app_context():
        rebuild_rollups("2026-04-05", "2026-04-05")
        db.session.remove()
    assert _contacts_per_day(app) == expected


@pytest.mark.smoke
def test_days_follow_the_clock_change_of_october(app: Flask, post_contact: Any) -> None:
    for moment in (
        "2026-10-03T13:59:59",  # 23:59:59 on the 3rd (+10)
        "2026-10-03T14:00:00",  # 00:00 on the 4th (+10)
        "2026-10-04T12:59:59",  # 23:59:59 on the 4th (+11)
        "2026-10-04T13:00:00",  # 00:00 on the 5th (+11)
    ):
        post_contact(_utc(moment))
    process(app)
    expected = {date(2026, 10, 3): 1, date(2026, 10, 4): 2, date(2026, 10, 5): 1}
    assert _contacts_per_day(app) == expected
    with app.app_context():
        rebuild_rollups("2026-10-03", "2026-10-05")
        db.session.remove()
    assert _contacts_per_day(app) == expected
