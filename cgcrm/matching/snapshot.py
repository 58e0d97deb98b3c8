"""Two citizen records, rows and lists, as JSON and back: what undo puts back exactly.

A snapshot holds every column of the ``citizens`` rows and of their lists (names, contact points,
addresses, identifiers, consents), ids, versions and timestamps included, so restoring it gives
the API the very JSON it gave before the merge. Values are stored as JSON text (UUIDs, dates and
times in ISO form; identifiers stay encrypted) and converted back by column type.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, Table, Uuid, delete, insert, select, update

from cgcrm.citizens.models import Citizen
from cgcrm.core.types import UTCDateTime
from cgcrm.extensions import db
from cgcrm.matching.references import RECORD_LISTS

CITIZENS: Table = Citizen.__table__
LIST_TABLES: tuple[Table, ...] = tuple(model.__table__ for model in RECORD_LISTS)


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in row.items():
        column_type = table.c[name].type
        if value is None:
            values[name] = None
        elif isinstance(column_type, UTCDateTime):
            values[name] = datetime.fromisoformat(value).astimezone(UTC)
        elif isinstance(column_type, Date):
            values[name] = date.fromisoformat(value)
        elif isinstance(column_type, Uuid):
            values[name] = uuid.UUID(value)
        else:
            values[name] = value
    return values


def _rows(table: Table, column: Any, ids: Iterable[uuid.UUID]) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(table).where(column.in_(list(ids))).order_by(*table.primary_key.columns)
    ).mappings()
    return [{key: _plain(value) for key, value in row.items()} for row in rows]


def take_snapshot(citizen_ids: Iterable[uuid.UUID]) -> dict[str, list[dict[str, Any]]]:
    """The rows of these citizens and of their lists, as JSON-ready dicts by table name."""
    ids = sorted(set(citizen_ids))
    snapshot = {CITIZENS.name: _rows(CITIZENS, CITIZENS.c.id, ids)}
    for table in LIST_TABLES:
        snapshot[table.name] = _rows(table, table.c.citizen_id, ids)
    return snapshot


def lists_digest(citizen_id: uuid.UUID) -> dict[str, str]:
    """A fingerprint of each list of one citizen: undo compares it with the one taken right
    after the merge, so a change that did not bump the record's version is still noticed."""
    digests = {}
    for table in LIST_TABLES:
        rows = _rows(table, table.c.citizen_id, [citizen_id])
        text = json.dumps(rows, sort_keys=True, default=str)
        digests[table.name] = hashlib.sha256(text.encode()).hexdigest()
    return digests


def restore_snapshot(snapshot: dict[str, list[dict[str, Any]]]) -> None:
    """Put the citizens' rows and lists back as the snapshot holds them (in the caller's
    transaction): every list row of these citizens now is replaced by the snapshot's."""
    citizens = snapshot[CITIZENS.name]
    ids = [uuid.UUID(row["id"]) for row in citizens]
    for table in LIST_TABLES:
        db.session.execute(delete(table).where(table.c.citizen_id.in_(ids)))
    for row in citizens:
        values = _typed(CITIZENS, row)
        db.session.execute(
            update(CITIZENS).where(CITIZENS.c.id == values.pop("id")).values(**values)
        )
    for table in LIST_TABLES:
        rows = [_typed(table, row) for row in snapshot.get(table.name, [])]
        if rows:
            db.session.execute(insert(table), rows)
