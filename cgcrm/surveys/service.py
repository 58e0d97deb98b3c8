"""Rules of satisfaction surveys: answers by citizens and staff, the link's checks, expiry.

A contact has at most one response, whoever gives it: the citizen through the link of an
invitation, or staff taking the answer at the counter or on the phone. Each public function is
one transaction (``decide_invitation``, in ``cgcrm.surveys.invitations``, runs in its event
handler's); none touches Flask's request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from cgcrm.catalog.models import Service
from cgcrm.citizens import sharing
from cgcrm.citizens.models import Citizen
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import Conflict, Gone, NotFound, ValidationError
from cgcrm.core.ids import new_id
from cgcrm.core.outbox import add_event
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.interactions.models import Interaction
from cgcrm.surveys.invitations import decide_invitation, decide_invitations
from cgcrm.surveys.models import SurveyInvitation, SurveyResponse
from cgcrm.surveys.tokens import signed_interaction, token_hash

__all__ = [
    "SurveyLink",
    "check_survey_link",
    "decide_invitation",
    "decide_invitations",
    "expire_invitations",
    "record_staff_response",
    "record_token_response",
]

CITIZEN = "citizen"


@dataclass(frozen=True)
class SurveyLink:
    """What the survey page shows about the contact a valid link asks about."""

    interaction_id: uuid.UUID
    service_name: str | None
    contact_started_at: datetime
    expires_at: datetime


def _already_answered(interaction_id: uuid.UUID) -> bool:
    return bool(
        db.session.scalar(select(exists().where(SurveyResponse.interaction_id == interaction_id)))
    )


def _open_invitation(token: str, *, lock: bool, now: datetime) -> SurveyInvitation:
    """The invitation a link names, while it can still be answered.

    :raises ValidationError: the token is malformed or not signed by us (named ``token``).
    :raises NotFound: signed, but no invitation was sent with it.
    :raises Conflict: it was answered already (or staff recorded the contact's response).
    :raises Gone: it expired unanswered.
    """
    interaction_id = signed_interaction(token)
    if interaction_id is None:
        raise ValidationError(
            "this is not a survey link we sent", errors={"token": ["not a valid survey link"]}
        )
    query = select(SurveyInvitation).where(SurveyInvitation.token_hash == token_hash(token))
    if lock:
        query = query.with_for_update()
    invitation = db.session.scalar(query)
    if invitation is None or invitation.interaction_id != interaction_id:
        raise NotFound("no survey was sent with this link")
    if invitation.answered_at is not None or _already_answered(interaction_id):
        raise Conflict("this survey has been answered already; thank you")
    if invitation.expired_at is not None or invitation.expires_at <= now:
        raise Gone("this survey link has expired")
    return invitation


def check_survey_link(token: str) -> SurveyLink:
    """What a survey link asks about, when it can still be answered (the page's question).

    :raises ValidationError, NotFound, Conflict, Gone: as ``record_token_response``.
    """
    try:
        invitation = _open_invitation(token, lock=False, now=utcnow())
        row = db.session.execute(
            select(Interaction.started_at, Service.name)
            .outerjoin(Service, Service.id == Interaction.service_id)
            .where(Interaction.id == invitation.interaction_id)
        ).one()
        link = SurveyLink(invitation.interaction_id, row[1], row[0], invitation.expires_at)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return link


def _new_response(
    data: dict[str, Any],
    *,
    interaction_id: uuid.UUID,
    invitation_id: uuid.UUID | None,
    source: str,
    recorded_by: str,
    request_id: str,
) -> SurveyResponse:
    return SurveyResponse(
        id=new_id(),
        interaction_id=interaction_id,
        invitation_id=invitation_id,
        csat=data["csat"],
        nps=data.get("nps"),
        effort=data.get("effort"),
        comment=data.get("comment") or None,
        source=source,
        recorded_by=recorded_by,
        recorded_at=utcnow(),
        request_id=request_id,
    )


def _save(response: SurveyResponse) -> None:
    """Insert the response and its event; a concurrent answer about the same contact is a 409.

    :raises Conflict: the contact has a response (the unique constraint decides under races).
    """
    db.session.add(response)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the caller rolls the whole transaction back
        raise Conflict("this contact has a satisfaction response already") from exc
    add_event(
        "survey.response_recorded",
        "survey_response",
        response.id,
        {
            "response_id": str(response.id),
            "interaction_id": str(response.interaction_id),
            "invited": response.invitation_id is not None,
        },
    )


def record_token_response(token: str, data: dict[str, Any], request_id: str) -> SurveyResponse:
    """Record a citizen's answer given through the link of their invitation (once).

    :param token: the link's token.
    :param data: validated ``SurveyResponseInSchema`` output (``csat``, ``nps``, ``effort``,
        ``comment``).
    :param request_id: of the request, kept with the response.
    :raises ValidationError: the token is malformed or forged (named ``token``).
    :raises NotFound: no invitation was sent with this token.
    :raises Conflict: the invitation was answered already, or the contact has a response.
    :raises Gone: the invitation expired.
    """
    try:
        now = utcnow()
        invitation = _open_invitation(token, lock=True, now=now)
        response = _new_response(
            data,
            interaction_id=invitation.interaction_id,
            invitation_id=invitation.id,
            source="citizen",
            recorded_by=CITIZEN,
            request_id=request_id,
        )
        _save(response)
        invitation.answered_at = now
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return response


def record_staff_response(actor: Actor, data: dict[str, Any]) -> SurveyResponse:
    """Record the answer a citizen gave staff about one contact (at the counter, by phone).

    It is not a response to an invitation (``invited`` false), even if one was sent: the
    contact's one response is taken, and the link then answers 409.

    :param data: validated ``SurveyResponseInSchema`` output with ``interaction_id``.
    :raises ValidationError: no such contact, or one of another department the caller may not
        see (named ``interaction_id``; the same answer for both, so nothing can be probed).
    :raises Conflict: the contact has a response already.
    """
    interaction_id: uuid.UUID = data["interaction_id"]
    try:
        row = db.session.execute(
            select(Interaction.department_id, Citizen.shares_across_government)
            .outerjoin(Citizen, Citizen.id == Interaction.citizen_id)
            .where(Interaction.id == interaction_id)
        ).first()
        if row is None or not sharing.may_see(actor, row[0], bool(row[1])):
            raise ValidationError(
                f"no contact with id {interaction_id} that you may see",
                errors={"interaction_id": ["no contact with this id that you may see"]},
            )
        if _already_answered(interaction_id):
            raise Conflict("this contact has a satisfaction response already")
        response = _new_response(
            data,
            interaction_id=interaction_id,
            invitation_id=None,
            source="staff",
            recorded_by=actor.principal.ref,
            request_id=actor.request_id,
        )
        _save(response)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return response


def expire_invitations(now: datetime | None = None) -> int:
    """Mark every unanswered invitation past its ``expires_at`` as expired (periodic job).

    Idempotent: an invitation is marked once. A concurrent answer either commits first (the
    invitation is then answered and left alone) or finds it expired (410).

    :param now: the moment to expire at; the current time when None.
    :returns: how many invitations this run marked.
    """
    moment = now or utcnow()
    try:
        result = db.session.execute(
            update(SurveyInvitation)
            .where(
                SurveyInvitation.answered_at.is_(None),
                SurveyInvitation.expired_at.is_(None),
                SurveyInvitation.expires_at <= moment,
            )
            .values(expired_at=moment)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return int(getattr(result, "rowcount", 0) or 0)
