"""Interactions through the HTTP API: recording, idempotent retries, filters, scoping."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from cgcrm.citizens.models import Citizen
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.interactions.models import Interaction, RecordedInteraction
from tests.conftest import counting_queries, new_citizen_payload


def contact(**overrides: Any) -> dict[str, Any]:
    started = datetime.now(UTC) - timedelta(minutes=10)
    body: dict[str, Any] = {
        "channel": "phone",
        "service_code": "RATES-PAY",
        "direction": "inbound",
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(minutes=4, seconds=30)).isoformat(),
        "outcome": "resolved",
        "transaction_stage": "completed",
        "summary": "Paid the second instalment by card.",
    }
    body.update(overrides)
    return body


@pytest.mark.smoke  # on SQLite too, where the contact and its event are two INSERTs
def test_records_a_contact_with_handling_time_and_event(app: Any, rates: Any, citizen_id: str):
    response = rates.post("/api/v1/interactions", json=contact(citizen_id=citizen_id))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["handling_seconds"] == 270
    assert body["department_code"] == "RATES"
    assert body["service_code"] == "RATES-PAY"
    assert body["recorded_by"] == f"client:{rates.client_id}"
    assert response.headers["Location"].endswith(f"/api/v1/interactions/{body['id']}")
    with app.app_context():
        events = db.session.scalars(
            sa.select(OutboxEvent).where(OutboxEvent.type == "interaction.recorded")
        ).all()
        assert [e.payload["interaction_id"] for e in events] == [body["id"]]
        assert "Paid" not in str(events[0].payload)  # no free text leaves in events


def test_a_contact_and_its_event_are_written_by_one_statement(
    app: Any, rates: Any, citizen_id: str
) -> None:
    if app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite has no data-modifying CTEs: two INSERTs in a transaction there")
    with counting_queries(app) as statements:
        response = rates.post("/api/v1/interactions", json=contact(citizen_id=citizen_id))
    assert response.status_code == 201
    writes = [s for s in statements if "INSERT" in s]
    assert len(writes) == 1
    assert "INSERT INTO interactions" in writes[0] and "INSERT INTO outbox_events" in writes[0]
    with app.app_context():
        event = db.session.scalars(
            sa.select(OutboxEvent).where(OutboxEvent.type == "interaction.recorded")
        ).one()
    assert event.aggregate_id == uuid.UUID(response.get_json()["id"])


def test_a_recorded_contact_has_exactly_the_columns_of_its_row() -> None:
    fields = [field.name for field in dataclasses.fields(RecordedInteraction)]
    assert fields == [column.name for column in Interaction.__table__.columns]


def test_anonymous_contact_counts(rates: Any):
    response = rates.post("/api/v1/interactions", json=contact(channel="counter"))
    assert response.status_code == 201
    assert response.get_json()["citizen_id"] is None


@pytest.mark.smoke
def test_retry_with_idempotency_key_never_double_counts(app: Any, rates: Any, citizen_id: str):
    body = contact(citizen_id=citizen_id)
    headers = {"Idempotency-Key": "cti-call-8812"}
    first = rates.post("/api/v1/interactions", json=body, headers=headers)
    again = rates.post("/api/v1/interactions", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    changed = rates.post(
        "/api/v1/interactions", json={**body, "outcome": "referred"}, headers=headers
    )
    assert changed.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Interaction)) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"outcome": "maybe"}, "outcome"),
        ({"service_code": "NO-SUCH"}, "service_code"),
        ({"citizen_id": "0190a0a0-0000-7000-8000-000000000000"}, "citizen_id"),
        ({"case_id": "0190a0a0-0000-7000-8000-000000000000"}, "case_id"),
        ({"department_code": "WASTE"}, "department_code"),
        ({"started_at": "2026-01-01T10:00:00"}, "started_at"),
        ({"ended_at": "2000-01-01T00:00:00+00:00"}, "ended_at"),
        (
            {"started_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat(), "ended_at": None},
            "started_at",
        ),
        ({"id": "0190a0a0-0000-7000-8000-000000000000"}, "id"),
        ({"recorded_by": "someone else"}, "recorded_by"),
    ],
)
def test_bad_input_is_422_and_writes_nothing(app: Any, rates: Any, overrides: Any, field: str):
    response = rates.post("/api/v1/interactions", json=contact(**overrides))
    assert response.status_code == 422, response.get_json()
    assert response.content_type == "application/problem+json"
    assert field in response.get_json()["errors"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Interaction)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent)) == 0


def test_a_merged_record_refuses_new_contacts_and_names_the_survivor(
    app: Any, rates: Any, citizen_id: str
):
    # The same person recorded twice, as before a merge.
    second = rates.post("/api/v1/citizens?on_match=create", json=new_citizen_payload())
    survivor = second.get_json()["id"]
    with app.app_context():  # what a merge leaves behind
        db.session.execute(
            sa.update(Citizen)
            .where(Citizen.id == uuid.UUID(citizen_id))
            .values(status="merged", merged_into_id=uuid.UUID(survivor))
        )
        db.session.commit()

    response = rates.post("/api/v1/interactions", json=contact(citizen_id=citizen_id))
    assert response.status_code == 409
    assert survivor in response.get_json()["detail"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Interaction)) == 0
        recorded = sa.select(sa.func.count()).where(OutboxEvent.type == "interaction.recorded")
        assert db.session.scalar(recorded) == 0
    anonymous = rates.post("/api/v1/interactions", json=contact(citizen_id=None))
    assert anonymous.status_code == 201


def test_needs_the_write_scope(make_api: Any):
    reader = make_api("citizens:read", "RATES")
    assert reader.post("/api/v1/interactions", json=contact()).status_code == 403


def test_list_filters_and_pages_latest_first(rates: Any, citizen_id: str):
    base = datetime.now(UTC) - timedelta(days=3)
    for hours, channel in enumerate(["phone", "counter", "web", "phone", "email"]):
        started = (base + timedelta(hours=hours)).isoformat()
        body = contact(citizen_id=citizen_id, channel=channel, started_at=started, ended_at=None)
        assert rates.post("/api/v1/interactions", json=body).status_code == 201
    rates.post("/api/v1/interactions", json=contact(channel="phone"))  # anonymous

    mine = rates.get(f"/api/v1/interactions?citizen_id={citizen_id}&limit=2")
    assert mine.status_code == 200
    first_page = mine.get_json()
    assert [i["channel"] for i in first_page] == ["email", "phone"]
    following = rates.get(mine.headers["Link"].split(">")[0].lstrip("<"))
    assert [i["channel"] for i in following.get_json()] == ["web", "counter"]

    phones = rates.get(f"/api/v1/interactions?citizen_id={citizen_id}&channel=phone")
    assert len(phones.get_json()) == 2
    period = rates.get(
        "/api/v1/interactions",
        query_string={
            "started_from": (base + timedelta(hours=1)).isoformat(),
            "started_before": (base + timedelta(hours=3)).isoformat(),
        },
    )
    assert [i["channel"] for i in period.get_json()] == ["web", "counter"]
    by_service = rates.get("/api/v1/interactions?service_code=WASTE-MISSED-BIN")
    assert by_service.get_json() == []
    assert len(rates.get("/api/v1/interactions?department_code=RATES").get_json()) == 6


def test_bad_cursor_is_422(rates: Any):
    assert rates.get("/api/v1/interactions?cursor=bm9wZQ").status_code == 422


def test_read_one(rates: Any, citizen_id: str):
    created = rates.post("/api/v1/interactions", json=contact(citizen_id=citizen_id)).get_json()
    response = rates.get(f"/api/v1/interactions/{created['id']}")
    assert response.status_code == 200
    assert response.get_json() == created
