"""Fixtures of the case tests: a system per department, and helpers that read what was written."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from cgcrm.cases.models import Case
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db

URL = "/api/v1/cases"


def open_case(api: Any, service_code: str = "RATES-PAY", **fields: Any) -> dict[str, Any]:
    payload = {"service_code": service_code, "summary": "Rates notice not received", **fields}
    response = api.post(URL, json=payload)
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def move(api: Any, case: dict[str, Any], to: str, reason: str | None = None) -> Any:
    """POST a transition with the case's current version; returns the response."""
    body: dict[str, Any] = {"to": to}
    if reason is not None:
        body["reason"] = reason
    return api.post(
        f"{URL}/{case['id']}/transitions",
        json=body,
        headers={"If-Match": f'"v{case["version"]}"'},
    )


def events(app: Flask, case_id: str, event_type: str | None = None) -> list[OutboxEvent]:
    with app.app_context():
        query = (
            sa.select(OutboxEvent)
            .where(OutboxEvent.aggregate_id == uuid.UUID(case_id))
            .order_by(OutboxEvent.seq)
        )
        if event_type is not None:
            query = query.where(OutboxEvent.type == event_type)
        found = list(db.session.scalars(query))
        db.session.remove()
    return found


def set_case_times(app: Flask, case_id: str, **values: datetime | None) -> None:
    """Move a case's clock columns, as if time had passed since they were set."""
    with app.app_context():
        db.session.execute(sa.update(Case).where(Case.id == uuid.UUID(case_id)).values(**values))
        db.session.commit()
        db.session.remove()
