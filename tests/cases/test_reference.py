"""Case references: format, check symbol, lenient reading, and a clash retried."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from cgcrm.cases import reference
from cgcrm.cases.service import open_case
from cgcrm.core.principal import SYSTEM, Actor
from cgcrm.extensions import db
from tests.cases.conftest import URL
from tests.cases.conftest import open_case as open_case_over_http

FORMAT = re.compile(r"^C-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def test_new_references_are_well_formed_and_carry_their_check_symbol() -> None:
    for _ in range(500):
        ref = reference.new_reference()
        assert FORMAT.fullmatch(ref), ref
        body = ref.replace("-", "")[1:]
        assert reference.check_symbol(body[:7]) == body[7]
        assert reference.normalise(ref) == ref


def test_check_symbol_is_the_body_value_modulo_37() -> None:
    # "0000001" is 1; "000000Z" is 31; "0000010" is 32, which Crockford spells "*": never issued.
    assert reference.check_symbol("0000001") == "1"
    assert reference.check_symbol("000000Z") == "Z"
    assert reference.check_symbol("0000010") is None
    assert reference.check_symbol("0000015") == "0"  # 37 % 37


def test_people_may_type_it_loosely() -> None:
    ref = reference.new_reference()
    compact = ref.replace("-", "")
    for typed in (ref.lower(), compact, compact[1:], f"  {ref[:6]} {ref[6:]} "):
        assert reference.normalise(typed) == ref
    assert reference.normalise("c-oooo-o15o") == "C-0000-0150"


def test_every_single_substitution_and_adjacent_swap_in_the_body_is_caught() -> None:
    ref = reference.new_reference()
    symbols = ref.replace("-", "")[1:]
    for position in range(len(symbols)):
        for replacement in reference.ALPHABET:
            if replacement == symbols[position]:
                continue
            typo = symbols[:position] + replacement + symbols[position + 1 :]
            with pytest.raises(ValueError):
                reference.normalise(typo)
    for position in range(reference.BODY_LENGTH - 1):
        a, b = symbols[position], symbols[position + 1]
        if a != b:
            swapped = symbols[:position] + b + a + symbols[position + 2 :]
            with pytest.raises(ValueError):
                reference.normalise(swapped)


@pytest.mark.parametrize("typed", ["", "C-1234", "C-UUUU-UUUU", "X-0000-0011-1", "C-0000-001*"])
def test_what_is_not_a_reference_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        reference.normalise(typed)


@pytest.mark.smoke
def test_found_by_reference_however_typed(rates: Any) -> None:
    case = open_case_over_http(rates)
    ref = case["reference"]
    assert FORMAT.fullmatch(ref)
    for typed in (ref, ref.lower(), ref.replace("-", "")):
        found = rates.get(URL, query_string={"reference": typed})
        assert found.status_code == 200
        assert [c["id"] for c in found.get_json()] == [case["id"]]


def test_a_reference_with_a_wrong_check_symbol_is_422(rates: Any) -> None:
    ref = open_case_over_http(rates)["reference"]
    wrong = ref[:-1] + ("0" if ref[-1] != "0" else "1")
    response = rates.get(URL, query_string={"reference": wrong})
    assert response.status_code == 422
    assert response.get_json()["errors"]["reference"] == ["not a valid case reference"]


def test_a_reference_clash_is_retried_with_a_new_reference(app: Flask, rates: Any) -> None:
    taken = open_case_over_http(rates)["reference"]
    fresh = reference.new_reference()
    issued = iter([taken, taken, fresh])
    with app.test_request_context():
        case = open_case(
            Actor(SYSTEM, "test"),
            {"service_code": "RATES-PAY", "summary": "Clash"},
            new_reference=lambda: next(issued),
        )
        db.session.remove()
    assert case.reference == fresh
