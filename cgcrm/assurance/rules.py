"""The declared tables of identity assurance. Pure data and pure functions; imports nothing of ours.

Levels follow GOV.UK One Login / GPG 45 confidence (low, medium, high) and NIST SP 800-63A IAL
(1, 2, 3); ``none`` is a record nobody has checked. ``docs/decisions.md`` says why each rule is
what it is.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

LEVELS = ("none", "low", "medium", "high")

CONTACT_OTP = "contact_otp"
DOCUMENT_CHECK = "document_check"
EXTERNAL_SIGNIN = "external_signin"
KNOWLEDGE_QUESTIONS = "knowledge_questions"
METHODS = (CONTACT_OTP, DOCUMENT_CHECK, EXTERNAL_SIGNIN, KNOWLEDGE_QUESTIONS)
# Recorded directly through POST /verifications; a contact point only through the code flow.
DIRECT_METHODS = (DOCUMENT_CHECK, EXTERNAL_SIGNIN, KNOWLEDGE_QUESTIONS)

# Photo documents a counter officer compares with the person in front of them (GPG 45
# "strength 3" evidence with a physical comparison); the others prove a claimed identity exists,
# not that this person holds it.
PHOTO_DOCUMENTS = ("passport", "driver_licence", "proof_of_age_card", "photo_id_card")
OTHER_DOCUMENTS = ("birth_certificate", "medicare_card", "citizenship_certificate")
DOCUMENT_TYPES = PHOTO_DOCUMENTS + OTHER_DOCUMENTS

# The longest each kind of evidence counts for; a caller may set a shorter expiry.
MAX_VALIDITY: Mapping[str, timedelta] = {
    CONTACT_OTP: timedelta(days=180),
    DOCUMENT_CHECK: timedelta(days=365),
    # A sign-in or a phone call vouches for the person during that contact, not for months.
    EXTERNAL_SIGNIN: timedelta(hours=24),
    KNOWLEDGE_QUESTIONS: timedelta(hours=24),
}

# What an external provider's ``vot`` (GOV.UK One Login vector of trust) or ``acr`` (OIDC
# authentication context: eIDAS, NIST IAL, our own names) says about identity confidence.
# A value not listed here is refused: evidence nobody can interpret raises no level.
EXTERNAL_LEVELS: Mapping[str, str] = {
    "P1": "low",
    "P2": "medium",
    "P3": "high",
    "http://eidas.europa.eu/LoA/low": "low",
    "http://eidas.europa.eu/LoA/substantial": "medium",
    "http://eidas.europa.eu/LoA/high": "high",
    "http://idmanagement.gov/ns/assurance/ial/1": "low",
    "http://idmanagement.gov/ns/assurance/ial/2": "medium",
    "http://idmanagement.gov/ns/assurance/ial/3": "high",
    "urn:cgcrm:ial:low": "low",
    "urn:cgcrm:ial:medium": "medium",
    "urn:cgcrm:ial:high": "high",
}

# Knowledge questions a service may ask on the phone, checked against the record (a test holds
# SERVICE_QUESTIONS to CHECKED_QUESTIONS). The citizen record answers the first three; the last
# payment's amount is answered by payments, through a source create_app installs
# (``cgcrm.assurance.answer_sources``): the amount of the citizen's latest successful payment.
KNOWN_QUESTIONS = ("date_of_birth", "postcode", "family_name", "last_payment_amount")
RECORD_QUESTIONS = ("date_of_birth", "postcode", "family_name")
SOURCED_QUESTIONS = ("last_payment_amount",)
CHECKED_QUESTIONS = RECORD_QUESTIONS + SOURCED_QUESTIONS
# Per service, the questions that must all be answered right; services not listed use DEFAULT.
DEFAULT_QUESTIONS: tuple[str, ...] = ("date_of_birth", "postcode")
SERVICE_QUESTIONS: Mapping[str, tuple[str, ...]] = {
    # A ratepayer knows what they last paid; someone who found a letter in the bin does not.
    "RATES-PAY": ("date_of_birth", "postcode", "last_payment_amount"),
    "COMM-HARDSHIP": ("date_of_birth", "postcode", "family_name"),
}
# Where each kind of evidence is gathered when the caller does not say.
DEFAULT_CHANNELS: Mapping[str, str] = {
    DOCUMENT_CHECK: "counter",
    EXTERNAL_SIGNIN: "web",
    KNOWLEDGE_QUESTIONS: "phone",
}
# Wrong answers (a failed attempt) in a day after which the phone route is closed for the day.
KNOWLEDGE_FAILURES_PER_DAY = 3


@dataclass(frozen=True)
class Evidence:
    """One piece of unexpired, passed evidence, as the rules see it.

    :param strength: for a document, ``photo`` or ``other``; for a sign-in, the level its
        ``vot``/``acr`` maps to; otherwise ``""``.
    """

    method: str
    strength: str = ""


def _has(evidence: Collection[Evidence], method: str, strengths: Iterable[str] = ()) -> bool:
    wanted = tuple(strengths)
    return any(e.method == method and (not wanted or e.strength in wanted) for e in evidence)


def _photo(e: Collection[Evidence]) -> bool:
    return _has(e, DOCUMENT_CHECK, ("photo",))


@dataclass(frozen=True)
class Rule:
    """One line of the rule table: ``level`` when ``holds`` is true of the evidence."""

    level: str
    evidence: str  # what a person reads in a problem: the combination that satisfies it
    holds: Callable[[Collection[Evidence]], bool]


# Highest first; the first rule that holds gives the level.
RULES: tuple[Rule, ...] = (
    Rule(
        "high",
        "an external sign-in at high (vot P3, eIDAS high, IAL3)",
        lambda e: _has(e, EXTERNAL_SIGNIN, ("high",)),
    ),
    Rule(
        "high",
        "a photo document checked at the counter and an external sign-in at medium",
        lambda e: _photo(e) and _has(e, EXTERNAL_SIGNIN, ("medium",)),
    ),
    Rule(
        "medium",
        "an external sign-in at medium (vot P2, eIDAS substantial, IAL2)",
        lambda e: _has(e, EXTERNAL_SIGNIN, ("medium",)),
    ),
    Rule(
        "medium",
        "a photo document checked at the counter and a contact point verified by code",
        lambda e: _photo(e) and _has(e, CONTACT_OTP),
    ),
    Rule(
        "medium",
        "a photo document checked at the counter and knowledge questions answered",
        lambda e: _photo(e) and _has(e, KNOWLEDGE_QUESTIONS),
    ),
    Rule("low", "a contact point verified by code", lambda e: _has(e, CONTACT_OTP)),
    Rule("low", "knowledge questions answered", lambda e: _has(e, KNOWLEDGE_QUESTIONS)),
    Rule("low", "a document checked at the counter", lambda e: _has(e, DOCUMENT_CHECK)),
    Rule(
        "low",
        "an external sign-in at low (vot P1, eIDAS low, IAL1)",
        lambda e: _has(e, EXTERNAL_SIGNIN, ("low",)),
    ),
)


def rank(level: str) -> int:
    return LEVELS.index(level)


def level_of(evidence: Collection[Evidence]) -> str:
    """The highest level a rule grants for this evidence; ``none`` when no rule holds."""
    for rule in RULES:
        if rule.holds(evidence):
            return rule.level
    return "none"


def ways_to_reach(level: str) -> list[str]:
    """The evidence combinations (rule descriptions) that give ``level`` or more."""
    return [rule.evidence for rule in RULES if rank(rule.level) >= rank(level)]


# What a service's action needs. Keys are (catalog service code, action). An action not
# listed needs nothing (``none``). Declared here, as code, so that lowering a requirement is a
# reviewed change (docs/decisions.md).
REQUIREMENTS: Mapping[tuple[str, str], str] = {
    # Replacing a contact point that was verified by code: the channel people sign in and
    # recover through (account take-over is the attack), on the change-of-details service.
    ("CS-CHANGE-ADDRESS", "change_verified_contact_point"): "medium",
    ("CS-CHANGE-ADDRESS", "change_address"): "low",
    ("COMM-HARDSHIP", "change_bank_details"): "medium",
    ("RATES-PAY", "change_bank_details"): "medium",
    # A payment made in someone else's name for a licence they hold.
    ("LIC-DRIVER-RENEW", "pay_in_name"): "medium",
    ("PARK-DISABILITY-PERMIT", "apply"): "medium",
    ("CS-FOI", "release_personal_information"): "high",
}


def required_level(service_code: str, action: str) -> str:
    return REQUIREMENTS.get((service_code, action), "none")
