"""Whether to invite a citizen to rate a contact, and sending the invitation.

Run by the ``surveys.invitation`` handler of ``interaction.recorded`` (``cgcrm.surveys.jobs``),
in the worker's transaction: the invitation row, its message and its ``survey.invitation_sent``
event commit together with the handler's processed-event marker, or not at all.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Row, select, text

from cgcrm.catalog.models import Service
from cgcrm.citizens.jobs import contact_route
from cgcrm.citizens.models import Citizen, Consent
from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.outbox import add_event
from cgcrm.extensions import db
from cgcrm.interactions.models import Interaction
from cgcrm.notifications.message import Message
from cgcrm.notifications.service import send_notification
from cgcrm.surveys.models import SurveyInvitation
from cgcrm.surveys.tokens import issue_token, survey_link, token_hash

log = logging.getLogger(__name__)

SURVEYS_PURPOSE = "surveys"
TEMPLATE = "survey.invitation"
# Outcomes of a contact in which nobody served the citizen: nothing to rate.
NOT_SERVED = frozenset({"abandoned"})


def sampled(interaction_id: uuid.UUID, rate: float) -> bool:
    """Whether the service's sampling ``rate`` picks this contact.

    Decided by a hash of the contact's id, not a random draw, so a redelivered event decides
    the same way: 1.0 picks every contact, 0.0 none.
    """
    digest = hashlib.sha256(b"cgcrm survey sample:" + interaction_id.bytes).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def _serialize_per_citizen(citizen_id: uuid.UUID) -> None:
    """Hold this citizen's invitation lock until the transaction ends.

    Two contacts of one citizen handled at once would each find no recent invitation and both
    invite; the second now waits, then sees the first's. An advisory lock, not a row lock on
    the citizen, so that editing the citizen's record is never held up by surveys. SQLite
    serialises every write already.
    """
    if db.engine.dialect.name != "postgresql":
        return
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(citizen_id)})


def _lock_key(citizen_id: uuid.UUID) -> int:
    digest = hashlib.sha256(b"cgcrm survey invitation:" + citizen_id.bytes).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


_LOCK_ALL = text(
    "SELECT count(pg_advisory_xact_lock(k)) "
    "FROM (SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) AS keys"
)


def _ruled_out_citizens(citizen_ids: set[uuid.UUID], now: datetime) -> set[uuid.UUID]:
    """Those of ``citizen_ids`` invited within the quiet period or without a surveys consent,
    under every one's invitation lock (taken in key order: two batches never deadlock).
    Neither can change back within the transaction holding the locks."""
    if db.engine.dialect.name == "postgresql":
        keys = "{" + ",".join(str(k) for k in sorted({_lock_key(c) for c in citizen_ids})) + "}"
        db.session.execute(_LOCK_ALL, {"keys": keys})
    quiet = timedelta(days=int(current_app.config["SURVEY_QUIET_DAYS"]))
    wanted = sorted(citizen_ids)
    invited = set(
        db.session.scalars(
            select(SurveyInvitation.citizen_id).where(
                SurveyInvitation.citizen_id.in_(wanted),
                SurveyInvitation.sent_at > now - quiet,
            )
        )
    )
    decisions = db.session.execute(
        select(Consent.citizen_id, Consent.granted)
        .where(Consent.citizen_id.in_(wanted), Consent.purpose == SURVEYS_PURPOSE)
        .order_by(Consent.citizen_id, Consent.recorded_at, Consent.id)
    )
    latest = {citizen_id: granted for citizen_id, granted in decisions}  # the last one wins
    return invited | {c for c in citizen_ids if not latest.get(c)}


def _consents_to_surveys(citizen_id: uuid.UUID) -> bool:
    """Whether the citizen's latest ``surveys`` decision is a grant (none is not)."""
    latest = db.session.scalar(
        select(Consent.granted)
        .where(Consent.citizen_id == citizen_id, Consent.purpose == SURVEYS_PURPOSE)
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())
        .limit(1)
    )
    return bool(latest)


def _invited_lately(citizen_id: uuid.UUID, now: datetime) -> bool:
    quiet = timedelta(days=int(current_app.config["SURVEY_QUIET_DAYS"]))
    return (
        db.session.scalar(
            select(SurveyInvitation.id)
            .where(
                SurveyInvitation.citizen_id == citizen_id,
                SurveyInvitation.sent_at > now - quiet,
            )
            .limit(1)
        )
        is not None
    )


def _skip(interaction_id: uuid.UUID, reason: str) -> None:
    log.debug("survey invitation for contact %s not sent: %s", interaction_id, reason)


def _why_not(contact: Row[Any], rate: float, now: datetime) -> str | None:
    """Why the contact itself rules an invitation out (before anything about its citizen)."""
    max_age = timedelta(hours=int(current_app.config["SURVEY_MAX_CONTACT_AGE_HOURS"]))
    if contact.citizen_id is None:
        return "anonymous contact"
    if contact.service_id is None:
        return "about no service"
    if contact.direction != "inbound":
        return "not inbound"
    if contact.outcome in NOT_SERVED:
        return f"outcome {contact.outcome}"
    if (contact.ended_at or contact.started_at) < now - max_age:
        return "too long ago to ask about today"
    if not sampled(contact.id, rate):
        return "not sampled"
    return None


def _message(
    contact_id: uuid.UUID, citizen: Citizen, route: tuple[str, str], link: str, service: str
) -> Message:
    channel, address = route
    return Message(
        # One per contact, stable across retries, so a gateway sends it once; never the token,
        # which is a credential and references are logged.
        reference=f"{TEMPLATE}:{contact_id}",
        template=TEMPLATE,
        channel=channel,
        address=address,
        recipient_ref=f"citizen:{citizen.id}",
        subject="How did we do?",
        body=(
            f"Thank you for contacting us about {service}. How did you feel about the service "
            f"you received? Tell us in a minute at {link} (the link works once, for "
            f"{int(current_app.config['SURVEY_INVITATION_TTL_DAYS'])} days). "
            "If you would rather not, ignore this message."
        ),
    )


def decide_invitation(
    interaction_id: uuid.UUID, now: datetime | None = None
) -> SurveyInvitation | None:
    """Invite the contact's citizen to rate it when every rule allows; runs in the caller's
    transaction and does not commit (the worker's handler does).

    Invited only when: the contact has a citizen, still active (not merged), and a service; it
    was inbound and not abandoned; it ended (or started) within SURVEY_MAX_CONTACT_AGE_HOURS;
    the service's ``survey_sampling_rate`` picks it (``sampled``); the citizen was not invited
    in the last SURVEY_QUIET_DAYS (decided under a per-citizen lock); their latest ``surveys``
    consent decision is a grant; and they can be reached (``contact_route``). The message goes
    by their preferred channel with a link holding the contact's signed token; the invitation
    row and its ``survey.invitation_sent`` event are written with it.

    :param now: the moment of the decision; the current time when None.
    :returns: the invitation (the existing one when the contact has one), or None.
    :raises Exception: the notification adapter failed (the handler's job is retried).
    """
    now = now or utcnow()
    found = _contacts([interaction_id])
    if not found:
        _skip(interaction_id, "no such contact")
        return None
    contact, rate, service_name = found[0]
    return _decide(contact, float(rate or 0.0), service_name, now)


def decide_invitations(interaction_ids: Sequence[uuid.UUID], now: datetime | None = None) -> None:
    """``decide_invitation`` for each contact of ``interaction_ids``, in one query for the
    contacts (most are ruled out by their own columns) and the caller's one transaction.

    The contacts are decided in the order given, under the invitation locks of all their
    citizens, taken at once before anything is read.

    :raises Exception: the notification adapter failed (the handler's job is retried).
    """
    now = now or utcnow()
    found = {row[0].id: row for row in _contacts(interaction_ids)}
    decisions = []
    for interaction_id in interaction_ids:
        row = found.get(interaction_id)
        if row is None:
            _skip(interaction_id, "no such contact")
            continue
        contact, rate, service_name = row
        reason = _why_not(contact, float(rate or 0.0), now)
        if reason is not None:
            _skip(interaction_id, reason)
            continue
        decisions.append(row)
    if not decisions:
        return
    ruled_out = _ruled_out_citizens({row[0].citizen_id for row in decisions}, now)
    for contact, rate, service_name in decisions:
        if contact.citizen_id in ruled_out:
            _skip(contact.id, "invited within the quiet period, or no surveys consent")
            continue
        _decide(contact, float(rate or 0.0), service_name, now)


# What the decision reads of a contact: columns, not ORM objects (nothing to track or refresh).
_CONTACT_COLUMNS = (
    Interaction.id,
    Interaction.citizen_id,
    Interaction.service_id,
    Interaction.direction,
    Interaction.outcome,
    Interaction.started_at,
    Interaction.ended_at,
)


def _contacts(interaction_ids: Sequence[uuid.UUID]) -> list[tuple[Row[Any], Any, Any]]:
    """(contact, its service's sampling rate, its service's name) of those that exist."""
    rows = db.session.execute(
        select(*_CONTACT_COLUMNS, Service.survey_sampling_rate, Service.name)
        .outerjoin(Service, Service.id == Interaction.service_id)
        .where(Interaction.id.in_(interaction_ids))
    )
    return [(row, row.survey_sampling_rate, row.name) for row in rows]


def _decide(
    contact: Row[Any], rate: float, service_name: str, now: datetime
) -> SurveyInvitation | None:
    interaction_id = contact.id
    reason = _why_not(contact, rate, now)
    if reason is not None:
        _skip(interaction_id, reason)
        return None
    citizen_id = contact.citizen_id
    assert citizen_id is not None  # _why_not rules anonymous contacts out
    _serialize_per_citizen(citizen_id)
    existing = db.session.scalar(
        select(SurveyInvitation).where(SurveyInvitation.interaction_id == interaction_id)
    )
    if existing is not None:
        return existing
    # The two cheap queries before loading the citizen's record (and its relations): they
    # rule out most contacts.
    if _invited_lately(citizen_id, now):
        _skip(interaction_id, "invited within the quiet period")
        return None
    if not _consents_to_surveys(citizen_id):
        _skip(interaction_id, "no surveys consent")
        return None
    citizen = db.session.get(Citizen, citizen_id, populate_existing=True)
    if citizen is None or citizen.status != "active":
        _skip(interaction_id, "the citizen's record is not active (merged or deceased)")
        return None
    route = contact_route(citizen)
    if route is None:
        _skip(interaction_id, "no way to reach the citizen")
        return None
    channel = route[0]
    token = issue_token(interaction_id)
    invitation = SurveyInvitation(
        id=new_id(),
        interaction_id=interaction_id,
        citizen_id=citizen_id,
        channel=channel,
        token_hash=token_hash(token),
        sent_at=now,
        expires_at=now + timedelta(days=int(current_app.config["SURVEY_INVITATION_TTL_DAYS"])),
    )
    db.session.add(invitation)
    db.session.flush()
    send_notification(_message(interaction_id, citizen, route, survey_link(token), service_name))
    add_event(
        "survey.invitation_sent",
        "survey_invitation",
        invitation.id,
        {"invitation_id": str(invitation.id), "interaction_id": str(interaction_id)},
    )
    log.info("survey invitation %s sent by %s for contact %s", invitation.id, channel, contact.id)
    return invitation
