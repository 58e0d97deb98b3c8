"""Testing pooled database connections only when they may have gone stale.

SQLAlchemy's ``pool_pre_ping`` sends a ``SELECT 1`` before every request: on the contact-centre
write path that is one round trip in five, and an eighth of a worker's time. A connection used a
moment ago is as good as a ping, so only one that has sat idle for ``POOL_PING_AFTER_IDLE``
seconds is tested at checkout, and a dead one is replaced before the request sees it. A database
that fails over while traffic is flowing costs, per worker, the one request that finds its
connection broken: SQLAlchemy then invalidates every older connection in the pool, and that
request is answered 503 (``cgcrm.core.problems``), which a client may retry.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

_CHECKED_IN_AT = "cgcrm.checked_in_at"


class IdlePing:
    """Pings a connection at checkout once it has been idle ``idle_seconds`` or longer."""

    def __init__(self, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds

    def install(self, engine: Engine) -> None:
        event.listen(engine, "checkin", self._remember_checkin)
        event.listen(engine, "checkout", self._ping_if_idle)
        self._dialect = engine.dialect

    def _remember_checkin(self, dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    def _ping_if_idle(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at < self.idle_seconds:
            return  # new, or in use a moment ago
        try:
            self._dialect.do_ping(dbapi_connection)
        except self._dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out (or opens) another.
            raise exc.DisconnectionError("connection found dead at checkout") from error
