"""INSERT … ON CONFLICT on whichever database the session is bound to."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from cgcrm.extensions import db


def _insert(table: Any) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def insert_ignoring_conflicts(table: Any) -> Any:
    """An INSERT of ``table`` that skips rows whose keys already exist (PostgreSQL or SQLite)."""
    return _insert(table).on_conflict_do_nothing()
