"""Rules of identity assurance. Each public write is one transaction with its audit entry and
outbox event; none touches Flask's request."""

from __future__ import annotations

import hmac
import re
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from cgcrm.assurance import answer_sources, rules
from cgcrm.assurance.errors import AssuranceRequired, QuestionUnavailable, TooManyAttempts
from cgcrm.assurance.evidence import Assurance, assurance_of, contact_hash
from cgcrm.assurance.models import CodeChallenge, Verification
from cgcrm.catalog.codes import catalog_codes
from cgcrm.citizens import record
from cgcrm.citizens.models import Address, Citizen, ContactPoint
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


def _citizen(citizen_id: uuid.UUID, *, for_update: bool = False) -> Citizen:
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


def _expiry(method: str, now: datetime, requested: datetime | None) -> datetime:
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


def _store(
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


def _normal_postcode(value: str | None) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def _same(given: str, stored: str) -> bool:
    # Bytes: compare_digest refuses non-ASCII str, and an answer may be in any script.
    return hmac.compare_digest(given.encode(), stored.encode())


# An amount as said on the phone, in the payment's major unit: "65", "65.00", "1250.5". No
# signs, exponents, separators or symbols: anything else is a wrong answer, never a 500, and
# Decimal never sees "1e999999999" (whose plain form would be a billion characters).
_AMOUNT = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,6})?")


def _plain(value: Decimal) -> str:
    """``Decimal("65.00")`` and ``Decimal("65")`` -> ``"65"``: one spelling per amount."""
    return format(value.normalize(), "f")


def _amount_matches(answer: Any, expected: Decimal) -> bool:
    given = str(answer).strip()
    if not _AMOUNT.fullmatch(given):
        return False
    return _same(_plain(Decimal(given)), _plain(expected))


def _answer_matches(
    citizen: Citizen, question: str, answer: Any, expected: dict[str, Decimal]
) -> bool:
    if question == "last_payment_amount":
        return _amount_matches(answer, expected[question])
    if question == "date_of_birth":
        try:
            born = date.fromisoformat(str(answer))
        except ValueError:
            return False
        stored = citizen.date_of_birth
        return stored is not None and _same(born.isoformat(), stored.isoformat())
    if question == "postcode":
        postcodes = db.session.scalars(
            select(Address.postcode).where(Address.citizen_id == citizen.id)
        )
        given = _normal_postcode(str(answer))
        return bool(given) and any(_same(given, _normal_postcode(p)) for p in postcodes)
    if question == "family_name":
        family = " ".join((citizen.family_name or "").split()).casefold()
        return bool(family) and _same(" ".join(str(answer).split()).casefold(), family)
    return False


def _knowledge(actor: Actor, citizen: Citizen, data: dict[str, Any], now: datetime) -> bool:
    """Whether every question the service asks was answered as the record says.

    :raises ValidationError: no or unknown service, missing or unknown answers.
    :raises TooManyAttempts: too many wrong answers for this citizen today.
    """
    code = data.get("service_code")
    if code is None or catalog_codes.service_by_code(code) is None:
        raise ValidationError(
            "knowledge questions are asked for a service of the catalog",
            errors={"service_code": ["required" if code is None else "unknown service"]},
        )
    asked = rules.SERVICE_QUESTIONS.get(code, rules.DEFAULT_QUESTIONS)
    expected = _sourced_answers(citizen, code, asked)
    answers: dict[str, Any] = data.get("answers") or {}
    errors: dict[str, list[str]] = {}
    for question in asked:
        if answers.get(question) in (None, ""):
            errors[question] = [f"{code} asks this question"]
    for question in answers:
        if question not in asked:
            errors[question] = [f"{code} does not ask this question; it asks {', '.join(asked)}"]
    if errors:
        raise ValidationError(
            "answer exactly the questions the service asks", errors={"answers": errors}
        )
    failures = db.session.scalar(
        select(func.count())
        .select_from(Verification)
        .where(
            Verification.citizen_id == citizen.id,
            Verification.method == rules.KNOWLEDGE_QUESTIONS,
            Verification.outcome == "failed",
            Verification.verified_at > now - timedelta(days=1),
        )
    )
    if (failures or 0) >= rules.KNOWLEDGE_FAILURES_PER_DAY:
        raise TooManyAttempts(
            f"{failures} wrong answers to knowledge questions for this citizen in the last 24 "
            "hours: use another kind of evidence (a code to a contact point, a document at the "
            "counter) or try again tomorrow",
            retry_after=timedelta(days=1).total_seconds(),
        )
    # Every answer is checked, whatever the first gives, so timing says nothing of which failed.
    results = [_answer_matches(citizen, q, answers[q], expected) for q in asked]
    return all(results)


def _sourced_answers(citizen: Citizen, code: str, asked: tuple[str, ...]) -> dict[str, Decimal]:
    """The expected answers to the asked questions the record does not hold (from the sources
    ``create_app`` installs), read before anything is checked or counted.

    Every source is read for the citizen, whichever department asks: the check answers only
    right or wrong, never the value, and a payment taken by another department is as much the
    citizen's as one taken by the caller's.

    :raises QuestionUnavailable: the citizen has nothing to answer one of them with (no
        successful payment): no attempt is counted; the agent uses other evidence.
    """
    expected: dict[str, Decimal] = {}
    unavailable: list[str] = []
    for question in asked:
        if question not in rules.SOURCED_QUESTIONS:
            continue
        value = answer_sources.expected_answer(question, citizen.id)
        if value is None:
            unavailable.append(question)
        else:
            expected[question] = value
    if unavailable:
        raise QuestionUnavailable(
            f"{code} asks {', '.join(unavailable)}, which this citizen cannot answer: there is "
            "nothing on record to check it against (no successful payment). No attempt was "
            "counted; record other evidence instead (a code to a contact point, a document at "
            "the counter)",
            service_code=code,
            unavailable=unavailable,
        )
    return expected


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
        citizen = _citizen(citizen_id, for_update=True)
        expires_at = _expiry(method, now, data.get("expires_at"))
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
            outcome = "passed" if _knowledge(actor, citizen, data, now) else "failed"
            asked = rules.SERVICE_QUESTIONS.get(service_code or "", rules.DEFAULT_QUESTIONS)
            strength, details = "", {"questions": list(asked)}
            failed = outcome == "failed"
        if data.get("note"):
            details["note"] = data["note"]
        verification = _store(
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
        _citizen(citizen_id)
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
        _citizen(citizen_id)
        found = assurance_of(citizen_id)
        record_access(actor, "citizen.assurance_read", [citizen_id], fields=["assurance"])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return found


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
        citizen = _citizen(citizen_id, for_update=True)
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
        citizen = _citizen(citizen_id, for_update=True)
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
            verification = _store(
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
