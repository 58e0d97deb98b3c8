"""A hot statement sent through psycopg itself, inside the session's transaction.

SQLAlchemy's handling of a ``text()`` statement (compiling, processing a dozen array
parameters, building result rows) costs a few tenths of a millisecond; for a statement that
runs on every create and whose text and types never change, that is more than the database
spends on some of them. ``execute_prepared`` sends it with the driver, prepared on the
connection at its first run, and turns a driver error into the one SQLAlchemy would have
raised (a lost database is still a 503, and the pool drops the broken connection).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from sqlalchemy.exc import DBAPIError

from cgcrm.core.read_only_end import mark_written
from cgcrm.extensions import db


def execute_prepared(
    sql: str, params: Mapping[str, Any] | Sequence[Any], *, raw: bool = False
) -> list[Any]:
    """The rows of ``sql`` (psycopg placeholders) run in the session's current transaction
    (PostgreSQL only).

    :param raw: ``sql`` is written with PostgreSQL's own placeholders ($1, $2...) and
        ``params`` is their sequence: psycopg sends it as it is, without parsing it for
        placeholders (it keeps that parse only for statements of up to 4 kB).
    """
    connection = db.session.connection()
    mark_written(connection)
    fairy = connection.connection
    driver: Any = fairy.driver_connection
    try:
        cursor = psycopg.RawCursor(driver) if raw else driver.cursor()
        rows: list[Any] = cursor.execute(sql, params, prepare=True).fetchall()
    except psycopg.Error as error:
        cause: Any = error
        lost = connection.dialect.is_disconnect(cause, fairy.dbapi_connection, None)
        if lost:
            connection.invalidate(cause)
        raise DBAPIError.instance(
            sql, params, error, psycopg.Error, connection_invalidated=lost
        ) from error
    return rows


# The hot statements' plans are made once per connection and kept: planning the real-time
# match afresh cost more than 0.8 ms. For the rest of the transaction only (``is_local``);
# an expression, so a statement a create sends anyway carries it (``create_locks``).
GENERIC_PLANS = "set_config('plan_cache_mode', 'force_generic_plan', true)"
_GENERIC_PLANS_KEY = "generic_plans_transaction"


def note_generic_plans() -> None:
    """Remember that the session's current transaction has run ``GENERIC_PLANS``."""
    session = db.session()
    session.info[_GENERIC_PLANS_KEY] = session.get_transaction()


def force_generic_plans() -> None:
    """Plan the transaction's statements once per connection (``GENERIC_PLANS``), in a round
    trip of its own unless a statement of this transaction already carried it."""
    session = db.session()
    current = session.get_transaction()
    if current is None or session.info.get(_GENERIC_PLANS_KEY) is not current:
        execute_prepared(f"SELECT {GENERIC_PLANS}", ())
        note_generic_plans()
