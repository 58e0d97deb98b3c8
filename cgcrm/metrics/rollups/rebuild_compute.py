"""Running the rebuild's SQL (``rebuild_sql``): its parameters and settings, and the contact
parts computed into temporary tables, at once on several connections (``rebuild_parallel``) or
one after the other in the rebuild's transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import text

from cgcrm.extensions import db
from cgcrm.metrics.models import NO_SERVICE
from cgcrm.metrics.rollups import local_days, rebuild_parallel, rebuild_sql
from cgcrm.metrics.rollups.counted import (
    INVITATION_EVENT,
    INVITATIONS_HANDLER,
    RECORDED_EVENT,
    RESPONSE_EVENT,
    RESPONSES_HANDLER,
    ROLLUP_HANDLER,
    all_pending,
)
from cgcrm.metrics.rollups.rebuild_parallel import Part


def parameters(start: datetime, end: datetime) -> dict[str, Any]:
    config = current_app.config
    return {
        "start": start,
        "end": end,
        "tz": config["TIME_ZONE"],
        "no_service": NO_SERVICE,
        "max_span": f"{int(config['CONTACT_MAX_SPAN_HOURS'])} hours",
        "recorded_event": RECORDED_EVENT,
        "rollup_handler": ROLLUP_HANDLER,
        "response_event": RESPONSE_EVENT,
        "responses": RESPONSES_HANDLER,
        "invitation_event": INVITATION_EVENT,
        "invitations": INVITATIONS_HANDLER,
    }


def _transaction_settings() -> tuple[tuple[str, str], ...]:
    """The rebuild's transaction's sorts and hashes use METRICS_REBUILD_WORK_MEM (the windows
    sort every identified contact of the range, which spills to disk with the default 4 MB), and
    JIT is off: compiling these queries' many expressions cost seconds, more than it saved."""
    return (("work_mem", str(current_app.config["METRICS_REBUILD_WORK_MEM"])), ("jit", "off"))


def _sort_in_memory() -> None:
    for name, value in _transaction_settings():
        _set_local(name, value)


def _compute_contact_parts(params: dict[str, Any], connections: int = 1) -> None:
    """Compute the three parts of CONTACTS into temporary tables (dropped at commit): at once on
    ``connections`` connections sharing this transaction's snapshot (which does not show them
    this transaction's own writes: the parts read none of the tables it writes), or one after
    the other here, each as CREATE TABLE … AS, which PostgreSQL may run in parallel workers
    (INSERT … SELECT never)."""
    day_start = local_days.day_start(
        "i.started_at", local_days.utc_offsets(params["start"], params["end"], params["tz"])
    )
    if connections > 1:
        pending = rebuild_sql.PENDING.format(event="recorded_event", handler="rollup_handler")
        shared = rebuild_parallel.export_snapshot(pending, rebuild_sql.ANY_OUTSIDE, params)
        params = params | {"pending": shared.pending}
        parts = [
            replace(part, settings=(*_transaction_settings(), *part.settings))
            for part in _contact_parts(not shared.any_outside, day_start, connections - 2)
        ]
        rebuild_parallel.compute_parts(parts, params, shared, connections)
        return
    # The parallel path reads the pending contacts with its snapshot instead.
    params = params | {"pending": sorted(all_pending(RECORDED_EVENT, ROLLUP_HANDLER))}
    whole_table = not db.session.scalar(text(rebuild_sql.ANY_OUTSIDE), params)
    for part in _contact_parts(whole_table, day_start):
        db.session.execute(text(f"DROP TABLE IF EXISTS {part.table}"))
        earlier = [(name, _set_local(name, value)) for name, value in part.settings]
        db.session.execute(
            text(f"CREATE TEMPORARY TABLE {part.table} ON COMMIT DROP AS {part.query}"), params
        )
        for name, value in earlier:
            _set_local(name, value)


def _set_local(name: str, value: str) -> str:
    """Set ``name`` until the transaction ends; returns its value before."""
    earlier = db.session.scalar(text("SELECT current_setting(:name)"), {"name": name})
    db.session.execute(
        text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value}
    )
    return str(earlier)


def _contact_parts(whole_table: bool, day_start: str, citizen_slices: int = 1) -> tuple[Part, ...]:
    """``whole_table``: no contact lies outside the range; ``day_start``: see local_days;
    ``citizen_slices``: the follow-ups in that many parts, by ranges of citizens (on 10M
    contacts they cost as much CPU as the two other parts together, so with two slices the four
    parts are about equal)."""
    followups = [
        Part("rebuilt_followups", rebuild_sql.followups_query(day_start, citizens))
        for citizens in rebuild_parallel.citizen_ranges(citizen_slices)
    ]
    return (
        # The longest first: should there be more parts than connections, they start first.
        *followups,
        # In one process: each parallel worker would find the shared refs again.
        Part(
            "rebuilt_transactions",
            rebuild_sql.transactions_query(whole_table=whole_table),
            settings=(("max_parallel_workers_per_gather", "0"),),
        ),
        # Local to this statement: the windows of the other parts need their sorts.
        Part(
            "rebuilt_alone",
            rebuild_sql.alone_query(day_start),
            settings=(("enable_sort", "off"),),
        ),
    )


def prepare(start: datetime, end: datetime, connections: int = 1) -> dict[str, Any]:
    """Set up the transaction for the queries of contacts started in [start, end) and compute
    the contact parts that CONTACTS sums; returns the queries' parameters.

    :param connections: > 1: compute the parts at once on that many connections (the
        transaction must not have written contacts, events or markers yet).
    """
    _sort_in_memory()
    params = parameters(start, end)
    _compute_contact_parts(params, connections)
    return params


def computed_rollups(start: datetime, end: datetime) -> dict[Any, dict[str, int]]:
    """The rollups of contacts started in [start, end), computed without writing."""
    params = prepare(start, end)
    result: dict[Any, dict[str, int]] = {}
    sources = [(rebuild_sql.CONTACTS, rebuild_sql.CONTACT_COUNTERS), *rebuild_sql.PARTS]
    for query, counters in sources:
        for row in db.session.execute(text(query), params).mappings():
            key = (row["day"], row["department_id"], row["channel_code"], row["service_id"])
            target = result.setdefault(key, {})
            for name in counters:
                target[name] = int(row[name])
    return result
