"""Case resolutions: ``case.status_changed`` moves a case in or out of ``case_daily_rollups``.

The handler is state-based: it compares where the case should count now (from the case row)
with where ``case_resolutions`` says it counts, and applies the difference. Replays and events
processed in any order therefore end in the same place.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, or_, select

from cgcrm.cases.models import Case
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.metrics.models import CaseDailyRollup, CaseResolution
from cgcrm.metrics.rollups.buckets import (
    add_to,
    add_to_buckets,
    advisory_locks,
    new_deltas,
    zone,
)

CASE_COUNTERS = ("resolved", "resolved_within_sla")
CASE_KEY = ("day", "department_id", "service_id")
RESOLVED_STATUSES = ("resolved", "closed")
CaseKey = tuple[date, uuid.UUID, uuid.UUID]
Placement = tuple[CaseKey, bool]
CASE_COLUMNS = (
    Case.id,
    Case.status,
    Case.department_id,
    Case.service_id,
    Case.resolved_at,
    Case.due_at,
    Case.sla_breached_at,
)


def placement(case: Any, tz: ZoneInfo) -> Placement | None:
    """Where a case counts, and whether within its SLA; None while it is not resolved."""
    if case.resolved_at is None or case.status not in RESOLVED_STATUSES:
        return None
    day = case.resolved_at.astimezone(tz).date()
    within = case.sla_breached_at is None and case.resolved_at <= case.due_at
    return (day, case.department_id, case.service_id), within


def _counts(within: bool) -> dict[str, int]:
    return {"resolved": 1, "resolved_within_sla": int(within)}


def case_row(key: CaseKey, counts: dict[str, int], now: Any) -> dict[str, Any]:
    day, department_id, service_id = key
    return {
        "day": day,
        "department_id": department_id,
        "service_id": service_id,
        "updated_at": now,
        **{name: counts.get(name, 0) for name in CASE_COUNTERS},
    }


def add_to_case_buckets(deltas: Any) -> int:
    """Add ``deltas`` to case_daily_rollups; a bucket left at zero is deleted, as a rebuild
    would not write it."""
    changed = add_to_buckets(
        deltas,
        table=CaseDailyRollup.__table__,
        key_columns=CASE_KEY,
        counters=CASE_COUNTERS,
        row=case_row,
    )
    emptied = [key for key, counts in deltas.items() if any(v < 0 for v in counts.values())]
    if emptied:
        table = CaseDailyRollup.__table__
        db.session.execute(
            delete(table).where(
                table.c.resolved == 0,
                table.c.resolved_within_sla == 0,
                or_(
                    *(
                        and_(
                            table.c.day == day,
                            table.c.department_id == department_id,
                            table.c.service_id == service_id,
                        )
                        for day, department_id, service_id in emptied
                    )
                ),
            )
        )
    return changed


def settle_cases(case_ids: Iterable[uuid.UUID]) -> None:
    """Make the rollups count each case where its row says, and record where (no commit)."""
    ids = sorted(set(case_ids))
    if not ids:
        return
    advisory_locks(("case", case_id) for case_id in ids)
    tz = zone()
    cases = {
        row.id: row for row in db.session.execute(select(*CASE_COLUMNS).where(Case.id.in_(ids)))
    }
    stored = {
        row.case_id: row
        for row in db.session.scalars(
            select(CaseResolution).where(CaseResolution.case_id.in_(ids)).with_for_update()
        )
    }
    deltas = new_deltas()
    for case_id in ids:
        now_at = placement(cases[case_id], tz) if case_id in cases else None
        before = stored.get(case_id)
        was_at = (
            ((before.day, before.department_id, before.service_id), before.within_sla)
            if before is not None
            else None
        )
        if now_at == was_at:
            continue
        if was_at is not None:
            add_to(deltas, was_at[0], _counts(was_at[1]), -1)
        if now_at is None:
            db.session.delete(before)
            continue
        add_to(deltas, now_at[0], _counts(now_at[1]))
        (day, department_id, service_id), within = now_at
        if before is None:
            before = CaseResolution(case_id=case_id)
            db.session.add(before)
        before.day, before.department_id, before.service_id = day, department_id, service_id
        before.within_sla = within
    db.session.flush()
    add_to_case_buckets(deltas)


def count_case_resolutions(events: Sequence[OutboxEvent]) -> None:
    """Batch handler of ``case.status_changed``: settle each case's resolution count.

    :raises KeyError, ValueError: a payload has no valid ``case_id``.
    """
    settle_cases(uuid.UUID(str(event.payload["case_id"])) for event in events)


def count_case_resolution(event: OutboxEvent) -> None:
    """Handler of one ``case.status_changed`` event (the per-event path)."""
    count_case_resolutions([event])
