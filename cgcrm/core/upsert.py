"""INSERT … ON CONFLICT on whichever database the session is bound to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from cgcrm.extensions import db


def _insert(table: Any) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def insert_ignoring_conflicts(table: Any) -> Any:
    """An INSERT of ``table`` that skips rows whose keys already exist (PostgreSQL or SQLite)."""
    return _insert(table).on_conflict_do_nothing()


def insert_or_lock(table: Any, key: str, returning: Sequence[str]) -> Any:
    """An INSERT of ``table`` that, where the ``key`` exists, locks that row instead.

    Either way the row is locked until the transaction ends and ``returning`` gives its current
    columns: the new row's, or the existing row's latest committed values. Rows are locked in
    the order they are given.
    """
    statement = _insert(table)
    return statement.on_conflict_do_update(
        index_elements=[key], set_={key: statement.excluded[key]}
    ).returning(*(table.c[name] for name in returning))
