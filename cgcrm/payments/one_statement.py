"""Several writes of a payment's step as one statement of data-modifying CTEs (PostgreSQL).

A move writes the payment, its ``payment_events`` row, its outbox event, its citizen's audit
event and, for a success, its journal entry: one round trip and one statement's overhead
instead of four. Built as text once per shape: SQLAlchemy would compile an ON CONFLICT insert
on every execution. The foreign keys of the history and the entry point at the payment, which
PostgreSQL checks at the end of the statement.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB

from cgcrm.core.audit import AuditEvent
from cgcrm.core.outbox import OutboxEvent
from cgcrm.payments.ledger import ENTRY_COLUMNS, JournalEntry
from cgcrm.payments.models import Payment, PaymentEvent

EVENT_COLUMNS = (
    "payment_id",
    "from_state",
    "to_state",
    "code",
    "actor",
    "detail",
    "occurred_at",
    "recorded_at",
)
OUTBOX_COLUMNS = (
    "event_id",
    "type",
    "aggregate_type",
    "aggregate_id",
    "payload",
    "occurred_at",
    "deliveries",
)
AUDIT_COLUMNS = (
    "occurred_at",
    "citizen_id",
    "action",
    "principal_kind",
    "principal_id",
    "department_code",
    "fields",
    "request_id",
    "reason",
)
# What a move may change on the payment's row (``transitions.advance``).
MOVED_COLUMNS = (
    "state",
    "failure_code",
    "finished",
    "updated_at",
    "version",
    "finished_at",
    "captured_at",
    "card_brand",
    "card_last4",
    "card_expiry",
)

# One INSERT or UPDATE: (CTE name, its SQL, its table, its columns, its parameters' prefixes).
Part = tuple[str, str, Table, tuple[str, ...], list[str]]


def insert_part(name: str, table: Table, columns: tuple[str, ...], prefixes: list[str]) -> Part:
    """An INSERT of one row a prefix (``:{prefix}{column}``), rows in the prefixes' order."""
    names = ", ".join(f'"{column}"' for column in columns)
    rows = ", ".join(
        "(" + ", ".join(f":{prefix}{column}" for column in columns) + ")" for prefix in prefixes
    )
    return name, f'INSERT INTO "{table.name}" ({names}) VALUES {rows}', table, columns, prefixes


def json_insert_part(name: str, table: Table, columns: tuple[str, ...], param: str) -> Part:
    """An INSERT of the rows given as one JSON array (``json_rows``), in its order: one
    parameter instead of one a column and row. psycopg parses a statement of more than 50
    parameters anew on every execution; a settled create would have about 90."""
    names = ", ".join(f'"{column}"' for column in columns)
    sql = (
        f'INSERT INTO "{table.name}" ({names}) SELECT {names}'
        f' FROM jsonb_populate_recordset(NULL::"{table.name}", :{param})'
    )
    return name, sql, table, (), [param]


def json_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as JSON for ``json_insert_part``: ids as text, moments in UTC ISO 8601."""
    # By exact type (a settled create has about 90 values); other types by isinstance.
    converters = _JSON_CONVERTERS
    return [
        {
            name: value
            if (convert := converters.get(type(value), _json_value)) is None
            else convert(value)
            for name, value in row.items()
        }
        for row in rows
    ]


def _json_moment(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given; use cgcrm.core.clock.utcnow()")
    return value.astimezone(UTC).isoformat()


def _json_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return _json_moment(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


# None: sent as it is.
_JSON_CONVERTERS: dict[type, Any] = {
    type(None): None,
    str: None,
    int: None,
    bool: None,
    uuid.UUID: str,
    datetime: _json_moment,
    date: date.isoformat,
}


def history_parts(steps: int, audited: bool) -> list[Part]:
    """The events, outbox events and (``audited``) audit events of ``steps`` steps."""
    prefixes = range(steps)
    parts = [
        insert_part(
            "payment_events", PaymentEvent.__table__, EVENT_COLUMNS, [f"ev{n}_" for n in prefixes]
        ),
        insert_part(
            "outbox_events", OutboxEvent.__table__, OUTBOX_COLUMNS, [f"ob{n}_" for n in prefixes]
        ),
    ]
    if audited:
        parts.append(
            insert_part(
                "audit_events", AuditEvent.__table__, AUDIT_COLUMNS, [f"au{n}_" for n in prefixes]
            )
        )
    return parts


def journal_part(conflicts: bool) -> Part:
    """The payment's journal entry; ``conflicts``: it may be posted already (a no-op then)."""
    name, sql, table, columns, prefixes = insert_part(
        "journal_entry", JournalEntry.__table__, ENTRY_COLUMNS, ["je_"]
    )
    if conflicts:
        sql += " ON CONFLICT (payment_id) WHERE kind = 'payment' DO NOTHING"
    return name, sql, table, columns, prefixes


def statement(parts: list[Part]) -> TextClause:
    """``parts`` as one statement: every part but the last a CTE."""
    *ctes, last = parts
    sql = "WITH " + ", ".join(f"{name} AS ({body})" for name, body, *_ in ctes) + " " + last[1]
    binds = [
        bindparam(f"{prefix}{column}", type_=table.c[column].type if column else JSONB())
        for _, _, table, columns, prefixes in parts
        for prefix in prefixes
        for column in columns or ("",)
    ]
    return text(sql).bindparams(*binds)


@cache
def move_statement(audited: bool, journal: bool) -> TextClause:
    """A stored payment's move: its row (``MOVED_COLUMNS``, by ``p_id``), one step's history
    and (``journal``) its journal entry unless posted already."""
    table = Payment.__table__
    assignments = ", ".join(f'"{column}" = :p_{column}' for column in MOVED_COLUMNS)
    update: Part = (
        "payment",
        f'UPDATE "{table.name}" SET {assignments} WHERE id = :p_id',
        table,
        (*MOVED_COLUMNS, "id"),
        ["p_"],
    )
    parts = [update, *history_parts(1, audited)]
    if journal:
        parts.insert(1, journal_part(conflicts=True))
    return statement(parts)


@cache
def settled_statement(audited: bool, journal: bool) -> TextClause:
    """A new payment written in its final state, its two steps' history (created, then
    settled) and (``journal``) its journal entry; each table's rows one JSON parameter
    (``json_rows``): ``p``, ``ev``, ``ob``, ``je``, ``au``."""
    table = Payment.__table__
    columns = tuple(column.key for column in table.columns)
    parts = [
        json_insert_part("payment", table, columns, "p"),
        json_insert_part("payment_events", PaymentEvent.__table__, EVENT_COLUMNS, "ev"),
        json_insert_part("outbox_events", OutboxEvent.__table__, OUTBOX_COLUMNS, "ob"),
    ]
    if journal:
        parts.append(json_insert_part("journal_entry", JournalEntry.__table__, ENTRY_COLUMNS, "je"))
    if audited:
        parts.append(json_insert_part("audit_events", AuditEvent.__table__, AUDIT_COLUMNS, "au"))
    return statement(parts)
