"""Whether an id names a citizen a contact or case may be recorded against."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from cgcrm.citizens.models import Citizen
from cgcrm.extensions import db


def citizen_reference_problem(citizen_id: uuid.UUID) -> str | None:
    """ "unknown citizen" when no citizen has this id, else None.

    A merged record is not a field mistake but a conflict (409) the service reports itself.
    """
    found = db.session.scalar(select(Citizen.id).where(Citizen.id == citizen_id))
    return None if found is not None else "unknown citizen"
