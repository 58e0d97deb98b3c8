"""Reading one citizen's record as plain values: the busiest read of the system, kept cheap.

``read_record`` returns a ``CitizenRecord``: the citizen's columns and its lists (names,
contact points, addresses, identifiers, consents) as attribute bags with the same names as the
ORM models, so schemas serialise either. Nothing is loaded into the session's identity map. On
PostgreSQL it is one statement: each list comes back as a JSON array built by the database
(``json_agg``), decoded by the driver in C. Other databases (SQLite) get one statement per list.
Writes keep the ORM (``service.load_citizen(..., for_update=True)``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Select,
    Table,
    Uuid,
    bindparam,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from cgcrm.citizens.models import (
    Address,
    Citizen,
    CitizenFacts,
    CitizenName,
    Consent,
    ConsentFacts,
    ContactPoint,
    ExternalIdentifier,
)
from cgcrm.core.audit import AUDIT_INSERT, AuditEvent
from cgcrm.core.types import UTCDateTime


class StoredRow(SimpleNamespace):
    """One stored row's values (read as attributes, like the model's)."""


class StoredConsent(StoredRow, ConsentFacts):
    """A consent decision's values, with the model's ``status``."""


class CitizenRecord(StoredRow, CitizenFacts):
    """A citizen's columns and lists, with the model's ``previous_names``, ``preferences`` and
    ``current_consents``."""

    id: uuid.UUID
    version: int
    shares_across_government: bool
    consents: list[Any]


# Each list: attribute on the record, model, order, value class.
LISTS: tuple[tuple[str, Any, str, type[StoredRow]], ...] = (
    ("names", CitizenName, "position", StoredRow),
    ("contact_points", ContactPoint, "position", StoredRow),
    ("addresses", Address, "position", StoredRow),
    ("identifiers", ExternalIdentifier, "position", StoredRow),
    ("consents", Consent, "recorded_at", StoredConsent),
)


def _from_json(column: Any) -> Callable[[Any], Any] | None:
    """How a JSON-encoded value of ``column`` becomes the Python value the ORM would give."""
    if isinstance(column.type, UTCDateTime):
        return lambda v: datetime.fromisoformat(v).astimezone(UTC)
    if isinstance(column.type, Date):
        return date.fromisoformat
    if isinstance(column.type, Uuid):
        return uuid.UUID
    return None


@cache
def _converters(table: Table) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    return tuple(
        (column.name, convert)
        for column in table.columns
        if (convert := _from_json(column)) is not None
    )


def _json_list(model: Any, order: str) -> Any:
    table: Table = model.__table__
    pairs: list[Any] = []
    for column in table.columns:
        pairs += [literal_column(f"'{column.name}'"), column]
    built = func.json_build_object(*pairs)
    return (
        select(
            func.coalesce(
                func.json_agg(aggregate_order_by(built, table.c[order], table.c.id)),
                literal_column("'[]'::json"),
            )
        )
        .where(table.c.citizen_id == Citizen.__table__.c.id)
        .scalar_subquery()
    )


@cache
def _postgresql_statement() -> Select[Any]:
    citizens = Citizen.__table__
    lists = [_json_list(model, order).label(name) for name, model, order, _ in LISTS]
    return select(citizens, *lists).where(citizens.c.id == bindparam("citizen_id", type_=Uuid))


def _record_from_json(values: dict[str, Any]) -> CitizenRecord:
    for name, model, _, kind in LISTS:
        converters = _converters(model.__table__)
        items = []
        for item in values[name]:
            for key, convert in converters:
                if item[key] is not None:
                    item[key] = convert(item[key])
            items.append(kind(**item))
        values[name] = items
    return CitizenRecord(**values)


def _read_postgresql(connection: Connection, citizen_id: uuid.UUID) -> CitizenRecord | None:
    row = connection.execute(_postgresql_statement(), {"citizen_id": citizen_id}).mappings().first()
    return _record_from_json(dict(row)) if row is not None else None


# The audit row and the record in one statement: the INSERT writes only if the citizen exists.
# ``synchronous_commit`` is set for this statement's own transaction only (set_config is_local),
# and it is read when that transaction commits (see docs/decisions.md).
_AUDITED = (
    "WITH audit_commit AS (SELECT set_config('synchronous_commit', %(audit_commit)s, true)), "
    "audited AS (INSERT INTO audit_events ({columns}) SELECT {values} "
    "FROM citizens, audit_commit WHERE citizens.id = %(citizen_id)s) "
)
_EVENT_COLUMNS = tuple(
    column.name for column in AuditEvent.__table__.columns if column.name != "seq"
)


@cache
def _audited_sql(connection_dialect: Any) -> str:
    values = [
        "citizens.id" if name == "citizen_id" else f"%(audit_{name})s" for name in _EVENT_COLUMNS
    ]
    values[_EVENT_COLUMNS.index("fields")] = "CAST(%(audit_fields)s AS jsonb)"
    prefix = _AUDITED.format(columns=", ".join(_EVENT_COLUMNS), values=", ".join(values))
    return prefix + _postgresql_statement().compile(dialect=connection_dialect).string


def _audited_postgresql(
    connection: Connection, citizen_id: uuid.UUID, event: dict[str, Any], synchronous: bool
) -> CitizenRecord | None:
    params = {f"audit_{name}": event.get(name) for name in _EVENT_COLUMNS}
    params["audit_fields"] = json.dumps(event.get("fields") or [])
    params.update(citizen_id=citizen_id, audit_commit="on" if synchronous else "off")
    sql = _audited_sql(connection.dialect)
    row = connection.exec_driver_sql(sql, params).mappings().first()
    if row is None:
        return None
    values = dict(row)
    # exec_driver_sql skips SQLAlchemy's result types: give datetimes in UTC, as the ORM does.
    for key in ("created_at", "updated_at"):
        values[key] = values[key].astimezone(UTC)
    return _record_from_json(values)


def read_audited(
    connection: Connection, citizen_id: uuid.UUID, event: dict[str, Any], *, synchronous: bool
) -> CitizenRecord | None:
    """Read a citizen (as ``read_record``) and store its audit ``event``, on an autocommit
    ``connection``: one statement on PostgreSQL, the INSERT only when the citizen exists.

    :param event: the ``audit_events`` row (``cgcrm.core.audit.access_rows``).
    :param synchronous: whether the audit row is flushed to disk before the record returns.
    """
    if connection.dialect.name == "postgresql":
        return _audited_postgresql(connection, citizen_id, event, synchronous)
    citizen = _read_generic(connection, citizen_id)
    if citizen is not None:
        connection.execute(AUDIT_INSERT, event)
    return citizen


def _read_generic(connection: Connection, citizen_id: uuid.UUID) -> CitizenRecord | None:
    citizens = Citizen.__table__
    row = connection.execute(select(citizens).where(citizens.c.id == citizen_id)).mappings().first()
    if row is None:
        return None
    values = dict(row)
    for name, model, order, kind in LISTS:
        table = model.__table__
        rows = connection.execute(
            select(table).where(table.c.citizen_id == citizen_id).order_by(table.c[order])
        ).mappings()
        values[name] = [kind(**item) for item in rows]
    return CitizenRecord(**values)


def read_record(connection: Connection, citizen_id: uuid.UUID) -> CitizenRecord | None:
    """The citizen and its lists as plain values, or None when there is no such citizen.

    :param connection: where to read (the session's connection, or one of the caller's own).
    """
    if connection.dialect.name == "postgresql":
        return _read_postgresql(connection, citizen_id)
    return _read_generic(connection, citizen_id)
