"""Security events: what an operator must be able to find after an attack (a client locked
out after repeated failed authentications, for now).

Separate from the citizen audit trail (``core/audit.py``), which records reads and changes of
a citizen's record. Each event is a row and a WARNING on the ``cgcrm.security`` logger, so it
reaches the log stream even when the database does not take the row.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Uuid
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.types import JSONDocument, UTCDateTime
from cgcrm.extensions import db

log = logging.getLogger("cgcrm.security")

CLIENT_LOCKED = "client.locked"


class SecurityEvent(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "security_events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    # As the caller named it: an unknown client id is recorded too (it may be a probe).
    client_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)

    __table_args__ = (Index("ix_security_events_kind_occurred_at", "kind", "occurred_at"),)


def record_security_event(
    kind: str,
    *,
    client_id: str | None = None,
    address: str | None = None,
    request_id: str | None = None,
    **detail: Any,
) -> None:
    """Log the event and store it in its own transaction (commits the session).

    A database failure is logged, not raised: refusing an attacker must not become a 503.

    :param kind: what happened, e.g. ``CLIENT_LOCKED``.
    :param detail: JSON-serialisable facts (counts, durations).
    """
    log.warning(
        "security event %s client=%r address=%s request=%s %s",
        kind,
        client_id,
        address,
        request_id,
        detail,
    )
    event = SecurityEvent(
        kind=kind,
        # PostgreSQL refuses NUL in text; a claimed id is whatever the caller sent.
        client_id=client_id.replace("\x00", "\ufffd")[:80] if client_id else None,
        address=address[:64] if address else None,
        request_id=request_id,
        detail=detail,
    )
    try:
        db.session.add(event)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("security event %s not stored", kind)
