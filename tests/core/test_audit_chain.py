"""The audit trail is tamper-evident."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from sqlalchemy import update

from cgcrm.core.audit import AuditEvent, verify_chain
from cgcrm.extensions import db
from tests.conftest import new_citizen_payload


def test_editing_an_event_breaks_the_chain(app: Flask, staff: Any) -> None:
    citizen_id = staff.post("/api/v1/citizens", json=new_citizen_payload()).get_json()["id"]
    for _ in range(3):
        staff.get(f"/api/v1/citizens/{citizen_id}")
    cid = uuid.UUID(citizen_id)
    with app.app_context():
        assert verify_chain(cid)
        db.session.execute(
            update(AuditEvent).where(AuditEvent.seq == 2).values(principal_id="someone-else")
        )
        db.session.commit()
        assert not verify_chain(cid)
        db.session.remove()
