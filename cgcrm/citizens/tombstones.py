"""Merged records: where a tombstone's person lives now."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from cgcrm.citizens.models import Citizen
from cgcrm.extensions import db

# Merge chains are short (A into B, later B into C); the bound only guards a corrupt cycle.
MAX_HOPS = 32


def live_record_id(merged_into: uuid.UUID | None) -> uuid.UUID | None:
    """The live record at the end of a merge chain starting at ``merged_into``, or None."""
    current = merged_into
    for _ in range(MAX_HOPS):
        if current is None:
            return None
        row = db.session.execute(
            select(Citizen.status, Citizen.merged_into_id).where(Citizen.id == current)
        ).first()
        if row is None or row.status != "merged" or row.merged_into_id is None:
            return current
        current = row.merged_into_id
    return current
