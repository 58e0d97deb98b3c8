"""A new payment that its provider settled at once (cash at a counter), written in one statement.

Such a create writes the payment in its final state, the two steps of its history (created,
then the provider's outcome: each a ``payment_events`` row, an outbox event and, with a
citizen, an audit event) and, for a success, its journal entry. On PostgreSQL these are one
statement of data-modifying CTEs (one round trip and one statement's overhead instead of five);
each table's rows are one JSON parameter inserted in their order, so the ids keep the steps'
order (``one_statement.settled_statement``). Elsewhere the same rows go through the
step-by-step functions.

The foreign keys of the history and the entry point at the payment inserted by a sibling CTE:
PostgreSQL checks them at the end of the statement, when the payment is there.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, bindparam, insert

from cgcrm.core.driver import execute_compiled
from cgcrm.extensions import db
from cgcrm.payments import ledger, states
from cgcrm.payments.models import Payment
from cgcrm.payments.one_statement import json_rows, settled_statement
from cgcrm.payments.transitions import (
    advance,
    history_rows,
    moved_audit,
    outbox_type,
    record_history,
)


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
    audits = [audit for _, _, audit in steps if audit is not None]
    audited = len(audits) == len(steps)  # both or neither: the payment's citizen decides
    params: dict[str, Any] = {
        "p": json_rows(
            [{column.key: getattr(payment, column.key) for column in Payment.__table__.columns}]
        ),
        "ev": json_rows([event for event, _, _ in steps]),
        "ob": json_rows([announced for _, announced, _ in steps]),
    }
    if audited:
        params["au"] = json_rows(audits)
    if journal:
        row = ledger.entry_row(
            payment, ledger.PAYMENT, payment.amount_minor, ledger.captured_moment(payment)
        )
        params["je"] = json_rows([row])
    execute_compiled(settled_statement(audited, journal), params)
