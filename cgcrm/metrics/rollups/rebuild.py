"""``flask metrics rebuild``: recompute the rollups of a range of days from raw data.

One transaction. It locks the rollup tables against the incremental handlers (which wait, then
add their events to the rebuilt buckets) and leaves out raw rows whose event is still pending
for its handler, so a rebuild after all events are processed equals the incremental result.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, insert, select, text

from cgcrm.core.clock import utcnow
from cgcrm.core.errors import ValidationError
from cgcrm.core.time_bounds import EARLIEST_DATE, date_problem
from cgcrm.extensions import db
from cgcrm.metrics.models import CaseDailyRollup, CaseResolution, InteractionDailyRollup
from cgcrm.metrics.rollups import expected, rebuild_compute, rebuild_write
from cgcrm.metrics.rollups.buckets import Deltas, day_bounds, nonzero, rollup_row, zone
from cgcrm.metrics.rollups.cases import case_row

log = logging.getLogger(__name__)
LOCKED_TABLES = ("interaction_daily_rollups", "case_daily_rollups", "case_resolutions")


def as_date(value: date | str, field: str) -> date:
    """A job's or command's date argument (a date or an ISO string), held to plausible days.

    :raises ValidationError: not a date, or one no time zone can hold.
    """
    try:
        day = value if isinstance(value, date) else date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"{field} must be an ISO date", errors={field: ["not a date"]}
        ) from exc
    problem = date_problem(day, earliest=EARLIEST_DATE, not_in_future=False)
    if problem:
        raise ValidationError(f"{field} {problem}", errors={field: [problem]})
    return day


def day_range(day_from: date | str, day_to: date | str | None) -> tuple[date, date]:
    """Validated inclusive bounds; ``day_to`` defaults to today in TIME_ZONE.

    :raises ValidationError: a bound is not a date, or ``day_to`` is before ``day_from``.
    """
    first = as_date(day_from, "day_from")
    last = as_date(day_to, "day_to") if day_to is not None else utcnow().astimezone(zone()).date()
    if last < first:
        raise ValidationError("day_to is before day_from", errors={"day_to": ["before day_from"]})
    return first, last


def use_sql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def lock_rollups() -> None:
    """Keep the incremental handlers out until the transaction ends (SQLite: its first write
    takes the database's write lock anyway)."""
    if use_sql():
        db.session.execute(
            text(f"LOCK TABLE {', '.join(LOCKED_TABLES)} IN SHARE ROW EXCLUSIVE MODE")
        )


def expected_interaction_rollups(first: date, last: date, *, in_sql: bool | None = None) -> Deltas:
    """The interaction rollups of ``first`` … ``last`` as raw data gives them: {key: counters}."""
    if in_sql if in_sql is not None else use_sql():
        return rebuild_compute.computed_rollups(*day_bounds(first, last, zone()))
    return nonzero(expected.interaction_counts(first, last))


def replace_days(
    first: date, last: date, *, in_sql: bool | None = None, connections: int = 1
) -> None:
    """Delete and recompute every rollup of ``first`` … ``last`` (no lock, no commit).

    :param connections: in SQL, compute the contacts' counters on that many connections at once
        (they see what this transaction's snapshot sees, not its own writes: only for a
        transaction that has written nothing they read, as ``rebuild_rollups``).
    """
    cases = CaseDailyRollup.__table__
    db.session.execute(delete(cases).where(cases.c.day >= first, cases.c.day <= last))
    if in_sql if in_sql is not None else use_sql():
        start, end = day_bounds(first, last, zone())
        rebuild_write.write_rollups(first, last, start, end, connections=connections)
    else:
        table = InteractionDailyRollup.__table__
        db.session.execute(delete(table).where(table.c.day >= first, table.c.day <= last))
        write_interaction_rollups(nonzero(expected.interaction_counts(first, last)))
    placements = expected.case_placements(first, last)
    resolutions = CaseResolution.__table__
    db.session.execute(
        delete(resolutions).where(resolutions.c.day >= first, resolutions.c.day <= last)
    )
    if placements:
        db.session.execute(
            insert(resolutions),
            [
                {
                    "case_id": case_id,
                    "day": key[0],
                    "department_id": key[1],
                    "service_id": key[2],
                    "within_sla": within,
                }
                for case_id, (key, within) in placements.items()
            ],
        )
    write_case_rollups(expected.case_counts(placements))


def write_interaction_rollups(rows: Deltas) -> None:
    if rows:
        now = utcnow()
        db.session.execute(
            insert(InteractionDailyRollup.__table__),
            [rollup_row(key, counts, now) for key, counts in rows.items()],
        )


def write_case_rollups(rows: Deltas) -> None:
    rows = nonzero(rows)
    if rows:
        now = utcnow()
        db.session.execute(
            insert(CaseDailyRollup.__table__), [case_row(key, c, now) for key, c in rows.items()]
        )


def rebuild_rollups(
    day_from: date | str, day_to: date | str | None = None, *, in_sql: bool | None = None
) -> int:
    """Recompute every rollup (contacts, surveys, cases) of ``day_from`` … ``day_to``
    (inclusive, in TIME_ZONE) from raw data, in one transaction. Usable as a job.

    :param day_to: default today.
    :param in_sql: compute in SQL (default on PostgreSQL) or in Python (default elsewhere).
    :returns: how many contacts the rebuilt buckets count.
    :raises ValidationError: a bound is not a date, or ``day_to`` is before ``day_from``.
    """
    first, last = day_range(day_from, day_to)
    try:
        lock_rollups()
        connections = int(current_app.config["METRICS_REBUILD_PARALLELISM"])
        replace_days(first, last, in_sql=in_sql, connections=connections)
        table = InteractionDailyRollup.__table__
        counted: Any = db.session.scalar(
            select(func.coalesce(func.sum(table.c.interactions), 0)).where(
                table.c.day >= first, table.c.day <= last
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("metrics: rebuilt the rollups of %s … %s (%d contacts)", first, last, counted)
    return int(counted)
