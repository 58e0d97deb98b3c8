"""Whether an id names a staff user work may be assigned to."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from cgcrm.extensions import db
from cgcrm.identity.models import StaffUser


def staff_user_problem(user_id: uuid.UUID) -> str | None:
    """ "unknown or inactive staff user" unless ``user_id`` is an active one, else None."""
    active = db.session.scalar(select(StaffUser.active).where(StaffUser.id == user_id))
    return None if active else "unknown or inactive staff user"
