"""Card details as the sandbox gateway reads them: checks, brands, and its test cards.

A card number lives only in the request that carries it: ``check_card`` turns the form into a
``CheckedCard`` that keeps the brand, the last four digits, the expiry and what the test card
asks the gateway to do (``Outcome``), and drops the number and the security code. Nothing here
stores, logs or raises with the number in it (error messages name the field, never its value).

The sandbox takes only its own test cards: any other number that passes the checks is
declined, so nothing a person types here ever looks like a real payment.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from cgcrm.core.text_rules import text_problem


class Outcome(enum.StrEnum):
    """What the gateway's authorisation does with a card."""

    APPROVE = "approve"
    DECLINE = "decline"
    ERROR = "error"
    # The acquirer never answers: the charge stays submitted until something resolves it.
    SILENT = "silent"
    # Approved, but every refund of it fails at the gateway (refund error).
    NO_REFUND = "norefund"


@dataclass(frozen=True)
class TestCard:
    number: str
    brand: str
    outcome: Outcome
    note: str


# Numbers chosen for the sandbox (all pass the Luhn check); described on the card page's
# documentation and in the README.
TEST_CARDS: tuple[TestCard, ...] = (
    TestCard("4444333322221111", "visa", Outcome.APPROVE, "Visa: succeeds"),
    TestCard("4242424242424242", "visa", Outcome.APPROVE, "Visa: succeeds"),
    TestCard("5555555555554444", "mastercard", Outcome.APPROVE, "Mastercard: succeeds"),
    TestCard("2221000000000009", "mastercard", Outcome.APPROVE, "Mastercard (2-series): succeeds"),
    TestCard("378282246310005", "amex", Outcome.APPROVE, "American Express: succeeds"),
    TestCard("4000000000000002", "visa", Outcome.DECLINE, "declined (failed, P0010)"),
    TestCard("4000000000000069", "visa", Outcome.DECLINE, "declined: card expired (P0010)"),
    TestCard("4000000000000119", "visa", Outcome.ERROR, "processing error (error, P0050)"),
    TestCard("4000000000000259", "visa", Outcome.SILENT, "the acquirer never answers"),
    TestCard("4000000000005126", "visa", Outcome.NO_REFUND, "succeeds; its refunds fail"),
)
_BY_NUMBER = {card.number: card for card in TEST_CARDS}

# Issuer identification number ranges: (brand, prefixes as (low, high) of equal length, lengths).
_BRANDS: tuple[tuple[str, tuple[tuple[str, str], ...], tuple[int, ...]], ...] = (
    ("amex", (("34", "34"), ("37", "37")), (15,)),
    ("diners-club", (("300", "305"), ("36", "36"), ("38", "39")), (14, 16, 19)),
    ("jcb", (("3528", "3589"),), (16, 17, 18, 19)),
    ("discover", (("6011", "6011"), ("644", "649"), ("65", "65")), (16, 19)),
    ("mastercard", (("51", "55"), ("2221", "2720")), (16,)),
    ("maestro", (("50", "50"), ("56", "58"), ("6", "6")), tuple(range(12, 20))),
    ("visa", (("4", "4"),), (13, 16, 19)),
)
CVC_LENGTHS = {"amex": 4}
_SEPARATORS = re.compile(r"[ \-]")
_EXPIRY = re.compile(r"^(\d{1,2})\s*[/\-. ]?\s*(\d{2}|\d{4})$")
NAME_MAX = 100

# Messages in the GOV.UK error message style, by form field.
MESSAGES = {
    "card_number_missing": "Enter your card number",
    "card_number_invalid": "Enter a valid card number",
    "card_number_brand": "We do not accept this type of card",
    "expiry_missing": "Enter the expiry date, for example 03/28",
    "expiry_invalid": "Enter the expiry date in the format MM/YY, for example 03/28",
    "expiry_past": "The expiry date must be in the future",
    "name_missing": "Enter the name as it appears on the card",
    "name_invalid": f"The name must be {NAME_MAX} characters or fewer, letters and punctuation",
    "cvc_missing": "Enter the card security code",
    "cvc_invalid": "Enter a valid card security code: 3 digits, or 4 on the front of an Amex card",
}


def luhn_valid(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn (mod 10) check."""
    if not digits or not (digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """The scheme a card number belongs to by its prefix and length, or None."""
    for brand, ranges, lengths in _BRANDS:
        if len(digits) not in lengths:
            continue
        for low, high in ranges:
            if low <= digits[: len(low)] <= high:
                return brand
    return None


def normalise_number(raw: str) -> str:
    """The digits of a card number as typed (spaces and hyphens dropped); '' if anything else."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    if not text.isascii() or not text.isdigit():
        return ""
    return text


def parse_expiry(raw: str, today: date) -> tuple[str | None, str | None]:
    """("MM/YY", None) for a card valid this month or later, else (None, message key)."""
    text = unicodedata.normalize("NFKC", (raw or "").strip())
    if not text:
        return None, "expiry_missing"
    match = _EXPIRY.fullmatch(text) if text.isascii() else None
    if match is None:
        return None, "expiry_invalid"
    month = int(match.group(1))
    year = int(match.group(2))
    if len(match.group(2)) == 2:
        year += 2000
    if not 1 <= month <= 12 or year > today.year + 30:
        return None, "expiry_invalid"
    if (year, month) < (today.year, today.month):
        return None, "expiry_past"
    return f"{month:02d}/{year % 100:02d}", None


@dataclass(frozen=True)
class CheckedCard:
    """What is kept of a card once checked: never the number nor the security code."""

    brand: str
    last4: str
    expiry: str
    outcome: Outcome


@dataclass(frozen=True)
class CardErrors:
    """Field name → message, in the form's order."""

    errors: dict[str, str]


def check_card(
    number: str, expiry: str, name: str, cvc: str, today: date, *, require_cvc: bool = True
) -> CheckedCard | CardErrors:
    """Check card details as typed; the card's summary and outcome, or every field's error.

    :param today: the local date the expiry is checked against.
    :param require_cvc: False for staff keying a card taken by phone without its code.
    """
    errors: dict[str, str] = {}
    digits = normalise_number(number)
    brand = None
    if not (number or "").strip():
        errors["card_number"] = MESSAGES["card_number_missing"]
    elif not (12 <= len(digits) <= 19 and luhn_valid(digits)):
        errors["card_number"] = MESSAGES["card_number_invalid"]
    else:
        brand = card_brand(digits)
        if brand is None:
            errors["card_number"] = MESSAGES["card_number_brand"]
    card_expiry, expiry_error = parse_expiry(expiry, today)
    if expiry_error:
        errors["expiry"] = MESSAGES[expiry_error]
    holder = unicodedata.normalize("NFC", (name or "").strip())
    if not holder:
        errors["cardholder_name"] = MESSAGES["name_missing"]
    elif len(holder) > NAME_MAX or text_problem(holder, multiline=False, max_marks=2):
        errors["cardholder_name"] = MESSAGES["name_invalid"]
    code = (cvc or "").strip()
    if code or require_cvc:
        wanted = CVC_LENGTHS.get(brand or "", 3)
        if not code:
            errors["cvc"] = MESSAGES["cvc_missing"]
        elif not (code.isascii() and code.isdigit() and len(code) == wanted):
            errors["cvc"] = MESSAGES["cvc_invalid"]
    if errors or brand is None or card_expiry is None:
        return CardErrors(errors)
    test_card = _BY_NUMBER.get(digits)
    outcome = test_card.outcome if test_card else Outcome.DECLINE
    return CheckedCard(brand=brand, last4=digits[-4:], expiry=card_expiry, outcome=outcome)
