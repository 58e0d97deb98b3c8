"""Knowledge questions answered on the phone, checked against the record and against what
other domains know (``answer_sources``), in constant time."""

from __future__ import annotations

import hmac
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from cgcrm.assurance import answer_sources, rules
from cgcrm.assurance.errors import QuestionUnavailable, TooManyAttempts
from cgcrm.assurance.models import Verification
from cgcrm.catalog.codes import catalog_codes
from cgcrm.citizens.models import Address, Citizen
from cgcrm.core.errors import ValidationError
from cgcrm.core.principal import Actor
from cgcrm.extensions import db


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


def answers_are_right(actor: Actor, citizen: Citizen, data: dict[str, Any], now: datetime) -> bool:
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
