"""Tables of identity assurance: recorded evidence, and one-time codes sent to contact points."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.ids import new_id
from cgcrm.core.types import JSONDocument, UTCDateTime
from cgcrm.extensions import db


class Verification(db.Model):  # type: ignore[name-defined,misc]
    """One piece of evidence about a citizen's identity: who recorded it, when, how, until when.

    Append-only. ``details`` holds what the rules read (document type and last digits, the
    provider and its vot/acr, the questions asked, the masked contact point), never an image, a
    full document number or an answer.
    """

    __tablename__ = "citizen_verifications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("citizens.id"))
    method: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(10))  # passed | failed
    strength: Mapped[str] = mapped_column(String(20), default="")
    channel: Mapped[str | None] = mapped_column(String(20), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    service_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    verified_by: Mapped[str] = mapped_column(String(80))
    department_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (Index("ix_citizen_verifications_citizen", "citizen_id", "verified_at"),)


class CodeChallenge(db.Model):  # type: ignore[name-defined,misc]
    """A one-time code to one contact point. The code itself is never stored: its keyed hash is
    written by the job that generates and sends it."""

    __tablename__ = "citizen_verification_codes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("citizens.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # email | phone
    contact_hash: Mapped[str] = mapped_column(String(64))
    sent_to: Mapped[str] = mapped_column(String(80))  # masked, for people to read
    code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(12))  # pending | confirmed | locked
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[str] = mapped_column(String(80))
    department_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
