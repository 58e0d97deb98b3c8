"""What every kind of evidence shares: the citizen it is recorded against, how long it may
last, and the verification row with its audit entry and outbox event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from cgcrm.assurance import rules
from cgcrm.assurance.evidence import assurance_of
from cgcrm.assurance.models import Verification
from cgcrm.citizens.models import Citizen
from cgcrm.core.audit import record_access
from cgcrm.core.errors import Conflict, NotFound, ValidationError
from cgcrm.core.ids import new_id
from cgcrm.core.outbox import add_event
from cgcrm.core.principal import Actor
from cgcrm.extensions import db


def citizen_for(citizen_id: uuid.UUID, *, for_update: bool = False) -> Citizen:
    """The live citizen, its row locked for a write.

    :raises NotFound: no such citizen.
    :raises Conflict: a tombstone: evidence is recorded against the record it was merged into.
    """
    query = select(Citizen).where(Citizen.id == citizen_id)
    if for_update:
        query = query.with_for_update()
    citizen = db.session.scalars(query).one_or_none()
    if citizen is None:
        raise NotFound(f"no citizen with id {citizen_id}")
    if for_update and citizen.status == "merged":
        raise Conflict(
            f"this record was merged into {citizen.merged_into_id}; record evidence there",
            merged_into=str(citizen.merged_into_id),
        )
    return citizen


def expiry_for(method: str, now: datetime, requested: datetime | None) -> datetime:
    longest = now + rules.MAX_VALIDITY[method]
    if requested is None:
        return longest
    if requested <= now or requested > longest:
        raise ValidationError(
            f"expires_at must be in the future and at most {rules.MAX_VALIDITY[method]} away "
            f"for {method}",
            errors={"expires_at": [f"after now, no later than {longest.isoformat()}"]},
        )
    return requested


def store_verification(
    actor: Actor,
    citizen: Citizen,
    *,
    method: str,
    outcome: str,
    strength: str,
    details: dict[str, Any],
    channel: str | None,
    service_code: str | None,
    now: datetime,
    expires_at: datetime,
) -> Verification:
    verification = Verification(
        id=new_id(),
        citizen_id=citizen.id,
        method=method,
        outcome=outcome,
        strength=strength,
        channel=channel,
        details=details,
        service_code=service_code,
        verified_by=actor.principal.ref,
        department_id=actor.principal.department_id,
        verified_at=now,
        expires_at=expires_at,
        request_id=actor.request_id,
    )
    db.session.add(verification)
    db.session.flush()
    level = assurance_of(citizen.id, now).level
    record_access(actor, f"citizen.verification_{outcome}", [citizen.id], fields=[method])
    add_event(
        "assurance.verification_recorded",
        "citizen",
        citizen.id,
        {
            "citizen_id": str(citizen.id),
            "verification_id": str(verification.id),
            "method": method,
            "outcome": outcome,
            "level": level,
        },
    )
    return verification
