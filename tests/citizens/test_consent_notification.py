"""How the citizen is reached when a consent that widens access is recorded."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask

from cgcrm.citizens.jobs import contact_route
from cgcrm.citizens.service import load_citizen
from cgcrm.extensions import db
from cgcrm.worker.handlers import handlers_for
from cgcrm.worker.relay import route
from tests.conftest import new_citizen_payload


def test_consent_events_are_handled_on_the_notifications_queue() -> None:
    assert [spec.path for spec in handlers_for("citizen.consent_recorded")] == [
        "cgcrm.citizens.jobs:notify_consent_recorded"
    ]
    assert route("citizen.consent_recorded") == "notifications"


@pytest.mark.parametrize(
    ("preferred", "contact_kinds", "expected"),
    [
        (None, ("email", "phone"), "email"),
        ("phone", ("email", "phone"), "sms"),
        ("mobile_app", ("email",), "email"),
        ("mail", ("email", "phone"), "post"),
        ("email", ("phone",), "sms"),
        ("email", (), "post"),
    ],
)
def test_the_preferred_channel_comes_first(
    app: Flask, rates: Any, preferred: str | None, contact_kinds: tuple[str, ...], expected: str
) -> None:
    payload = new_citizen_payload(preferences={"preferred_channel": preferred})
    payload["contact_points"] = [
        point for point in payload["contact_points"] if point["kind"] in contact_kinds
    ]
    created = rates.post("/api/v1/citizens", json=payload)
    assert created.status_code == 201, created.get_json()
    with app.app_context():
        found = contact_route(load_citizen(uuid.UUID(created.get_json()["id"])))
        db.session.remove()
    assert found is not None and found[0] == expected
    if expected == "post":
        assert found[1].startswith("12 George Street, Parramatta")


def test_a_citizen_with_no_address_is_not_reached(app: Flask, rates: Any) -> None:
    payload = new_citizen_payload(contact_points=[], addresses=[])
    created = rates.post("/api/v1/citizens", json=payload)
    with app.app_context():
        assert contact_route(load_citizen(uuid.UUID(created.get_json()["id"]))) is None
        db.session.remove()
