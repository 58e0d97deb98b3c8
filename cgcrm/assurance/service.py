"""Rules of identity assurance. Each public write is one transaction with its audit entry and
outbox event; none touches Flask's request."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from cgcrm.assurance import rules
from cgcrm.assurance.errors import AssuranceRequired
from cgcrm.assurance.evidence import Assurance, assurance_of, contact_hash
from cgcrm.assurance.knowledge import answers_are_right
from cgcrm.assurance.models import Verification
from cgcrm.assurance.recording import citizen_for, expiry_for, store_verification
from cgcrm.catalog.codes import catalog_codes
from cgcrm.citizens import record
from cgcrm.citizens.models import Citizen
from cgcrm.core.audit import record_access
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import ValidationError
from cgcrm.core.principal import Actor
from cgcrm.extensions import db


def _document(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    document_type = data.get("document_type")
    last_digits = data.get("last_digits")
    errors: dict[str, list[str]] = {}
    if document_type is None:
        errors["document_type"] = ["required for a document_check"]
    if last_digits is None:
        errors["last_digits"] = ["required for a document_check: the last 2 to 4 characters"]
    if errors:
        raise ValidationError(
            "a document check names the document type and its last digits", errors=errors
        )
    strength = "photo" if document_type in rules.PHOTO_DOCUMENTS else "other"
    return strength, {"document_type": document_type, "last_digits": last_digits}


def _external(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    provider = data.get("provider")
    vot, acr = data.get("vot"), data.get("acr")
    errors: dict[str, list[str]] = {}
    if not provider:
        errors["provider"] = ["required for an external_signin: the provider's issuer"]
    if vot is None and acr is None:
        errors["acr"] = ["an external_signin needs the provider's acr or vot"]
    levels = []
    for name, value in (("vot", vot), ("acr", acr)):
        if value is None:
            continue
        level = rules.EXTERNAL_LEVELS.get(value)
        if level is None:
            errors[name] = [f"unknown {name} {value!r}: one of the declared values"]
        else:
            levels.append(level)
    if errors:
        raise ValidationError("this sign-in cannot be recorded as evidence", errors=errors)
    # Two claims that disagree: the lower one is what the provider vouched for.
    strength = min(levels, key=rules.rank)
    details = {"provider": provider, "vot": vot, "acr": acr}
    return strength, {k: v for k, v in details.items() if v is not None}


def record_verification(actor: Actor, citizen_id: uuid.UUID, data: dict[str, Any]) -> Verification:
    """Record evidence of a citizen's identity (a document, an external sign-in, knowledge
    questions) with who, when, how and an expiry; its event and audit entry commit with it.

    Wrong answers to knowledge questions are recorded as a failed attempt (the answers never are)
    and then refused.

    :param data: validated ``VerificationCreateSchema`` output.
    :raises NotFound: no such citizen.
    :raises Conflict: the record was merged into another.
    :raises ValidationError: missing or invalid details, an expiry beyond the method's longest,
        or answers that do not match the record.
    :raises QuestionUnavailable: the service asks a question this citizen has nothing to
        answer with (no successful payment); nothing is recorded.
    :raises TooManyAttempts: too many wrong answers today.
    """
    method = data["method"]
    now = utcnow()
    failed = False
    try:
        citizen = citizen_for(citizen_id, for_update=True)
        expires_at = expiry_for(method, now, data.get("expires_at"))
        service_code = data.get("service_code")
        if service_code is not None and catalog_codes.service_by_code(service_code) is None:
            raise ValidationError(
                f"no service with code {service_code}",
                errors={"service_code": ["unknown service"]},
            )
        if method == rules.DOCUMENT_CHECK:
            strength, details = _document(data)
            outcome = "passed"
        elif method == rules.EXTERNAL_SIGNIN:
            strength, details = _external(data)
            outcome = "passed"
        else:
            outcome = "passed" if answers_are_right(actor, citizen, data, now) else "failed"
            asked = rules.SERVICE_QUESTIONS.get(service_code or "", rules.DEFAULT_QUESTIONS)
            strength, details = "", {"questions": list(asked)}
            failed = outcome == "failed"
        if data.get("note"):
            details["note"] = data["note"]
        verification = store_verification(
            actor,
            citizen,
            method=method,
            outcome=outcome,
            strength=strength,
            details=details,
            channel=data.get("channel") or rules.DEFAULT_CHANNELS[method],
            service_code=service_code,
            now=now,
            expires_at=now if failed else expires_at,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if failed:
        raise ValidationError(
            "the answers do not match the record; the attempt was recorded",
            errors={"answers": ["do not match the record"]},
        )
    return verification


def list_verifications(actor: Actor, citizen_id: uuid.UUID) -> list[Verification]:
    """Every piece of evidence recorded about a citizen, latest first; the read is audited.

    :raises NotFound: no such citizen.
    """
    try:
        citizen_for(citizen_id)
        rows = list(
            db.session.scalars(
                select(Verification)
                .where(Verification.citizen_id == citizen_id)
                .order_by(Verification.verified_at.desc(), Verification.id)
            )
        )
        record_access(actor, "citizen.verifications_read", [citizen_id], fields=["assurance"])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return rows


def citizen_assurance(actor: Actor, citizen_id: uuid.UUID) -> Assurance:
    """A citizen's level and the evidence that counts; the read is audited.

    :raises NotFound: no such citizen.
    """
    try:
        citizen_for(citizen_id)
        found = assurance_of(citizen_id)
        record_access(actor, "citizen.assurance_read", [citizen_id], fields=["assurance"])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return found


def require_assurance(citizen_id: uuid.UUID, service_code: str, action: str) -> Assurance:
    """Refuse ``action`` of ``service_code`` unless the citizen's level reaches what
    ``rules.REQUIREMENTS`` declares for it. Reads in the caller's transaction.

    :returns: the citizen's assurance, when enough.
    :raises AssuranceRequired: the level is below; the problem names the level needed, the
        current level and the evidence that would satisfy it.
    """
    needed = rules.required_level(service_code, action)
    current = assurance_of(citizen_id)
    if rules.rank(current.level) >= rules.rank(needed):
        return current
    raise AssuranceRequired(
        f"{action} of {service_code} needs identity assurance {needed}; this citizen's is "
        f"{current.level}. Record evidence at POST /api/v1/citizens/{citizen_id}/verifications "
        "and try again",
        service_code=service_code,
        action=action,
        required_level=needed,
        current_level=current.level,
        current_evidence=current.methods,
        satisfied_by=rules.ways_to_reach(needed),
    )


def check_record_change(citizen: Citizen, changes: dict[str, Any]) -> None:
    """The assurance a change of the citizen record needs (installed in ``citizens`` by
    ``create_app``): replacing a contact point verified by code needs
    ``CS-CHANGE-ADDRESS``/``change_verified_contact_point``. Reads in the caller's transaction.

    :raises AssuranceRequired: the change removes a verified contact point and the level is
        below what that needs.
    """
    if "contact_points" not in changes:
        return
    verified = {
        row.details.get("contact_hash")
        for row in assurance_of(citizen.id).evidence
        if row.method == rules.CONTACT_OTP
    }
    if not verified:
        return
    try:
        new_points = record.contact_point_values(changes["contact_points"] or [])
    except ValidationError:
        return  # the record's own validation answers with every mistake
    kept = {contact_hash(p["kind"], p["value"]) for p in new_points}
    if verified - kept:
        require_assurance(citizen.id, "CS-CHANGE-ADDRESS", "change_verified_contact_point")


def summary_for_record(citizen_id: uuid.UUID) -> dict[str, Any]:
    """The ``assurance`` member of the citizen record's JSON (installed in ``citizens`` by
    ``create_app``): level, when it drops, and the evidence it rests on. Not audited apart: it
    is part of the record whose read is."""
    found = assurance_of(citizen_id)
    return {
        "level": found.level,
        "valid_until": found.valid_until.isoformat() if found.valid_until else None,
        "evidence": [
            {
                "id": str(row.id),
                "method": row.method,
                "strength": row.strength,
                "verified_at": row.verified_at.isoformat(),
                "expires_at": row.expires_at.isoformat(),
            }
            for row in found.evidence
        ],
    }
