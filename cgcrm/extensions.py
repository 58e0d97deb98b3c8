"""Extension objects, unbound. ``create_app`` binds them; importing this module connects to nothing.

flask-smorest's ``Api`` holds its OpenAPI document per instance, so ``create_app`` builds one
per application instead of sharing one here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session

log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    # Deterministic constraint names keep Alembic migrations identical on PostgreSQL and SQLite.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class SessionSafeSQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy whose end-of-request session removal never fails the response.

    Removing the session rolls back its open transaction; when the database connection died
    after the view ran (a failover, a killed backend), that rollback raises, Flask lets the
    exception escape the WSGI call, and the HTTP server replaces the finished response with
    its own HTML 500. The transaction is gone with the connection anyway, so the error is
    logged and the session discarded; the pool has already invalidated the connection.

    ``end_request``, when ``create_app`` sets it, sees the session of a request that raised
    nothing before its removal (``core.read_only_end`` commits a transaction that only read,
    since a rollback makes the driver forget its prepared statements).
    """

    end_request: Callable[[Session], None] | None = None

    def _teardown_session(self, exc: BaseException | None) -> None:
        if exc is None and self.end_request is not None:
            try:
                self.end_request(self.session())
            except SQLAlchemyError as error:
                # The removal below rolls it back (or finds the connection gone) as before.
                log.warning("a read-only transaction could not commit at teardown: %s", error)
        try:
            self.session.remove()
        except SQLAlchemyError as error:
            log.warning("discarding a session whose connection failed at teardown: %s", error)
            self.session.registry.clear()


# expire_on_commit=False: a committed object is serialised as it stands, without re-selecting it.
db = SessionSafeSQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
