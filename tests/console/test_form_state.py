"""The journeys' form helpers that need no request: money as typed, idempotency keys."""

from __future__ import annotations

import pytest

from cgcrm.console.form_state import idempotency_key, new_idempotency_key, parse_money


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("65", 6500),
        ("65.00", 6500),
        ("65.5", 6550),
        ("$1,065.05", 106505),
        (" $ 0.99 ", 99),
        ("12345678", 1234567800),
    ],
)
def test_an_amount_typed_in_dollars_is_minor_units(typed: str, minor: int) -> None:
    assert parse_money(typed) == minor


@pytest.mark.parametrize("typed", ["", "sixty", "65.001", "-5", "6,5", "1e3", "65.", "$$5"])
def test_what_is_not_an_amount_is_none(typed: str) -> None:
    assert parse_money(typed) is None


def test_a_form_keeps_its_idempotency_key_and_a_bad_one_is_replaced() -> None:
    key = new_idempotency_key()
    assert idempotency_key({"idempotency_key": key}) == key
    assert idempotency_key({}) != idempotency_key({})
    replaced = idempotency_key({"idempotency_key": "short"})
    assert replaced != "short" and len(replaced) >= 16
