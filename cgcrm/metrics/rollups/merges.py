"""Rollups after a merge or its undo: the moved contacts now belong to another citizen.

Follow-ups (avoidable contacts, first-contact resolution) count contacts per citizen, so a
merge that re-points contacts changes the counts of the days around them: a contact counts
whether another of the same citizen started within 7 days. The handler recomputes from raw data
the days each moved contact can touch (its local day ± 7), as ``flask metrics rebuild`` would,
so the KPIs equal a rebuild. Undo moves the same contacts back; the same days are recomputed.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from cgcrm.extensions import db
from cgcrm.interactions.models import Interaction
from cgcrm.matching.models import Merge
from cgcrm.metrics.rollups.buckets import zone
from cgcrm.metrics.rollups.followups import WINDOW
from cgcrm.metrics.rollups.rebuild import lock_rollups, replace_days

MOVED_CONTACTS = f"{Interaction.__tablename__}.citizen_id"
# Chunks of ids per query, and the widest span recomputed at once.
CHUNK = 5000


def touched_days(days: set[date]) -> list[tuple[date, date]]:
    """Disjoint inclusive ranges covering each day ± the follow-up window, in order."""
    reach = timedelta(days=WINDOW.days + 1)  # a local day's contacts reach one day further
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        first, last = day - reach, day + reach
        if ranges and first <= ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], last))
        else:
            ranges.append((first, last))
    return ranges


def _contact_days(contact_ids: list[uuid.UUID]) -> set[date]:
    tz = zone()
    days: set[date] = set()
    for start in range(0, len(contact_ids), CHUNK):
        chunk = contact_ids[start : start + CHUNK]
        for started in db.session.scalars(
            select(Interaction.started_at).where(Interaction.id.in_(chunk))
        ):
            days.add(started.astimezone(tz).date())
    return days


def rebuild_after_merge(event: Any) -> None:
    """Handler of ``citizen.merged`` and ``citizen.unmerged``: recompute the rollups of the
    days the merge's moved contacts touch (no commit: the worker's transaction)."""
    merge = db.session.get(Merge, uuid.UUID(str(event.payload["merge_id"])))
    if merge is None:
        return
    keys = merge.moved.get("rows", {}).get(MOVED_CONTACTS, [])
    days = _contact_days([uuid.UUID(key[0]) for key in keys])
    if not days:
        return
    lock_rollups()
    for first, last in touched_days(days):
        replace_days(first, last)
