"""Incremental rollups do not depend on the order or batching of events, and a rebuild from
raw data (in SQL on PostgreSQL, in Python anywhere) gives the same tables, row for row."""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from cgcrm.core.clock import utcnow
from cgcrm.core.outbox import add_event
from cgcrm.extensions import db
from cgcrm.surveys.models import SurveyInvitation, SurveyResponse
from tests.cases.conftest import move, open_case
from tests.metrics.conftest import (
    clear_rollups,
    pending_event_ids,
    process,
    process_shuffled,
    snapshot,
    totals,
)

START = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # spans the clock change of 5 April


def _contacts(post_contact: Any, citizens: list[str], count: int, seed: int) -> list[str]:
    """A mixed, reproducible set: refs shared across channels and days, stages without refs,
    repeat contacts of a few citizens within and beyond 7 days, outbound and anonymous ones,
    several at the same instant."""
    rng = random.Random(seed)
    ids = []
    for _ in range(count):
        started = START + timedelta(hours=rng.choice(range(0, 24 * 20, 7)))
        ref = rng.choice([None, None, "R-1", "R-2", "R-3"])
        stage = rng.choice([None, "started", "completed"]) if ref or rng.random() < 0.3 else None
        ids.append(
            post_contact(
                started,
                channel=rng.choice(["web", "phone", "counter"]),
                direction=rng.choice(["inbound"] * 4 + ["outbound"]),
                outcome=rng.choice(["resolved", "completed", "referred", "follow_up"]),
                citizen_id=rng.choice([*citizens, None]),
                service_code=None if ref is None and rng.random() < 0.25 else "RATES-PAY",
                transaction_stage=stage,
                transaction_ref=ref,
                ended_at=(started + timedelta(seconds=rng.randint(30, 900))).isoformat()
                if rng.random() < 0.7
                else None,
            )
        )
    return ids


def _surveys(app: Flask, interaction_ids: list[str], citizen: str) -> None:
    """Invitations and responses as the surveys service writes them: rows and their events."""
    with app.app_context():
        for index, interaction_id in enumerate(interaction_ids):
            invitation = None
            if index % 2 == 0:
                invitation = SurveyInvitation(
                    interaction_id=uuid.UUID(interaction_id),
                    citizen_id=uuid.UUID(citizen),
                    channel="email",
                    token_hash=hashlib.sha256(interaction_id.encode()).hexdigest(),
                    expires_at=utcnow() + timedelta(days=14),
                )
                db.session.add(invitation)
                db.session.flush()
                add_event(
                    "survey.invitation_sent",
                    "survey_invitation",
                    invitation.id,
                    {"invitation_id": str(invitation.id), "interaction_id": interaction_id},
                )
            if index % 3 == 2:
                continue
            response = SurveyResponse(
                interaction_id=uuid.UUID(interaction_id),
                invitation_id=invitation.id if invitation else None,
                csat=1 + index % 5,
                nps=None if index % 4 == 0 else index % 11,
                effort=None if index % 5 == 0 else 1 + index % 7,
                source="citizen" if invitation else "staff",
                recorded_by="citizen" if invitation else "client:test",
                request_id="req-test",
            )
            db.session.add(response)
            db.session.flush()
            add_event(
                "survey.response_recorded",
                "survey_response",
                response.id,
                {
                    "response_id": str(response.id),
                    "interaction_id": interaction_id,
                    "invited": invitation is not None,
                },
            )
        db.session.commit()
        db.session.remove()


def _cases(rates: Any) -> None:
    resolved = move(rates, open_case(rates), "resolved").get_json()
    move(rates, resolved, "in_progress")
    move(rates, open_case(rates), "resolved")


@pytest.fixture
def data_set(app: Flask, rates: Any, post_contact: Any, new_citizen: Any) -> list[str]:
    citizens = [new_citizen() for _ in range(3)]
    ids = _contacts(post_contact, citizens, 45, seed=10)
    _surveys(app, ids[:12], citizens[0])
    _cases(rates)
    return citizens


def _rebuild(app: Flask, in_sql: bool | None = None) -> None:
    from cgcrm.metrics.rollups.rebuild import rebuild_rollups

    with app.app_context():
        rebuild_rollups("2026-03-01", None, in_sql=in_sql)
        db.session.remove()


@pytest.mark.smoke
def test_any_order_any_batching_and_a_rebuild_agree(app: Flask, data_set: Any) -> None:
    process(app)
    reference = snapshot(app)
    summed = totals(app)
    for counter in (
        "transactions_started",
        "transactions_completed",
        "avoidable",
        "fcr_repeated",
        "nps_responses",
        "invited_responses",
    ):
        assert summed.get(counter), f"the data set exercises no {counter}: {summed}"
    assert reference["case_daily_rollups"]
    for seed, batch in ((1, 3), (2, 1), (3, 17)):
        clear_rollups(app)
        process_shuffled(app, seed, batch)
        assert snapshot(app) == reference, (seed, batch)
    clear_rollups(app)
    process(app, list(reversed(pending_event_ids(app))), batch=1)
    assert snapshot(app) == reference
    _rebuild(app)
    assert snapshot(app) == reference


def test_the_sql_and_python_rebuilds_agree_with_the_handlers(app: Flask, data_set: Any) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the SQL rebuild is PostgreSQL's")
    process_shuffled(app, 7, 5)
    reference = snapshot(app)
    _rebuild(app, in_sql=True)
    assert snapshot(app) == reference
    _rebuild(app, in_sql=False)
    assert snapshot(app) == reference


@pytest.mark.parametrize("in_sql", [True, False])
def test_a_rebuild_leaves_pending_events_to_their_handlers(
    app: Flask, post_contact: Any, data_set: list[str], in_sql: bool
) -> None:
    with app.app_context():
        if in_sql and db.engine.dialect.name != "postgresql":
            pytest.skip("the SQL rebuild is PostgreSQL's")
    ids = pending_event_ids(app)
    random.Random(5).shuffle(ids)
    process(app, ids[: len(ids) // 2], batch=4)  # half processed, half pending
    _contacts(post_contact, data_set, 10, seed=11)  # and more written since
    _rebuild(app, in_sql=in_sql)
    process_shuffled(app, 6, 3)
    after = snapshot(app)
    clear_rollups(app)
    process(app)
    assert snapshot(app) == after


def test_concurrent_batches_on_the_same_citizens_count_every_pair(
    app: Flask, data_set: list[str]
) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite runs one writer at a time")
    import threading

    process(app)
    reference = snapshot(app)
    for seed in (1, 2):
        clear_rollups(app)
        ids = pending_event_ids(app)
        random.Random(seed).shuffle(ids)
        halves = [ids[0::2], ids[1::2]]
        errors: list[BaseException] = []

        def run(part: list[str], errors: list[BaseException]) -> None:
            try:
                process(app, part, batch=4)
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(half, errors)) for half in halves]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        # Each pair of neighbours was counted by whichever batch committed second.
        assert snapshot(app) == reference, seed
