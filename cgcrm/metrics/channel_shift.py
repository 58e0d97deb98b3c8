"""Channel shift: did the citizens who contacted us in both periods move to digital channels?

Read from the raw ``interactions`` table (the rollups keep no citizen), in one statement: per
period, each citizen's main channel kind (window function for their latest contact, GROUP BY
citizen), the two joined on the citizen and counted by (kind in A, kind in B). Only four rows
come back, however many citizens there are. PostgreSQL and SQLite (≥ 3.25) both run it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.sql import Select

from cgcrm.catalog.models import CHANNEL_KINDS, Channel
from cgcrm.extensions import db
from cgcrm.interactions.models import Interaction
from cgcrm.metrics.kpis import Filters
from cgcrm.metrics.periods import check_range, time_zone, utc_bounds


def _main_kinds(first: date, last: date, service_id: uuid.UUID | None, name: str) -> Any:
    """Per citizen with inbound contacts in the period: the kind of most of them, a tie going
    to the kind of the latest (by started_at, then id)."""
    start, end = utc_bounds(first, last)
    kind = Channel.__table__.c.kind
    contacts: Select[Any] = (
        select(
            Interaction.citizen_id,
            kind.label("kind"),
            func.row_number()
            .over(
                partition_by=Interaction.citizen_id,
                order_by=(Interaction.started_at.desc(), Interaction.id.desc()),
            )
            .label("recency"),
        )
        .join(Channel.__table__, Channel.__table__.c.code == Interaction.channel_code)
        .where(
            Interaction.direction == "inbound",
            Interaction.citizen_id.is_not(None),
            Interaction.started_at >= start,
            Interaction.started_at < end,
        )
    )
    if service_id is not None:
        contacts = contacts.where(Interaction.service_id == service_id)
    rows = contacts.subquery(f"{name}_contacts")
    digital = func.sum(case((rows.c.kind == "digital", 1), else_=0))
    everyone = func.count()
    latest = func.max(case((rows.c.recency == 1, rows.c.kind)))
    main = case(
        (digital * 2 > everyone, literal("digital")),
        (digital * 2 < everyone, literal("assisted")),
        else_=latest,
    )
    return (
        select(rows.c.citizen_id, main.label("kind"))
        .group_by(rows.c.citizen_id)
        .subquery(f"{name}_kinds")
    )


def channel_shift(
    from_a: date, to_a: date, from_b: date, to_b: date, *, service: str | None = None
) -> dict[str, Any]:
    """How the citizens with inbound contacts in both periods (inclusive days in TIME_ZONE)
    moved between digital and assisted channels: a matrix of main kind in A (rows) against B
    (columns), the movers, and the share of A's assisted citizens who moved to digital.

    :param service: a service code: only contacts about it count.
    :raises ValidationError: a period is reversed or too long, or the service is unknown.
    """
    check_range(from_a, to_a, to_field="to_a")
    check_range(from_b, to_b, to_field="to_b")
    service_id = Filters(service=service).service_id()
    a = _main_kinds(from_a, to_a, service_id, "a")
    b = _main_kinds(from_b, to_b, service_id, "b")
    statement = (
        select(a.c.kind, b.c.kind, func.count())
        .select_from(a.join(b, a.c.citizen_id == b.c.citizen_id))
        .group_by(a.c.kind, b.c.kind)
    )
    matrix = {row: dict.fromkeys(CHANNEL_KINDS, 0) for row in CHANNEL_KINDS}
    for kind_a, kind_b, citizens in db.session.execute(statement):
        matrix[kind_a][kind_b] = int(citizens)
    assisted_in_a = sum(matrix["assisted"].values())
    moved_to_digital = matrix["assisted"]["digital"]
    return {
        "from_a": from_a,
        "to_a": to_a,
        "from_b": from_b,
        "to_b": to_b,
        "service": service,
        "time_zone": time_zone(),
        "citizens": sum(sum(row.values()) for row in matrix.values()),
        "matrix": matrix,
        "moved_to_digital": moved_to_digital,
        "moved_to_assisted": matrix["digital"]["assisted"],
        "assisted_to_digital_share": (moved_to_digital / assisted_in_a if assisted_in_a else None),
    }
