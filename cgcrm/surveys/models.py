"""Survey invitations and responses: what the satisfaction measures are built from."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.types import UTCDateTime
from cgcrm.extensions import db

RESPONSE_SOURCES = ("citizen", "staff")


class SurveyInvitation(db.Model):  # type: ignore[name-defined,misc]
    """One invitation to rate one contact, sent to the citizen by a notification channel.

    The link's token is signed and names the invitation; only its hash is stored, so a leaked
    table does not answer surveys. It can be used once (``answered_at``) until ``expires_at``.
    """

    __tablename__ = "survey_invitations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    interaction_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("interactions.id"), unique=True
    )
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("citizens.id"))
    # The notification channel it went by: email, sms or post.
    channel: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set by the periodic expiry job for invitations never answered.
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        # The quiet period: a citizen's latest invitations first.
        Index("ix_survey_invitations_citizen_sent", "citizen_id", "sent_at"),
        Index(
            "ix_survey_invitations_open_expiry",
            "expires_at",
            postgresql_where="answered_at IS NULL AND expired_at IS NULL",
            sqlite_where=db.text("answered_at IS NULL AND expired_at IS NULL"),
        ),
    )


class SurveyResponse(db.Model):  # type: ignore[name-defined,misc]
    """One answer about one contact: by the citizen through an invitation, or taken by staff
    at the counter or on the phone. A contact has at most one."""

    __tablename__ = "survey_responses"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    interaction_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("interactions.id"), unique=True
    )
    invitation_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("survey_invitations.id"), nullable=True
    )
    # GOV.UK: "Overall, how did you feel about the service you received today?" 5 very
    # satisfied … 1 very dissatisfied.
    csat: Mapped[int] = mapped_column(SmallInteger)
    nps: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    effort: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str] = mapped_column(String(10))
    # "citizen" for an invitation's answer, else "user:<uuid>" or "client:<client_id>".
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    request_id: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        CheckConstraint("csat BETWEEN 1 AND 5", name="csat"),
        CheckConstraint("nps IS NULL OR nps BETWEEN 0 AND 10", name="nps"),
        CheckConstraint("effort IS NULL OR effort BETWEEN 1 AND 7", name="effort"),
        CheckConstraint("source IN ('citizen', 'staff')", name="source"),
    )

    @property
    def invited(self) -> bool:
        """Given through an invitation's link: what the survey response rate counts."""
        return self.invitation_id is not None
