"""Who may record which consent decision, and on what evidence.

A grant of a purpose that widens access (``sharing.WIDENING_PURPOSES``) opens every other
department's records about the citizen to the department recording it, so it is the one consent
decision that must not be self-served: it needs the ``consents:record`` scope and must name the
contact (an interaction with this citizen, visible to the caller, plausible as the moment it was
given) in which the citizen gave it. A withdrawal narrows access and is never restricted.

Contacts live in ``interactions``, a layer above this one, so this module declares what it needs
to know about a contact (``ContactEvidence``) and the application registers the look-up
(``register_contact_finder``, called by ``create_app``); citizens never import interactions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app

from cgcrm.citizens import sharing
from cgcrm.citizens.models import Consent
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import NotAuthorized, ValidationError
from cgcrm.core.ids import new_id
from cgcrm.core.principal import Actor
from cgcrm.core.scopes import CONSENTS_RECORD

_FINDER_KEY = "cgcrm.contact_finder"
# Outcomes of a contact in which nobody spoke with the citizen.
NO_CONVERSATION_OUTCOMES = frozenset({"abandoned"})


@dataclass(frozen=True)
class ContactEvidence:
    """What consent recording needs to know about one contact."""

    id: uuid.UUID
    citizen_id: uuid.UUID | None
    department_id: uuid.UUID
    channel: str
    outcome: str
    started_at: datetime
    ended_at: datetime | None


ContactFinder = Callable[[uuid.UUID], ContactEvidence | None]


def register_contact_finder(app: Flask, finder: ContactFinder) -> None:
    """Tell the citizen record how to look a contact up (the interactions layer provides it)."""
    app.extensions[_FINDER_KEY] = finder


def _find_contact(interaction_id: uuid.UUID) -> ContactEvidence | None:
    finder: ContactFinder | None = current_app.extensions.get(_FINDER_KEY)
    if finder is None:
        # Fail closed: without the contact log no evidence can be checked.
        return None
    return finder(interaction_id)


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, errors={"interaction_id": [message]})


def _check_evidence(
    actor: Actor, citizen_id: uuid.UUID, citizen_shares: bool, data: dict[str, Any]
) -> None:
    contact = _find_contact(data["interaction_id"])
    # An invisible contact is reported as unknown, as everywhere (sharing.py): no probing.
    if contact is None or not sharing.may_see(actor, contact.department_id, citizen_shares):
        raise _refuse("no contact with this id that you may see")
    if contact.citizen_id != citizen_id:
        raise _refuse("the contact is not with this citizen")
    if contact.outcome in NO_CONVERSATION_OUTCOMES:
        raise _refuse(f"the contact was {contact.outcome}: no consent was given in it")
    if contact.channel != data["channel"]:
        raise _refuse(f"the contact was on {contact.channel}; the consent names {data['channel']}")
    now = utcnow()
    max_age = timedelta(days=int(current_app.config["CONSENT_EVIDENCE_MAX_AGE_DAYS"]))
    # Contact-centre clocks drift; a contact starting further ahead than the skew every contact
    # time is allowed (CLOCK_SKEW_SECONDS) cannot be where a consent was already given.
    skew = timedelta(seconds=int(current_app.config["CLOCK_SKEW_SECONDS"]))
    if contact.started_at > now + skew:
        raise _refuse("the contact has not happened yet")
    if (contact.ended_at or contact.started_at) < now - max_age:
        raise _refuse(
            f"the contact ended more than {max_age.days} days ago; record consent in a "
            "current contact"
        )


def check_consent_decision(
    actor: Actor, citizen_id: uuid.UUID | None, citizen_shares: bool, data: dict[str, Any]
) -> None:
    """Refuse a consent decision the caller may not record, before anything is written.

    :param citizen_id: the citizen, or None while creating one (no contact can name it yet, so
        a widening grant is refused there: it is recorded afterwards, naming the contact).
    :param citizen_shares: the citizen's sharing flag before this decision (what the caller
        may see now decides which contacts it may name).
    :param data: validated ``ConsentRecordSchema`` (or ``ConsentInSchema``) output.
    :raises NotAuthorized: a widening grant without the ``consents:record`` scope.
    :raises ValidationError: a widening grant naming no contact, or a contact that is unknown,
        invisible to the caller, another citizen's, abandoned, on another channel, in the
        future or older than ``CONSENT_EVIDENCE_MAX_AGE_DAYS``; any named contact is checked.
    """
    widens = sharing.widens_access(data["purpose"], data["granted"])
    if widens and not actor.principal.has_scope(CONSENTS_RECORD):
        raise NotAuthorized(
            f"granting {data['purpose']} opens other departments' records and needs the "
            f"{CONSENTS_RECORD} scope",
            www_error="insufficient_scope",
        )
    if citizen_id is None:
        if widens:
            raise ValidationError(
                f"{data['purpose']} cannot be granted while creating a citizen: record it with "
                "POST /api/v1/citizens/{id}/consents, naming the contact it was given in",
                errors={"consents": [f"{data['purpose']} needs the contact it was given in"]},
            )
        return
    if data.get("interaction_id") is None:
        if widens:
            raise _refuse(f"granting {data['purpose']} needs the contact it was given in")
        return
    _check_evidence(actor, citizen_id, citizen_shares, data)


def new_consent(actor: Actor, citizen_id: uuid.UUID, item: dict[str, Any]) -> Consent:
    """A consent row for one validated decision, recorded now by ``actor``."""
    return Consent(**consent_values(actor, citizen_id, item))


def consent_values(actor: Actor, citizen_id: uuid.UUID, item: dict[str, Any]) -> dict[str, Any]:
    """``new_consent``'s columns, for a caller that inserts rows as they are (bulk import)."""
    return {
        "id": new_id(),
        "citizen_id": citizen_id,
        "purpose": item["purpose"],
        "granted": item["granted"],
        "channel": item["channel"],
        "note": item.get("note"),
        "interaction_id": item.get("interaction_id"),
        "recorded_at": utcnow(),
        "recorded_by": actor.principal.ref,
    }


def event_payload(actor: Actor, consent: Consent, widens: bool) -> dict[str, Any]:
    """The ``citizen.consent_recorded`` event's payload: ids and codes, no personal data."""
    department_id = actor.principal.department_id
    return {
        "citizen_id": str(consent.citizen_id),
        "consent_id": str(consent.id),
        "purpose": consent.purpose,
        "status": consent.status,
        "widens": widens,
        "interaction_id": str(consent.interaction_id) if consent.interaction_id else None,
        "department_id": str(department_id) if department_id else None,
    }
