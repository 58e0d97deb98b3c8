"""What a batch of an import needs to know of the stored records, one query per question."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam, select

from cgcrm.citizens.models import Citizen, ExternalIdentifier
from cgcrm.extensions import db
from cgcrm.integrations.imports.models import ImportRow
from cgcrm.integrations.imports.rows import IdentifierKey


def _among(column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL with the values as one array parameter (``= ANY``):
    a batch asks about a thousand values at once, and the expanded list was a statement of a
    thousand parameters that SQLAlchemy rendered and psycopg parsed afresh every time (it
    keeps the parse of statements up to 4 kB only)."""
    if db.session.get_bind().dialect.name == "postgresql":
        array = bindparam(None, list(values), type_=ARRAY(column.type))
        return column == any_(array)
    return column.in_(values)


def holders(keys: set[IdentifierKey]) -> dict[IdentifierKey, uuid.UUID]:
    """The stored record holding each identifier (system, value index), where one does."""
    if not keys:
        return {}
    table = ExternalIdentifier.__table__
    rows = db.session.execute(
        select(table.c.system, table.c.value_index, table.c.citizen_id).where(
            _among(table.c.value_index, sorted({index for _, index in keys}))
        )
    )
    return {
        (r.system, r.value_index): r.citizen_id for r in rows if (r.system, r.value_index) in keys
    }


def recognised(keys: set[str]) -> dict[str, uuid.UUID]:
    """The record each row key (a row the department imported before) went to."""
    if not keys:
        return {}
    rows = db.session.execute(
        select(ImportRow.row_key, ImportRow.citizen_id).where(
            _among(ImportRow.row_key, sorted(keys)), ImportRow.citizen_id.is_not(None)
        )
    )
    return {r.row_key: r.citizen_id for r in rows}


def survivors(ids: set[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Each id mapped to the record that holds it now (a merged one's survivor)."""
    resolved = {i: i for i in ids}
    pending = set(ids)
    for _ in range(10):  # merge chains are short; a cycle cannot exist but must not hang us
        if not pending:
            break
        rows = db.session.execute(
            select(Citizen.id, Citizen.merged_into_id).where(
                _among(Citizen.id, sorted(pending)), Citizen.merged_into_id.is_not(None)
            )
        ).all()
        moved = {r.id: r.merged_into_id for r in rows}
        for start, now in resolved.items():
            if now in moved:
                resolved[start] = moved[now]
        pending = set(moved.values())
    return resolved


def systems_of(ids: set[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
    """The identifier systems each stored record holds."""
    systems: dict[uuid.UUID, set[str]] = {i: set() for i in ids}
    if ids:
        rows = db.session.execute(
            select(ExternalIdentifier.citizen_id, ExternalIdentifier.system).where(
                _among(ExternalIdentifier.citizen_id, sorted(ids))
            )
        )
        for r in rows:
            systems[r.citizen_id].add(r.system)
    return systems
