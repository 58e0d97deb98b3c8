"""One-time codes sent to a contact point and confirmed: a verified contact point."""

from __future__ import annotations

import hmac
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from cgcrm.assurance import rules
from cgcrm.assurance.errors import TooManyAttempts
from cgcrm.assurance.evidence import contact_hash
from cgcrm.assurance.models import CodeChallenge, Verification
from cgcrm.assurance.recording import citizen_for, store_verification
from cgcrm.citizens import record
from cgcrm.citizens.models import ContactPoint
from cgcrm.core.audit import record_access
from cgcrm.core.clock import utcnow
from cgcrm.core.crypto import cipher
from cgcrm.core.errors import Conflict, NotFound, ValidationError
from cgcrm.core.ids import new_id
from cgcrm.core.outbox import add_event
from cgcrm.core.principal import Actor
from cgcrm.extensions import db

CODE_TTL = timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODES_PER_HOUR = 5
CODE_DIGITS = 6


def _mask(kind: str, value: str) -> str:
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return "*" * max(len(value) - 3, 0) + value[-3:]


def start_code(actor: Actor, citizen_id: uuid.UUID, data: dict[str, Any]) -> CodeChallenge:
    """Ask for a one-time code to one of the citizen's contact points.

    The code is generated and sent by the ``assurance.code_requested`` event's handler, after
    this commits: no request waits on a gateway, and the code never sits in the outbox.

    :param data: ``kind`` (email or phone) and optionally the contact point's ``value``.
    :raises NotFound: no such citizen.
    :raises Conflict: the record was merged into another.
    :raises ValidationError: the citizen has no such contact point.
    :raises TooManyAttempts: too many codes asked for this citizen in the last hour.
    """
    now = utcnow()
    kind = data["kind"]
    try:
        citizen = citizen_for(citizen_id, for_update=True)
        points = list(
            db.session.scalars(
                select(ContactPoint)
                .where(ContactPoint.citizen_id == citizen.id, ContactPoint.kind == kind)
                .order_by(ContactPoint.is_primary.desc(), ContactPoint.position)
            )
        )
        wanted = data.get("value")
        if wanted is not None:
            normalised = record.contact_point_values([{"kind": kind, "value": wanted}])
            points = [p for p in points if p.value == normalised[0]["value"]]
        if not points:
            raise ValidationError(
                f"the citizen has no such {kind} on their record",
                errors={"value" if wanted else "kind": ["no such contact point on the record"]},
            )
        recent = db.session.scalar(
            select(func.count())
            .select_from(CodeChallenge)
            .where(
                CodeChallenge.citizen_id == citizen.id,
                CodeChallenge.created_at > now - timedelta(hours=1),
            )
        )
        if (recent or 0) >= CODES_PER_HOUR:
            raise TooManyAttempts(
                f"{recent} codes were asked for this citizen in the last hour; wait and retry",
                retry_after=timedelta(hours=1).total_seconds(),
            )
        point = points[0]
        challenge = CodeChallenge(
            id=new_id(),
            citizen_id=citizen.id,
            kind=kind,
            contact_hash=contact_hash(kind, point.value),
            sent_to=_mask(kind, point.value),
            status="pending",
            attempts=0,
            requested_by=actor.principal.ref,
            department_id=actor.principal.department_id,
            created_at=now,
            expires_at=now + CODE_TTL,
        )
        db.session.add(challenge)
        db.session.flush()
        record_access(actor, "citizen.verification_code_requested", [citizen.id], fields=[kind])
        add_event(
            "assurance.code_requested",
            "citizen",
            citizen.id,
            {"citizen_id": str(citizen.id), "challenge_id": str(challenge.id), "kind": kind},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return challenge


def code_hash(challenge_id: uuid.UUID, code: str) -> str:
    """Keyed hash of a code, bound to its challenge (a code is worth nothing elsewhere)."""
    return cipher().blind_index(f"assurance-code:{challenge_id}:{code}")


def confirm_code(
    actor: Actor, citizen_id: uuid.UUID, challenge_id: uuid.UUID, code: str
) -> Verification:
    """Confirm a one-time code: the contact point is verified evidence until its expiry.

    A wrong code counts an attempt (committed); the last allowed one locks the challenge.

    :raises NotFound: no such challenge for this citizen.
    :raises Conflict: the challenge was confirmed, locked or expired, or its code is not sent
        yet; or the record was merged into another.
    :raises ValidationError: the code does not match.
    """
    now = utcnow()
    wrong: CodeChallenge | None = None
    try:
        citizen = citizen_for(citizen_id, for_update=True)
        challenge = db.session.scalars(
            select(CodeChallenge)
            .where(CodeChallenge.id == challenge_id, CodeChallenge.citizen_id == citizen.id)
            .with_for_update()
        ).one_or_none()
        if challenge is None:
            raise NotFound(f"no code {challenge_id} for this citizen")
        if challenge.status != "pending":
            raise Conflict(f"this code is {challenge.status}; ask for a new one")
        if challenge.expires_at <= now:
            raise Conflict("this code has expired; ask for a new one")
        if challenge.code_hash is None:
            raise Conflict("this code has not been sent yet; try again in a moment")
        if not hmac.compare_digest(challenge.code_hash, code_hash(challenge.id, code)):
            challenge.attempts += 1
            if challenge.attempts >= CODE_ATTEMPTS:
                challenge.status = "locked"
            db.session.commit()
            wrong = challenge
        else:
            challenge.status = "confirmed"
            challenge.confirmed_at = now
            verification = store_verification(
                actor,
                citizen,
                method=rules.CONTACT_OTP,
                outcome="passed",
                strength="",
                details={
                    "kind": challenge.kind,
                    "sent_to": challenge.sent_to,
                    "contact_hash": challenge.contact_hash,
                    "challenge_id": str(challenge.id),
                },
                channel="email" if challenge.kind == "email" else "sms",
                service_code=None,
                now=now,
                expires_at=now + rules.MAX_VALIDITY[rules.CONTACT_OTP],
            )
            db.session.commit()
            return verification
    except Exception:
        db.session.rollback()
        raise
    left = CODE_ATTEMPTS - wrong.attempts
    raise ValidationError(
        "the code does not match"
        + ("; no attempts are left: ask for a new code" if left <= 0 else ""),
        errors={"code": ["does not match"]},
        attempts_left=max(left, 0),
    )
