"""Fixtures of the identity assurance tests."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from cgcrm.assurance.models import CodeChallenge, Verification
from cgcrm.extensions import db
from cgcrm.notifications.models import SentNotification

PASSPORT = {
    "method": "document_check",
    "channel": "counter",
    "document_type": "passport",
    "last_digits": "4821",
}


@pytest.fixture
def verifications(citizen_id: str) -> str:
    return f"/api/v1/citizens/{citizen_id}/verifications"


@pytest.fixture
def sent_code(app: Flask) -> Any:
    """The code the notification adapter sent for a challenge (the citizen's inbox)."""

    def read(challenge_id: str) -> str:
        with app.app_context():
            body = db.session.scalar(
                select(SentNotification.body).where(
                    SentNotification.reference == f"assurance.code:{challenge_id}"
                )
            )
            db.session.remove()
        assert body is not None, "no code was sent"
        found = re.search(r"\b(\d{6})\b", body)
        assert found is not None
        return found.group(1)

    return read


@pytest.fixture
def age(app: Flask) -> Any:
    """Move a citizen's evidence or codes into the past (time passing, as data)."""

    def run(model: Any, row_id: str, **values: Any) -> None:
        with app.app_context():
            db.session.execute(update(model).where(model.id == uuid.UUID(row_id)).values(**values))
            db.session.commit()
            db.session.remove()

    return run


__all__ = ["CodeChallenge", "Verification"]
