"""A new payment that its provider settled at once (cash at a counter), written in one statement.

Such a create writes the payment in its final state, the two steps of its history (created,
then the provider's outcome: each a ``payment_events`` row, an outbox event and, with a
citizen, an audit event) and, for a success, its journal entry. On PostgreSQL these are one
statement of data-modifying CTEs (one round trip and one statement's overhead instead of five);
each table's rows of the two steps are one multi-row INSERT, so their ids keep the steps'
order. Elsewhere the same rows go through the step-by-step functions.

The foreign keys of the history and the entry point at the payment inserted by a sibling CTE:
PostgreSQL checks them at the end of the statement, when the payment is there.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table, TextClause, bindparam, insert, text

from cgcrm.core.audit import AuditEvent
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.payments import ledger, states
from cgcrm.payments.models import Payment, PaymentEvent
from cgcrm.payments.transitions import (
    AUDIT_COLUMNS,
    EVENT_COLUMNS,
    OUTBOX_COLUMNS,
    advance,
    history_rows,
    moved_audit,
    outbox_type,
    record_history,
)

# A settled create's history: its creation and the provider's outcome.
_STEPS = 2


def _insert_sql(table: Table, columns: tuple[str, ...], prefixes: list[str]) -> str:
    names = ", ".join(f'"{name}"' for name in columns)
    rows = ", ".join(
        "(" + ", ".join(f":{prefix}{name}" for name in columns) + ")" for prefix in prefixes
    )
    return f'INSERT INTO "{table.name}" ({names}) VALUES {rows}'


@cache
def _statement(audited: bool, journal: bool) -> TextClause:
    """The payment, its two steps and (``journal``) its entry, as one statement built once."""
    payments = Payment.__table__
    payment_columns = tuple(column.key for column in payments.columns)
    parts: list[tuple[str, Table, tuple[str, ...], list[str]]] = [
        ("payment", payments, payment_columns, ["p_"]),
        (
            "payment_events",
            PaymentEvent.__table__,
            EVENT_COLUMNS,
            [f"ev{n}_" for n in range(_STEPS)],
        ),
        (
            "outbox_events",
            OutboxEvent.__table__,
            OUTBOX_COLUMNS,
            [f"ob{n}_" for n in range(_STEPS)],
        ),
    ]
    if journal:
        parts.append(
            ("journal_entry", ledger.JournalEntry.__table__, ledger.ENTRY_COLUMNS, ["je_"])
        )
    if audited:
        parts.append(
            (
                "audit_events",
                AuditEvent.__table__,
                AUDIT_COLUMNS,
                [f"au{n}_" for n in range(_STEPS)],
            )
        )
    *ctes, (_, last_table, last_columns, last_prefixes) = parts
    sql = (
        "WITH "
        + ", ".join(
            f"{name} AS ({_insert_sql(table, columns, prefixes)})"
            for name, table, columns, prefixes in ctes
        )
        + " "
        + _insert_sql(last_table, last_columns, last_prefixes)
    )
    binds = [
        bindparam(f"{prefix}{name}", type_=table.c[name].type)
        for _, table, columns, prefixes in parts
        for prefix in prefixes
        for name in columns
    ]
    return text(sql).bindparams(*binds)


@cache
def _insert_statement() -> Insert:
    table = Payment.__table__
    return insert(table).values(
        {column.key: bindparam(column.key, type_=column.type) for column in table.columns}
    )


def insert_payment(payment: Payment) -> None:
    """Write a new payment's row as it stands (every column: a create sets them all), with
    one Core INSERT built once rather than through the session's unit of work."""
    db.session.execute(
        _insert_statement(),
        {column.key: getattr(payment, column.key) for column in Payment.__table__.columns},
    )


def write_settled(
    payment: Payment,
    to_state: str,
    *,
    actor: str,
    occurred_at: datetime,
    created: dict[str, Any],
) -> None:
    """Move a new, unwritten payment to the state its provider settled it in, and write it
    with its creation (``created``: ``record_history``'s arguments for the created step), the
    move and, for a success, its journal entry, in the current transaction.

    :raises ValidationError: unknown state, or a code that does not go with it.
    :raises TransitionRefused: ``to_state`` is not forward of the new payment's.
    """
    from_state = advance(payment, to_state, occurred_at=occurred_at)
    if from_state is None:  # pragma: no cover - the caller moves only to another state
        raise ValueError(f"the new payment is {to_state} already")
    moved: dict[str, Any] = {
        "actor": actor,
        "occurred_at": occurred_at,
        "code": payment.failure_code,
        "outbox": outbox_type(to_state),
        "audit": moved_audit(payment, actor, to_state),
    }
    journal = to_state == states.SUCCESS
    if db.session.get_bind().dialect.name != "postgresql":
        insert_payment(payment)
        record_history(payment, None, states.CREATED, **created)
        record_history(payment, from_state, to_state, **moved)
        if journal:
            ledger.post_payment_captured(payment)
        return
    steps = [
        history_rows(payment, None, states.CREATED, **created),
        history_rows(payment, from_state, to_state, **moved),
    ]
    audited = all(audit is not None for _, _, audit in steps)
    params: dict[str, Any] = {
        f"p_{column.key}": getattr(payment, column.key) for column in Payment.__table__.columns
    }
    for n, (event, announced, audit) in enumerate(steps):
        params.update({f"ev{n}_{name}": value for name, value in event.items()})
        params.update({f"ob{n}_{name}": value for name, value in announced.items()})
        if audited and audit is not None:
            params.update({f"au{n}_{name}": value for name, value in audit.items()})
    if journal:
        row = ledger.entry_row(
            payment, ledger.PAYMENT, payment.amount_minor, ledger.captured_moment(payment)
        )
        params.update({f"je_{name}": value for name, value in row.items()})
    db.session.execute(_statement(audited, journal), params)
