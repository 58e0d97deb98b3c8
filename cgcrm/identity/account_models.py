"""What a staff user's account holds beside the password: a TOTP second factor, its recovery
codes, and the sign-ins (sessions) the user can list and end."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.types import UTCDateTime
from cgcrm.extensions import db


class StaffTotp(db.Model):  # type: ignore[name-defined,misc]
    """A user's TOTP secret (RFC 6238), encrypted at rest with the field cipher.

    Pending until the user proves their authenticator holds it (``confirmed_at``); only a
    confirmed one is asked for at sign-in. ``last_step`` is the newest time step a code was
    accepted for: a code of that step or an older one is a replay.
    """

    __tablename__ = "staff_totp"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("staff_users.id"), primary_key=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class RecoveryCode(db.Model):  # type: ignore[name-defined,misc]
    """One single-use recovery code; only a SHA-256 of it (and the user id) is stored.

    The codes carry about 80 random bits, so a fast hash is safe where a password needs argon2,
    and checking one costs no more than a look-up.
    """

    __tablename__ = "staff_recovery_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_staff_recovery_codes_user_id", "user_id"),)


class StaffSession(db.Model):  # type: ignore[name-defined,misc]
    """One sign-in through the sign-in page: the refresh-token family it starts (same id), and
    where it came from, as the user's browser showed itself to the sign-in page."""

    __tablename__ = "staff_sessions"

    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("staff_users.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # How the user proved who they are, as RFC 8176 spells it: "pwd", "pwd otp".
    methods: Mapped[str] = mapped_column(String(40), default="pwd")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_staff_sessions_user_id", "user_id"),)
