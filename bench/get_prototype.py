"""PROTOTYPE (bench only): fewer round trips for GET /api/v1/citizens/{id}.

``install()`` replaces ``cgcrm.citizens.service._load`` (nothing in cgcrm/ is edited): the
citizen and its names, contact points, addresses and identifiers are read in one statement
(``joinedload``) instead of six (the citizen, then one ``selectin`` load per list); consents,
usually empty, stay a ``selectin`` load. The response body is unchanged.

Measured with ``bench/get_throughput.py --app-spec wsgi_get_proposed:app`` and, request by
request against the original in one process, in docs/benchmarks.md.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from cgcrm.citizens import service
from cgcrm.citizens.models import Citizen
from cgcrm.core.errors import NotFound
from cgcrm.extensions import db


def load_citizen(citizen_id: uuid.UUID, *, for_update: bool = False) -> Citizen:
    """``service._load`` with the record's lists joined into the one statement."""
    query = (
        select(Citizen)
        .where(Citizen.id == citizen_id)
        .options(
            joinedload(Citizen.names),
            joinedload(Citizen.contact_points),
            joinedload(Citizen.addresses),
            joinedload(Citizen.identifiers),
        )
    )
    if for_update:
        query = query.with_for_update(of=Citizen)
    citizen = db.session.scalars(query).unique().one_or_none()
    if citizen is None:
        raise NotFound(f"no citizen with id {citizen_id}")
    return citizen


def install() -> None:
    """Replace the loader the service functions call (looked up at call time)."""
    service._load = load_citizen
