"""INSERT … ON CONFLICT DO NOTHING on whichever database the session is bound to."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from cgcrm.extensions import db


def insert_ignoring_conflicts(table: Any) -> Any:
    """An INSERT of ``table`` that skips rows whose keys already exist (PostgreSQL or SQLite)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing()
