"""A federated sign-in under way, and the link between an external subject and a staff user."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.types import UTCDateTime
from cgcrm.extensions import db


class FederatedSignIn(db.Model):  # type: ignore[name-defined,misc]
    """What we sent an external provider, kept until it answers (once) or the row expires.

    Kept here rather than in a cookie: the cookie carries only the ``state`` (binding the
    answer to the browser that asked), and the PKCE verifier never leaves the server.
    """

    __tablename__ = "federated_sign_ins"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(Text)
    code_verifier: Mapped[str] = mapped_column(Text)
    # The client's own authorization request (query string), resumed when the provider answers.
    authorize_query: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class FederatedIdentity(db.Model):  # type: ignore[name-defined,misc]
    """An external provider's subject (``iss`` + ``sub``, named by our provider name) that
    signs in as a staff user."""

    __tablename__ = "federated_identities"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    provider: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("staff_users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_signed_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_acr: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (UniqueConstraint("provider", "subject"),)
