"""A request's last transaction ends with a commit when it only read, so the driver keeps its
prepared statements.

Services commit their own writes; what a response reads afterwards (a new record's JSON reads
its assurance level) opens a transaction of its own, which removing the session at the end of
the request rolled back. On a rollback psycopg forgets every statement it prepared on the
connection (it cannot tell what the rollback undid) and deallocates them: each create then
prepared its lock and real-time match statements afresh (``core.driver``), and PostgreSQL
parsed and planned the match's long statement on every create, not once per connection. A
transaction that ran nothing but ``SELECT`` ends alike either way (its locks and local settings
go with it), so it is committed instead; any other statement, or one sent around SQLAlchemy
(``mark_written``), keeps the rollback.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

_WROTE = "cgcrm.transaction_wrote"
_READ = re.compile(r"\s*SELECT\b", re.IGNORECASE)


def install(engine: Engine) -> None:
    """Track, per connection, whether its current transaction ran anything but a ``SELECT``."""
    event.listen(engine, "begin", _began)
    event.listen(engine, "before_cursor_execute", _executing)


def _began(connection: Connection) -> None:
    connection.info[_WROTE] = False


def _executing(
    connection: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> None:
    if connection.info.get(_WROTE) is False and not _READ.match(statement):
        connection.info[_WROTE] = True


def mark_written(connection: Connection) -> None:
    """The connection's transaction ran a statement the events do not see (sent through the
    driver itself): it may have written."""
    connection.info[_WROTE] = True


def end_if_read_only(session: Session) -> None:
    """Commit the session's open transaction if it ran only ``SELECT`` statements and holds no
    pending change; otherwise leave it for the session's removal to roll back."""
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    if session.connection().info.get(_WROTE, True) is False:
        session.commit()
