"""Transactions counted from contacts with refs, against figures worked out by hand.

Days are Sydney days: in March 2026 Sydney is UTC+11, in April from the 5th UTC+10, so
01:00 UTC is noon of the same day throughout.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from tests.metrics.conftest import figures, process, totals


def _at(day: int, month: int = 3, hour: int = 1) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def _tx(started: int, completed: int) -> dict[str, int]:
    counts = {"transactions_started": started, "transactions_completed": completed}
    return {name: value for name, value in counts.items() if value}


def _transactions(app: Flask) -> dict[tuple[date, str], dict[str, int]]:
    found = {}
    for (day, channel, _), counts in figures(app).items():
        tx = _tx(counts.get("transactions_started", 0), counts.get("transactions_completed", 0))
        if tx:
            found[(day, channel)] = tx
    return found


@pytest.mark.smoke
def test_a_start_on_the_web_completed_later_by_phone(app: Flask, post_contact: Any) -> None:
    post_contact(_at(2), channel="web", transaction_stage="started", transaction_ref="T-1")
    post_contact(_at(4), channel="phone", transaction_stage="completed", transaction_ref="T-1")
    process(app)
    # One transaction: its start on the 2nd on the web, its completion on the 4th by phone.
    assert _transactions(app) == {
        (date(2026, 3, 2), "web"): _tx(1, 0),
        (date(2026, 3, 4), "phone"): _tx(0, 1),
    }


def test_a_completion_with_no_start_is_a_one_contact_transaction(
    app: Flask, post_contact: Any
) -> None:
    post_contact(_at(2), transaction_stage="completed", transaction_ref="T-2")
    post_contact(_at(3), channel="counter", transaction_stage="completed")  # no ref at all
    post_contact(_at(3), channel="web", transaction_stage="started")  # no ref: its own group
    process(app)
    assert _transactions(app) == {
        (date(2026, 3, 2), "phone"): _tx(1, 1),
        (date(2026, 3, 3), "counter"): _tx(1, 1),
        (date(2026, 3, 3), "web"): _tx(1, 0),
    }


def test_repeated_starts_and_completions_count_nothing_more(app: Flask, post_contact: Any) -> None:
    for day, stage in ((2, "started"), (3, "started"), (5, "completed"), (6, "completed")):
        post_contact(_at(day), transaction_stage=stage, transaction_ref="T-3")
    post_contact(_at(7), transaction_ref="T-3")  # a contact about it with no stage
    process(app)
    # S = the start of the 2nd, C = the completion of the 5th; the 3rd and 6th are repeats.
    assert _transactions(app) == {
        (date(2026, 3, 2), "phone"): _tx(1, 0),
        (date(2026, 3, 5), "phone"): _tx(0, 1),
    }
    assert totals(app)["interactions"] == 5


def test_a_start_recorded_after_its_completion_but_dated_before_it(
    app: Flask, post_contact: Any
) -> None:
    post_contact(_at(5), channel="phone", transaction_stage="completed", transaction_ref="T-4")
    process(app)
    # Alone, the completion is a transaction of one contact.
    assert _transactions(app) == {(date(2026, 3, 5), "phone"): _tx(1, 1)}
    post_contact(_at(2), channel="web", transaction_stage="started", transaction_ref="T-4")
    process(app)
    # Recorded later, the start dated the 2nd takes the start away from the completion.
    assert _transactions(app) == {
        (date(2026, 3, 2), "web"): _tx(1, 0),
        (date(2026, 3, 5), "phone"): _tx(0, 1),
    }


def test_a_start_after_the_completion_is_a_repeat(app: Flask, post_contact: Any) -> None:
    post_contact(_at(2), channel="phone", transaction_stage="completed", transaction_ref="T-5")
    post_contact(_at(3), channel="web", transaction_stage="started", transaction_ref="T-5")
    process(app)
    assert _transactions(app) == {(date(2026, 3, 2), "phone"): _tx(1, 1)}


def test_a_start_and_a_completion_at_the_same_instant(app: Flask, post_contact: Any) -> None:
    post_contact(_at(2), channel="web", transaction_stage="started", transaction_ref="T-6")
    post_contact(_at(2), channel="phone", transaction_stage="completed", transaction_ref="T-6")
    process(app)
    # S.started_at <= C.started_at: the start counts on the web, the completion by phone.
    assert _transactions(app) == {
        (date(2026, 3, 2), "web"): _tx(1, 0),
        (date(2026, 3, 2), "phone"): _tx(0, 1),
    }


def test_a_transaction_started_in_one_month_and_completed_in_the_next(
    app: Flask, post_contact: Any
) -> None:
    post_contact(_at(31), channel="web", transaction_stage="started", transaction_ref="T-7")
    post_contact(_at(2, 4), channel="web", transaction_stage="completed", transaction_ref="T-7")
    process(app)
    assert _transactions(app) == {
        (date(2026, 3, 31), "web"): _tx(1, 0),
        (date(2026, 4, 2), "web"): _tx(0, 1),
    }


def test_refs_are_per_service(app: Flask, post_contact: Any) -> None:
    post_contact(_at(2), transaction_stage="started", transaction_ref="SAME")
    post_contact(
        _at(3),
        service_code="WASTE-MISSED-BIN",
        department_code=None,
        transaction_stage="completed",
        transaction_ref="SAME",
    )
    process(app)
    # Different services: a start still open, and a one-contact transaction.
    by_service = {
        code: _tx(c.get("transactions_started", 0), c.get("transactions_completed", 0))
        for (_, _, code), c in figures(app).items()
    }
    assert by_service == {"RATES-PAY": _tx(1, 0), "WASTE-MISSED-BIN": _tx(1, 1)}


def test_one_by_one_and_in_one_batch_agree(app: Flask, post_contact: Any) -> None:
    base = _at(2)
    stages = ["started", "completed", "started", "completed", None, "completed"]
    for index, stage in enumerate(stages):
        post_contact(
            base + timedelta(hours=index * 5),
            channel=("web", "phone")[index % 2],
            transaction_stage=stage,
            transaction_ref=f"B-{index % 3}",
        )
    process(app, batch=1)
    one_by_one = figures(app)
    from tests.metrics.conftest import clear_rollups

    clear_rollups(app)
    process(app)
    assert figures(app) == one_by_one
