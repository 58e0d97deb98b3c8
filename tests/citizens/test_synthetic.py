"""The synthetic citizen generator: deterministic, well-shaped, unique where it must be."""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from datetime import date
from typing import Any

import phonenumbers

from cgcrm.citizens.synthetic import (
    EMAIL_DOMAINS,
    PHONETIC_SWAPS,
    REFERENCE_DATE,
    generate_citizens,
    make_typo,
    typo_query,
)
from tests.citizens.fields import CITIZEN_FIELDS

N = 5_000
_CACHE: dict[tuple[int, int], list[dict[str, Any]]] = {}

CITIZEN_KEYS = set(CITIZEN_FIELDS)
PREVIOUS_NAME_KEYS = {"given_name", "family_name", "valid_from", "valid_to"}
ADDRESS_KEYS = {
    "line1",
    "line2",
    "locality",
    "region",
    "postcode",
    "country",
    "valid_from",
    "valid_to",
}
PREFERENCE_KEYS = {"preferred_channel", "language", "accessibility_needs"}
CHANNELS = {"web", "phone", "email", "counter", "mobile_app", "mail", None}
NEEDS = {"large_print", "interpreter", "wheelchair_access", "hearing_loop", "easy_read"}
STATE_POSTCODE = {
    "NSW": r"^2\d{3}$",
    "ACT": r"^2(6|9)\d{2}$",
    "VIC": r"^3\d{3}$",
    "QLD": r"^4\d{3}$",
    "SA": r"^5\d{3}$",
    "WA": r"^6\d{3}$",
    "TAS": r"^7\d{3}$",
    "NT": r"^0\d{3}$",
}
IDENTIFIER_FORMATS = {
    "RATES_ACCOUNT": r"^RA-\d{7}$",
    "LIBRARY_CARD": r"^LIB\d{9}$",
    "DRIVER_LICENCE": r"^\d{8,9}$",
}
NAMES = [
    "Smith",
    "O'Brien",
    "Phillip",
    "Stephen",
    "Nguyen",
    "Zoë",
    "José",
    "Smith-Jones",
    "De Silva",
    "McDonald",
    "Lee",
    "Anna",
    "Papadopoulos",
    "Min-jun",
    "Jackson",
    "Kelly",
    "Tzu",
    "Aaa",
]


def _citizens(count: int = N, seed: int = 42) -> list[dict[str, Any]]:
    key = (count, seed)
    if key not in _CACHE:
        _CACHE[key] = list(generate_citizens(count, seed=seed))
    return _CACHE[key]


def _osa_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment variant)."""
    rows = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        rows[i][0] = i
    for j in range(len(b) + 1):
        rows[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[len(a)][len(b)]


def _is_phonetic_swap(original: str, typo: str) -> bool:
    source, target = original.lower(), typo.lower()
    for pattern, replacement in PHONETIC_SWAPS:
        start = source.find(pattern, 1)
        while start != -1:
            if source[:start] + replacement + source[start + len(pattern) :] == target:
                return True
            start = source.find(pattern, start + 1)
    return False


def _is_one_typo(original: str, typo: str) -> bool:
    return typo != original and (
        _osa_distance(original, typo) == 1 or _is_phonetic_swap(original, typo)
    )


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_same_citizens() -> None:
    assert list(generate_citizens(300, seed=7)) == list(generate_citizens(300, seed=7))


def test_different_seed_different_citizens() -> None:
    assert list(generate_citizens(50, seed=7)) != list(generate_citizens(50, seed=8))


def test_output_does_not_depend_on_count() -> None:
    assert list(generate_citizens(120)) == _citizens()[:120]


def test_default_seed_is_42() -> None:
    assert list(generate_citizens(20)) == list(generate_citizens(20, seed=42))


def test_count_zero_yields_nothing() -> None:
    assert list(generate_citizens(0)) == []


# --- shape ---------------------------------------------------------------------------------


def _check_text(value: Any) -> None:
    assert isinstance(value, str)
    assert value
    assert value == value.strip()
    assert unicodedata.normalize("NFC", value) == value


def test_payload_shape() -> None:
    for citizen in _citizens():
        assert set(citizen) == CITIZEN_KEYS
        for key in ("given_name", "family_name"):
            _check_text(citizen[key])
        for key in ("middle_names", "preferred_name"):
            if citizen[key] is not None:
                _check_text(citizen[key])
        dob = citizen["date_of_birth"]
        assert dob is None or isinstance(dob, str)
        for previous in citizen["previous_names"]:
            assert set(previous) == PREVIOUS_NAME_KEYS
            _check_text(previous["given_name"])
            _check_text(previous["family_name"])
            assert previous["valid_from"] is None
            assert isinstance(previous["valid_to"], str)
        for point in citizen["contact_points"]:
            assert set(point) in ({"kind", "value"}, {"kind", "value", "is_primary"})
            assert point["kind"] in ("email", "phone")
            _check_text(point["value"])
        for address in citizen["addresses"]:
            assert set(address) == ADDRESS_KEYS
            assert address["country"] == "AU"
        for identifier in citizen["identifiers"]:
            assert set(identifier) == {"system", "value"}
        prefs = citizen["preferences"]
        assert set(prefs) == PREFERENCE_KEYS
        assert prefs["preferred_channel"] in CHANNELS
        assert re.fullmatch(r"[a-z]{2,3}", prefs["language"])
        assert isinstance(prefs["accessibility_needs"], list)
        assert set(prefs["accessibility_needs"]) <= NEEDS
        assert len(set(prefs["accessibility_needs"])) == len(prefs["accessibility_needs"])


def test_is_primary_only_on_first_of_each_kind() -> None:
    for citizen in _citizens():
        seen: set[str] = set()
        for point in citizen["contact_points"]:
            if point["kind"] in seen:
                assert "is_primary" not in point
            else:
                assert point.get("is_primary") is True
                seen.add(point["kind"])


def test_dates_are_plausible() -> None:
    for citizen in _citizens():
        dob_text = citizen["date_of_birth"]
        if dob_text is not None:
            dob = date.fromisoformat(dob_text)
            age_days = (REFERENCE_DATE - dob).days
            assert 0 <= age_days < 101 * 366
        for previous in citizen["previous_names"]:
            changed = date.fromisoformat(previous["valid_to"])
            assert changed < REFERENCE_DATE
            if dob_text is not None:
                assert changed > date.fromisoformat(dob_text)


def test_addresses() -> None:
    with_previous = 0
    for citizen in _citizens():
        addresses = citizen["addresses"]
        current = [a for a in addresses if a["valid_to"] is None]
        assert len(current) == 1
        assert 1 <= len(addresses) <= 2
        with_previous += len(addresses) == 2
        for address in addresses:
            _check_text(address["line1"])
            _check_text(address["locality"])
            assert address["line2"] is None or isinstance(address["line2"], str)
            assert re.fullmatch(STATE_POSTCODE[address["region"]], address["postcode"])
            start = date.fromisoformat(address["valid_from"])
            assert start <= REFERENCE_DATE
            if citizen["date_of_birth"] is not None:
                assert start >= date.fromisoformat(citizen["date_of_birth"])
            if address["valid_to"] is not None:
                assert start < date.fromisoformat(address["valid_to"])
                assert address["valid_to"] < current[0]["valid_from"]
    assert 0.15 < with_previous / N < 0.25


def test_rough_proportions() -> None:
    citizens = _citizens()

    def share(predicate: Any) -> float:
        return sum(1 for c in citizens if predicate(c)) / len(citizens)

    def has(kind: str) -> Any:
        return lambda c: any(p["kind"] == kind for p in c["contact_points"])

    def has_id(system: str) -> Any:
        return lambda c: any(i["system"] == system for i in c["identifiers"])

    assert 0.65 < share(has("email")) < 0.75
    assert 0.80 < share(has("phone")) < 0.90
    assert 0.06 < share(lambda c: c["preferred_name"] is not None) < 0.14
    assert 0.015 < share(lambda c: c["date_of_birth"] is None) < 0.05
    assert 0.05 < share(lambda c: bool(c["previous_names"])) < 0.12
    assert 0.35 < share(has_id("RATES_ACCOUNT")) < 0.45
    assert 0.25 < share(has_id("LIBRARY_CARD")) < 0.35
    assert 0.20 < share(has_id("DRIVER_LICENCE")) < 0.30
    assert share(lambda c: c["preferences"]["language"] == "en") > 0.85
    assert share(lambda c: not c["preferences"]["accessibility_needs"]) > 0.8


def test_names_look_australian() -> None:
    citizens = _citizens(20_000)
    families = Counter(c["family_name"] for c in citizens)
    assert families.most_common(1)[0][0] == "Smith"
    top = {name for name, _ in families.most_common(60)}
    assert {"Jones", "Williams", "Brown", "Nguyen", "Lee"} <= top
    assert len(families) > 800
    assert len({c["given_name"] for c in citizens}) > 300
    assert any("'" in name for name in families)
    assert any("-" in name for name in families)


def test_names_have_the_long_tail_of_a_real_population() -> None:
    # Census and SSA frequencies (synthetic/data/): few namesakes, unlike a list of a thousand.
    citizens = _citizens(20_000)
    families = Counter(c["family_name"] for c in citizens)
    full_names = Counter((c["given_name"], c["family_name"]) for c in citizens)
    assert len(families) > 6_000
    assert sum(1 for n in full_names.values() if n == 1) / len(citizens) > 0.8
    namesakes = sum(n * (n - 1) for n in full_names.values()) / len(citizens)
    assert namesakes < 1.0


# --- uniqueness ----------------------------------------------------------------------------


def test_emails_unique_and_on_reserved_domains() -> None:
    emails = [p["value"] for c in _citizens() for p in c["contact_points"] if p["kind"] == "email"]
    assert len({e.lower() for e in emails}) == len(emails)
    for email in emails:
        local, _, domain = email.partition("@")
        assert domain in EMAIL_DOMAINS
        assert re.fullmatch(r"[a-z0-9][a-z0-9._-]*[a-z0-9]", local), email
        assert ".." not in local


def test_emails_unique_even_when_names_collide() -> None:
    # Small name pools collide a lot in a large run; every address must still be unique.
    emails = [
        p["value"]
        for c in _citizens(30_000, seed=3)
        for p in c["contact_points"]
        if p["kind"] == "email"
    ]
    assert len(set(emails)) == len(emails)


def test_identifiers_unique_per_system() -> None:
    by_system: dict[str, list[str]] = {}
    for citizen in _citizens():
        systems = [i["system"] for i in citizen["identifiers"]]
        assert len(systems) == len(set(systems))
        for identifier in citizen["identifiers"]:
            assert re.fullmatch(IDENTIFIER_FORMATS[identifier["system"]], identifier["value"])
            by_system.setdefault(identifier["system"], []).append(identifier["value"])
    assert set(by_system) == set(IDENTIFIER_FORMATS)
    for values in by_system.values():
        assert len(values) == len(set(values))


# --- phones --------------------------------------------------------------------------------


def test_phones_valid_for_au() -> None:
    kinds: Counter[int] = Counter()
    for citizen in _citizens():
        for point in citizen["contact_points"]:
            if point["kind"] != "phone":
                continue
            number = phonenumbers.parse(point["value"], "AU")
            assert phonenumbers.is_valid_number_for_region(number, "AU"), point["value"]
            kinds[phonenumbers.number_type(number)] += 1
    mobile, fixed = phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE
    assert kinds[mobile] > kinds[fixed] > 0


def test_phone_formats_vary() -> None:
    phones = [p["value"] for c in _citizens() for p in c["contact_points"] if p["kind"] == "phone"]
    patterns = {
        r"04\d{2} \d{3} \d{3}",
        r"\+61 4\d{2} \d{3} \d{3}",
        r"\(0[2378]\) \d{4} \d{4}",
        r"0[2378] \d{4} \d{4}",
    }
    for pattern in patterns:
        assert any(re.fullmatch(pattern, phone) for phone in phones), pattern


# --- typos ---------------------------------------------------------------------------------


def test_make_typo_is_one_edit_and_keeps_first_letter() -> None:
    rng = random.Random(1)
    names = NAMES + [c["family_name"] for c in _citizens()[:500]]
    names += [c["given_name"] for c in _citizens()[:500]]
    for name in names:
        if len(name) < 3:
            continue
        for _ in range(20):
            typo = make_typo(name, rng)
            assert typo[0] == name[0], (name, typo)
            assert _is_one_typo(name, typo), (name, typo)


def test_make_typo_uses_every_kind_of_typo() -> None:
    rng = random.Random(2)
    typos = {make_typo("Stephenson", rng) for _ in range(500)}
    assert any(len(t) == 9 for t in typos)  # deletion
    assert any(len(t) == 11 for t in typos)  # insertion
    assert "Stefenson" in typos  # phonetic ph -> f
    assert any(len(t) == 10 and sorted(t) == sorted("Stephenson") for t in typos)  # transposed
    assert any(len(t) == 10 and sorted(t) != sorted("Stephenson") for t in typos)  # substituted


def test_make_typo_short_strings_unchanged() -> None:
    rng = random.Random(3)
    for text in ("", "A", "Li", "Wu", "Bo"):
        assert make_typo(text, rng) == text


def test_make_typo_deterministic() -> None:
    assert [make_typo(n, random.Random(9)) for n in NAMES] == [
        make_typo(n, random.Random(9)) for n in NAMES
    ]


def test_typo_query() -> None:
    for index, citizen in enumerate(_citizens()[:300]):
        query = typo_query(citizen, random.Random(index))
        replay = random.Random(index)
        given = make_typo(citizen["given_name"], replay)
        family = make_typo(citizen["family_name"], replay)
        assert query == f"{given} {family}"
        assert query[0] == citizen["given_name"][0]
        for original, typo in ((citizen["given_name"], given), (citizen["family_name"], family)):
            if len(original) >= 3:
                assert _is_one_typo(original, typo)
            else:
                assert typo == original
