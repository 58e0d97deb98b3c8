"""Session-level PostgreSQL advisory locks for long jobs that must not run twice at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select

from cgcrm.extensions import db


@contextmanager
def exclusive_run(key: uuid.UUID) -> Iterator[bool]:
    """Whether this process may run the job of ``key`` now (an import, a scan).

    The lock is held on a connection of its own for the whole job, outside the job's
    transactions; a worker killed mid-job loses its connection and so its lock, and the retry
    (or another worker) takes over. On SQLite, which has no such locks: always True.
    """
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    lock_key = int.from_bytes(key.bytes[:8], "big", signed=True)
    with db.engine.connect() as connection:
        locked = bool(connection.scalar(select(func.pg_try_advisory_lock(lock_key))))
        connection.commit()
        try:
            yield locked
        finally:
            if locked:
                connection.scalar(select(func.pg_advisory_unlock(lock_key)))
                connection.commit()
