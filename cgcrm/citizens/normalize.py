"""Canonical forms of names, emails, phones, postcodes and identifiers, for storage and search."""

from __future__ import annotations

import re
from functools import lru_cache

import jellyfish
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from unidecode import unidecode

NAME_KEY_MAX = 100
# A value is normalised for its record and again for its match features (and a bulk import
# does both for every row): the parsers are slow, so the last few thousand answers are kept.
RECENT_VALUES = 4096
POSTCODE_KEY_MAX = 20
_NOT_LETTERS = re.compile(r"[^a-z]")
_TOKEN_SPLIT = re.compile(r"[\s,;/]+")
_IDENTIFIER_NOISE = re.compile(r"[\s\-./]")
_SPACE = re.compile(r"\s")


def name_key(name: str | None) -> str:
    """Lower-case ASCII letters only: "O'Brien" -> "obrien", "Zoë" -> "zoe"."""
    if not name:
        return ""
    # Transliteration can lengthen text ("ﬃ" -> "ffi"); keys are cut to fit their column.
    return _NOT_LETTERS.sub("", unidecode(name).lower())[:NAME_KEY_MAX]


def phonetic_key(key: str) -> str:
    """Metaphone of a name key, so "Jon Smyth" and "John Smith" share keys."""
    return jellyfish.metaphone(key).upper()[:12] if key else ""


def query_tokens(text: str) -> list[str]:
    """Split a free-text query into name keys, dropping empty ones."""
    return [key for key in (name_key(part) for part in _TOKEN_SPLIT.split(text)) if key]


@lru_cache(maxsize=RECENT_VALUES)
def normalise_email(value: str) -> str:
    """Validated, lower-cased address.

    :raises ValueError: not a valid email address.
    """
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc


@lru_cache(maxsize=RECENT_VALUES)
def normalise_phone(value: str, region: str) -> str:
    """E.164 form of a phone number written in any local or international format.

    :raises ValueError: not a valid number for its region.
    """
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_phone(value: str, region: str) -> str | None:
    """E.164 of ``value`` if it reads as a phone number, else None (search uses this)."""
    digits = sum(ch.isdigit() for ch in value)
    if digits < 6:
        return None
    try:
        return normalise_phone(value, region)
    except ValueError:
        return None


def postcode_key(postcode: str | None) -> str:
    return _SPACE.sub("", postcode or "").upper()[:POSTCODE_KEY_MAX]


def identifier_canonical(value: str) -> str:
    """Spacing, dashes and case don't distinguish identifiers: "ra-123 4" == "RA1234"."""
    return _IDENTIFIER_NOISE.sub("", value).upper()
