"""``flask demo simulate`` against the test application: what it writes, through the services,
with every event handled, once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from cgcrm.cases.models import Case
from cgcrm.catalog.models import Service
from cgcrm.citizens.models import Citizen, Consent
from cgcrm.core.outbox import OutboxEvent
from cgcrm.demo.simulation import plan, quarter_until
from cgcrm.demo.steps import Contact
from cgcrm.demo.writer import DEMO_PRINCIPAL_ID
from cgcrm.extensions import db
from cgcrm.interactions.models import Interaction
from cgcrm.metrics.models import InteractionDailyRollup
from cgcrm.surveys.models import SurveyInvitation, SurveyResponse
from cgcrm.worker.models import ProcessedEvent

UNTIL = "2026-06-30T07:00:00+00:00"
DEMO_REF = f"client:{DEMO_PRINCIPAL_ID}"


@pytest.fixture
def seeded(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The seeded catalog, 40 citizens and the two known ones (the demo client's secret goes to a
    temporary instance folder, not the checkout's)."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--citizens", "40"])
    assert result.exit_code == 0, result.output
    return runner


def _simulate(runner: Any, *extra: str) -> Any:
    result = runner.invoke(
        args=["demo", "simulate", "--days", "14", "--seed", "5", "--until", UNTIL, *extra]
    )
    assert result.exit_code == 0, result.output
    return result


def _count(app: Flask, query: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(query) or 0)


@pytest.mark.smoke
def test_simulate_writes_activity_through_the_services_and_handles_its_events(
    app: Flask, seeded: Any
) -> None:
    output = _simulate(seeded).output
    assert "demo: 14 days to 2026-06-30T07:00:00+00:00 for 42 citizens" in output
    with app.app_context():
        contacts = db.session.scalar(
            select(func.count()).where(Interaction.recorded_by == DEMO_REF)
        )
        assert contacts and contacts > 20
        first, last = db.session.execute(
            select(func.min(Interaction.started_at), func.max(Interaction.started_at))
        ).one()
        assert last <= datetime(2026, 6, 30, 7, tzinfo=UTC)
        assert (last - first).days >= 10
        # Cases opened and worked at the simulated times, not now.
        cases = list(db.session.scalars(select(Case)))
        assert cases and all(case.opened_at < datetime(2026, 7, 1, tzinfo=UTC) for case in cases)
        assert any(case.resolved_at is not None for case in cases)
        purposes = Counter(db.session.scalars(select(Consent.purpose)))
        assert purposes["surveys"] > 0
        # Satisfaction answered to staff, and invitations sent by the surveys service's handler
        # at the simulated time (the contacts were recent then).
        sources = Counter(db.session.scalars(select(SurveyResponse.source)))
        assert sources["staff"] > 0
        invitations = list(db.session.scalars(select(SurveyInvitation)))
        assert invitations
        assert all(i.sent_at < datetime(2026, 7, 1, tzinfo=UTC) for i in invitations)
        assert sources["citizen"] == sum(i.answered_at is not None for i in invitations)
        # Every event the demo wrote was handled and marked published.
        demo_events = select(OutboxEvent).where(OutboxEvent.type == "interaction.recorded")
        events = list(db.session.scalars(demo_events))
        assert len(events) == contacts
        assert all(event.published_at is not None for event in events)
        handled = db.session.scalar(
            select(func.count()).where(
                ProcessedEvent.handler == "metrics.interaction_daily_rollups"
            )
        )
        assert handled == contacts
        counted = db.session.scalar(select(func.sum(InteractionDailyRollup.interactions)))
        assert counted == contacts
        unpublished = db.session.scalars(
            select(OutboxEvent.type).where(OutboxEvent.published_at.is_(None)).distinct()
        )
        # Only the seed's own events wait for the relay.
        assert set(unpublished) <= {"citizen.created", "department.created", "service.created"}


def test_a_second_run_adds_nothing_unless_forced(app: Flask, seeded: Any) -> None:
    _simulate(seeded)
    contacts = select(func.count()).select_from(Interaction)
    before = _count(app, contacts)
    again = _simulate(seeded)
    assert "already simulated" in again.output
    assert _count(app, contacts) == before
    with app.app_context():
        refs = set(db.session.scalars(select(Interaction.transaction_ref).distinct()))
    _simulate(seeded, "--force", "--days", "2", "--until", "2026-07-02T07:00:00+00:00")
    assert _count(app, contacts) > before
    with app.app_context():
        new_refs = set(db.session.scalars(select(Interaction.transaction_ref).distinct()))
    # A forced run's transactions never reuse the first run's references.
    assert (new_refs - refs) and not (new_refs - refs) & refs


def test_what_is_written_is_exactly_the_seeded_plan(app: Flask, seeded: Any) -> None:
    """The plan is deterministic (tests/demo/test_plan.py); here, the writer writes all of it."""
    _simulate(seeded)
    with app.app_context():
        _, steps = plan(quarter_until(14, datetime.fromisoformat(UNTIL)), 5)
        planned = Counter(
            (s.citizen_id, s.channel, s.service_code, s.started_at, s.stage, s.ref, s.outcome)
            for s in steps
            if isinstance(s, Contact)
        )
        written = Counter(
            tuple(row)
            for row in db.session.execute(
                select(
                    Interaction.citizen_id,
                    Interaction.channel_code,
                    Service.code,
                    Interaction.started_at,
                    Interaction.transaction_stage,
                    Interaction.transaction_ref,
                    Interaction.outcome,
                ).outerjoin(Service, Service.id == Interaction.service_id)
            ).all()
        )
    assert written == planned


def test_the_demo_citizens_360_views_are_full(app: Flask, seeded: Any, make_api: Any) -> None:
    _simulate(seeded)
    with app.app_context():
        busiest = db.session.execute(
            select(Interaction.citizen_id, func.count())
            .where(Interaction.citizen_id.is_not(None))
            .group_by(Interaction.citizen_id)
            .order_by(func.count().desc(), Interaction.citizen_id)
            .limit(1)
        ).one()[0]
        assert db.session.get(Citizen, busiest) is not None
    api = make_api("citizens:read cross_department")
    view = api.get(f"/api/v1/citizens/{busiest}/overview")
    assert view.status_code == 200, view.get_json()
    body = view.get_json()
    assert body["latest_interactions"] and body["channels"]


def test_the_first_kpi_request_after_the_demo_shows_full_figures(
    app: Flask, seeded: Any, make_api: Any
) -> None:
    _simulate(seeded)
    with app.app_context():
        contacts = db.session.scalar(select(func.count()).select_from(Interaction))
    api = make_api("metrics:read")
    answer = api.get("/api/v1/metrics/kpis?from=2026-06-17&to=2026-06-30&interval=week")
    assert answer.status_code == 200, answer.get_json()
    totals = answer.get_json()["totals"]
    assert totals["contacts"] == contacts
    for kpi in ("completion_rate", "digital_take_up", "first_contact_resolution"):
        assert totals[kpi] is not None, kpi
    assert totals["transactions_completed"] > 0 and totals["average_handling_seconds"] > 0
    assert totals["user_satisfaction"]["n"] > 0
    assert totals["sla_attainment"] is not None
