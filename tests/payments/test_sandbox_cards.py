"""The gateway's card checks and the signature scheme, on their own."""

from __future__ import annotations

from datetime import date

import pytest

from cgcrm.payments import signatures
from cgcrm.payments.providers.sandbox.cards import (
    MESSAGES,
    TEST_CARDS,
    CardErrors,
    CheckedCard,
    Outcome,
    card_brand,
    check_card,
    luhn_valid,
    normalise_number,
    parse_expiry,
)

TODAY = date(2026, 11, 30)


def test_every_test_card_passes_luhn_and_has_its_brand() -> None:
    for card in TEST_CARDS:
        assert luhn_valid(card.number), card.number
        assert card_brand(card.number) == card.brand, card.number


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("79927398713", True),
        ("79927398710", False),
        ("4444333322221112", False),
        ("", False),
        ("4444a33322221111", False),
        ("٤٤٤٤", False),  # Arabic-Indic digits are digits to Python, not to a card scheme
    ],
)
def test_luhn(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4111111111111111", "visa"),
        ("5105105105105100", "mastercard"),
        ("2720999999999996", "mastercard"),
        ("371449635398431", "amex"),
        ("6011111111111117", "discover"),
        ("3530111333300000", "jcb"),
        ("30569309025904", "diners-club"),
        ("6759649826438453", "maestro"),
        ("1234567812345670", None),
        ("41111111111111", None),  # a Visa prefix at a length Visa does not issue
    ],
)
def test_brands_by_prefix_and_length(number: str, brand: str | None) -> None:
    assert card_brand(number) == brand


def test_numbers_are_read_as_typed() -> None:
    assert normalise_number(" 4444 3333-2222 1111 ") == "4444333322221111"
    assert normalise_number("4444\u00a03333") == "44443333"  # a no-break space is a space
    assert normalise_number("4444.3333") == ""


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12/30", ("12/30", None)),
        ("1/2030", ("01/30", None)),
        ("11 26", ("11/26", None)),
        ("1126", ("11/26", None)),
        ("10/26", (None, "expiry_past")),
        ("13/30", (None, "expiry_invalid")),
        ("00/30", (None, "expiry_invalid")),
        ("12/99", (None, "expiry_invalid")),
        ("", (None, "expiry_missing")),
        ("next year", (None, "expiry_invalid")),
    ],
)
def test_expiry_dates(typed: str, expected: tuple[str | None, str | None]) -> None:
    assert parse_expiry(typed, TODAY) == expected


def test_a_checked_card_keeps_no_number_and_says_what_the_gateway_will_do() -> None:
    checked = check_card("4444 3333 2222 1111", "12/30", "Jane Citizen", "123", TODAY)
    assert checked == CheckedCard("visa", "1111", "12/30", Outcome.APPROVE)
    assert "4444333322221111" not in repr(checked)
    assert check_card("4000000000000002", "12/30", "J", "123", TODAY).outcome is Outcome.DECLINE  # type: ignore[union-attr]
    assert check_card("4000000000000119", "12/30", "J", "123", TODAY).outcome is Outcome.ERROR  # type: ignore[union-attr]
    # Any valid number that is not a test card is declined: nothing real is ever "taken".
    assert check_card("4111111111111111", "12/30", "J", "123", TODAY).outcome is Outcome.DECLINE  # type: ignore[union-attr]


def test_every_mistake_is_named_in_words_for_the_payer() -> None:
    errors = check_card("", "", "", "", TODAY)
    assert isinstance(errors, CardErrors)
    assert errors.errors == {
        "card_number": MESSAGES["card_number_missing"],
        "expiry": MESSAGES["expiry_missing"],
        "cardholder_name": MESSAGES["name_missing"],
        "cvc": MESSAGES["cvc_missing"],
    }
    amex = check_card("378282246310005", "12/30", "J", "123", TODAY)
    assert isinstance(amex, CardErrors) and set(amex.errors) == {"cvc"}
    unknown = check_card("1234567812345670", "12/30", "J", "123", TODAY)
    assert isinstance(unknown, CardErrors)
    assert unknown.errors == {"card_number": MESSAGES["card_number_brand"]}
    hidden = check_card("4444333322221111", "12/30", "J\u202eevil", "123", TODAY)
    assert isinstance(hidden, CardErrors) and set(hidden.errors) == {"cardholder_name"}
    moto = check_card("4444333322221111", "12/30", "J", "", TODAY, require_cvc=False)
    assert isinstance(moto, CheckedCard)


def test_signatures_cover_the_timestamp_and_the_body() -> None:
    body = b'{"id": "n1"}'
    header = signatures.sign(body, ["s1"], 1_700_000_000)
    assert header.startswith("t=1700000000,v1=") and len(header) == len("t=1700000000,v1=") + 64
    assert signatures.verify(header, body, ["s1"], 1_700_000_010, 300) == 1_700_000_000
    with pytest.raises(signatures.SignatureRefused):
        signatures.verify(header, body + b" ", ["s1"], 1_700_000_010, 300)
    moved = header.replace("t=1700000000", "t=1700000900")
    with pytest.raises(signatures.SignatureRefused):  # a later time cannot be claimed
        signatures.verify(moved, body, ["s1"], 1_700_000_900, 300)
    with pytest.raises(signatures.SignatureStale):
        signatures.verify(header, body, ["s1"], 1_700_000_301, 300)
    rotating = signatures.sign(body, ["new", "old"], 1_700_000_000)
    assert signatures.verify(rotating, body, ["old"], 1_700_000_000, 300)
    for bad in (None, "", "t=1", "v1=" + "a" * 64, "t=x,v1=" + "a" * 64, "t=1,v1=ABC", "é"):
        with pytest.raises(signatures.SignatureRefused):
            signatures.verify(bad, body, ["s1"], 1, 300)
