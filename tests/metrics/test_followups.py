"""Avoidable contacts and first-contact resolution, against figures worked out by hand.

A contact is avoidable when the same citizen contacted about the same service (or about no
service) in the 7 days before it; a resolved one is repeated when they did in the 7 days after.
All contacts here are inbound unless said otherwise; 01:00 UTC is noon in Sydney in March.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from tests.metrics.conftest import process, totals

T = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
SEVEN_DAYS = timedelta(days=7)
FOLLOW_UPS = ("inbound_identified", "avoidable", "fcr_eligible", "fcr_repeated")


def _follow_ups(app: Flask) -> dict[str, int]:
    summed = totals(app)
    return {name: summed.get(name, 0) for name in FOLLOW_UPS}


@pytest.mark.smoke
def test_seven_days_exactly_is_within_and_a_second_more_is_not(
    app: Flask, post_contact: Any, new_citizen: Any
) -> None:
    citizen = new_citizen()
    post_contact(T, citizen_id=citizen, outcome="resolved")  # a
    post_contact(T + SEVEN_DAYS, citizen_id=citizen, outcome="resolved")  # b
    post_contact(T + 2 * SEVEN_DAYS + timedelta(seconds=1), citizen_id=citizen, outcome="resolved")
    process(app)
    # a: eligible, repeated (b exactly 7 days later). b: avoidable (a exactly 7 days before),
    # eligible, not repeated (c is 7 days and a second later). c: eligible, not avoidable.
    assert _follow_ups(app) == {
        "inbound_identified": 3,
        "avoidable": 1,
        "fcr_eligible": 3,
        "fcr_repeated": 1,
    }


def test_contacts_at_the_same_instant_are_neither_before_nor_after(
    app: Flask, post_contact: Any, new_citizen: Any
) -> None:
    citizen = new_citizen()
    post_contact(T, citizen_id=citizen, outcome="resolved")
    post_contact(T, citizen_id=citizen, outcome="completed", channel="web")
    process(app)
    assert _follow_ups(app) == {
        "inbound_identified": 2,
        "avoidable": 0,
        "fcr_eligible": 2,
        "fcr_repeated": 0,
    }


def test_outbound_and_anonymous_contacts_take_no_part(
    app: Flask, post_contact: Any, new_citizen: Any
) -> None:
    citizen = new_citizen()
    post_contact(T, citizen_id=citizen, outcome="resolved")
    post_contact(T + timedelta(days=1), citizen_id=citizen, direction="outbound")
    post_contact(T + timedelta(days=1), outcome="resolved")  # anonymous
    post_contact(T + timedelta(days=2), outcome="resolved")  # anonymous again
    process(app)
    # Only the first contact is inbound and identified: eligible, nothing follows it.
    assert _follow_ups(app) == {
        "inbound_identified": 1,
        "avoidable": 0,
        "fcr_eligible": 1,
        "fcr_repeated": 0,
    }
    assert totals(app)["interactions"] == 4


def test_a_follow_up_is_about_the_same_service_or_likewise_about_none(
    app: Flask, post_contact: Any, new_citizen: Any
) -> None:
    citizen, other = new_citizen(), new_citizen()
    post_contact(T, citizen_id=citizen, outcome="resolved")  # rates
    post_contact(T + timedelta(days=1), citizen_id=citizen, service_code=None)  # no service
    post_contact(T + timedelta(days=2), citizen_id=citizen, service_code=None, outcome="resolved")
    post_contact(T + timedelta(days=3), citizen_id=other, outcome="referred")  # rates, other
    post_contact(T + timedelta(days=4), citizen_id=citizen, outcome="follow_up")  # rates
    process(app)
    # Rates of the citizen: day 0 (resolved) and day 4 -> day 4 avoidable, day 0 repeated.
    # No service: day 1 and day 2 (resolved) -> day 2 avoidable, not repeated.
    # The other citizen's contact pairs with nothing.
    assert _follow_ups(app) == {
        "inbound_identified": 5,
        "avoidable": 2,
        "fcr_eligible": 2,
        "fcr_repeated": 1,
    }


def test_a_late_recorded_contact_changes_its_neighbours(
    app: Flask, post_contact: Any, new_citizen: Any
) -> None:
    citizen = new_citizen()
    post_contact(T, citizen_id=citizen, outcome="resolved")
    post_contact(T + timedelta(days=6), citizen_id=citizen, outcome="resolved")
    process(app)
    assert _follow_ups(app) == {
        "inbound_identified": 2,
        "avoidable": 1,
        "fcr_eligible": 2,
        "fcr_repeated": 1,
    }
    # Recorded late, a contact on day 3 sits between them: it follows the first (avoidable)
    # and is followed by the third (repeated); the third follows it, the first is still
    # repeated. Resolved: eligible.
    post_contact(T + timedelta(days=3), citizen_id=citizen, outcome="resolved")
    process(app)
    assert _follow_ups(app) == {
        "inbound_identified": 3,
        "avoidable": 2,
        "fcr_eligible": 3,
        "fcr_repeated": 2,
    }
