"""INSERT … ON CONFLICT on whichever database the session is bound to."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Table, TextClause, TextualSelect, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite

from cgcrm.extensions import db


def _insert(table: Any) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def insert_ignoring_conflicts(table: Any) -> Any:
    """An INSERT of ``table`` that skips rows whose keys already exist (PostgreSQL or SQLite)."""
    return _insert(table).on_conflict_do_nothing()


@cache
def insert_ignoring_conflicts_of(
    table: Table, columns: tuple[str, ...], returning: str | None = None
) -> TextClause | TextualSelect:
    """The same INSERT for one row of ``columns`` (bound by their names), as text built once.

    SQLAlchemy compiles a dialect's ``insert()`` (ON CONFLICT) anew on every execution: it has
    no cache key. A hot path with a fixed set of columns takes this one instead; the SQL is
    the same on PostgreSQL and SQLite.
    """
    names = ", ".join(f'"{name}"' for name in columns)
    values = ", ".join(f":{name}" for name in columns)
    statement = text(
        f'INSERT INTO "{table.name}" ({names}) VALUES ({values}) ON CONFLICT DO NOTHING'
        + (f' RETURNING "{returning}"' if returning else "")
    ).bindparams(*(bindparam(name, type_=table.c[name].type) for name in columns))
    return statement.columns(table.c[returning]) if returning else statement
