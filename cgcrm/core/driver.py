"""A hot statement sent through psycopg itself, inside the session's transaction.

SQLAlchemy's handling of a ``text()`` statement (compiling, processing a dozen array
parameters, building result rows) costs a few tenths of a millisecond; for a statement that
runs on every create and whose text and types never change, that is more than the database
spends on some of them. ``execute_prepared`` sends it with the driver, prepared on the
connection at its first run, and turns a driver error into the one SQLAlchemy would have
raised (a lost database is still a 503, and the pool drops the broken connection).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import ClauseElement, Dialect
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from cgcrm.core.read_only_end import mark_written
from cgcrm.extensions import db

_CONNECTION_KEY = "cgcrm.driver_connection"


def _connection() -> Connection:
    """The session's connection in its current transaction (beginning one if none): kept in
    the session's ``info`` with its transaction, so the hot statements of one transaction ask
    the session for it once (``Session.connection`` walks its transaction's state each time)."""
    session = db.session()
    transaction = session.get_transaction()
    kept = session.info.get(_CONNECTION_KEY)
    if kept is not None and kept[0] is transaction and transaction and transaction.is_active:
        connection: Connection = kept[1]
        return connection
    connection = session.connection()
    session.info[_CONNECTION_KEY] = (session.get_transaction(), connection)
    return connection


def _run(
    sql: str,
    params: Mapping[str, Any] | Sequence[Any],
    raw: bool,
    named: bool,
    events: bool = False,
    connection: Connection | None = None,
) -> Any:
    """``sql`` executed, prepared, in the session's transaction; the driver's cursor.

    :param events: tell the engine's ``before_cursor_execute`` and ``after_cursor_execute``
        listeners (statement counts and timings see it; their ``context`` is None).
    """
    if connection is None:
        connection = _connection()
    mark_written(connection)
    fairy = connection.connection
    driver: Any = fairy.driver_connection
    try:
        rows: dict[str, Any] = {"row_factory": namedtuple_row} if named else {}
        cursor = psycopg.RawCursor(driver, **rows) if raw else driver.cursor(**rows)
        listeners = events and (connection._has_events or connection.engine._has_events)
        if listeners:
            for before in connection.dispatch.before_cursor_execute:
                sql, params = before(connection, cursor, sql, params, None, False)
        cursor.execute(sql, params, prepare=True)
        if listeners:
            for after in connection.dispatch.after_cursor_execute:
                after(connection, cursor, sql, params, None, False)
        return cursor
    except psycopg.Error as error:
        cause: Any = error
        lost = connection.dialect.is_disconnect(cause, fairy.dbapi_connection, None)
        if lost:
            connection.invalidate(cause)
        raise DBAPIError.instance(
            sql, params, error, psycopg.Error, connection_invalidated=lost
        ) from error


_REQUIRED = object()
_PLACEHOLDER = re.compile(r"%\(([A-Za-z0-9_]+)\)s")


@dataclass(frozen=True)
class Compiled:
    """A SQLAlchemy statement as the driver gets it: its SQL with PostgreSQL's placeholders
    ($1, $2...), and per placeholder the parameter's name, its bound default and the type's
    bind processor (what SQLAlchemy would turn the value into: JSON text, a checked UTC
    moment)."""

    sql: str
    names: tuple[str, ...]
    defaults: tuple[Any, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    def values(self, params: Mapping[str, Any], processed: bool = True) -> list[Any]:
        """The placeholders' values; :raises KeyError: a parameter without value or default."""
        values = []
        for name, default, process in zip(self.names, self.defaults, self.processors, strict=True):
            value = params.get(name, default)
            if value is _REQUIRED:
                raise KeyError(f"no value for the parameter {name}")
            values.append(value if process is None or not processed else process(value))
        return values


@cache
def compiled(statement: ClauseElement, dialect: Dialect) -> Compiled:
    """``statement`` compiled once for ``dialect`` (PostgreSQL with psycopg), for
    ``execute_compiled``. Its text must not change between calls (no per-call values)."""
    built: Any = statement.compile(dialect=dialect)  # an SQLCompiler: binds, bind processors
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    sql = _PLACEHOLDER.sub(number, built.string).replace("%%", "%")
    processors = built._bind_processors
    binds = built.binds
    return Compiled(
        sql,
        tuple(names),
        tuple(_REQUIRED if binds[name].required else binds[name].value for name in names),
        tuple(processors.get(name) for name in names),
    )


def execute_compiled(
    statement: ClauseElement, params: Mapping[str, Any], *, processed: bool = True
) -> Any:
    """Run ``statement`` (Core or ``text()``, built once) with ``params`` in the session's
    current transaction (PostgreSQL only), sending what SQLAlchemy would send (the same SQL,
    the values through its types' bind processors) through the driver, prepared on the
    connection: without the executor's work around each statement. Errors are SQLAlchemy's.

    :param processed: False: ``params`` hold values psycopg adapts as they are (what
        ``exec_driver_sql`` sends): no bind processor runs.
    :returns: the driver's cursor (``rowcount``; rows as named tuples with ``fetchone``).
    """
    connection = _connection()
    found = compiled(statement, connection.dialect)
    values = found.values(params, processed)
    return _run(found.sql, values, raw=True, named=True, events=True, connection=connection)


def execute_prepared(
    sql: str, params: Mapping[str, Any] | Sequence[Any], *, raw: bool = False
) -> list[Any]:
    """The rows of ``sql`` (psycopg placeholders) run in the session's current transaction
    (PostgreSQL only).

    :param raw: ``sql`` is written with PostgreSQL's own placeholders ($1, $2...) and
        ``params`` is their sequence: psycopg sends it as it is, without parsing it for
        placeholders (it keeps that parse only for statements of up to 4 kB).
    """
    rows: list[Any] = _run(sql, params, raw, named=False).fetchall()
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
