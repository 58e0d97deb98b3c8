"""Graded comparisons of two people's features, field by field.

Each comparison answers a level, from the strongest agreement to ``different``, or None when
either side lacks the field (a missing value is no evidence either way). The levels of each
field, in order, are declared in ``LEVELS``; the model (``cgcrm.matching.model``) holds an m and
a u probability for every one of them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from datetime import date

from rapidfuzz.distance import OSA, JaroWinkler

from cgcrm.matching import sealed
from cgcrm.matching.normalise import AddressForm, Features, NameForm, nickname_groups

LEVELS: dict[str, tuple[str, ...]] = {
    "given_name": ("exact", "nickname", "jw_high", "jw_mid", "initial", "different"),
    "family_name": ("exact", "part", "jw_high", "jw_mid", "different"),
    "date_of_birth": ("exact", "transposed", "one_digit", "year", "different"),
    "address": ("exact", "street", "postcode", "locality", "different"),
    "email": ("exact", "similar", "different"),
    "phone": ("exact", "similar", "different"),
    "identifier": ("exact", "similar", "different"),
}
FIELDS = tuple(LEVELS)
JW_HIGH = 0.92
JW_MID = 0.80
STREET_SIMILAR = 0.88
# Name lengths from which one edit counts as a high similarity, and two as a mid one.
TYPO_HIGH_LENGTH = 5
TWO_TYPOS_LENGTH = 8
# Identifiers from this length on are "similar" one keying error apart: shorter codes have too
# few possible values for a neighbour to be rare (a 4-digit one has 39 of its length in 10,000).
SIMILAR_IDENTIFIER_LENGTH = 6
# Dates of birth further apart than this many edits of the written date, and at least
# GENERATION_DAYS apart, are two people's, not one person's mistyped (a parent and a child of
# one name at one address). Nearer dates with more edits are one person's date written wrongly
# (the registration date, a guess, the day of an earlier year): they disagree, nothing more.
DOB_TYPOS = 2
GENERATION_DAYS = 12 * 365
# Dates of birth less than this far apart agree in part (``year``) even across a new year:
# 30 December 2003 and 25 January 2004 are a month apart, not a generation.
NEAR_DAYS = 365


def _jw(a: str, b: str) -> float:
    return JaroWinkler.normalized_similarity(a, b)


def compare_given(a: NameForm, b: NameForm) -> str | None:
    if not a.given or not b.given:
        return None
    if a.given == b.given or a.first_given == b.first_given:
        return "exact"
    first_a, first_b = a.first_given, b.first_given
    if len(first_a) == 1 or len(first_b) == 1:
        return "initial" if first_a[0] == first_b[0] else "different"
    groups = nickname_groups()
    if groups.get(first_a, frozenset()) & groups.get(first_b, frozenset()):
        return "nickname"
    similarity = max(_jw(a.given, b.given), _jw(first_a, first_b))
    if similarity >= JW_HIGH:
        return "jw_high"
    typos = OSA.distance(first_a, first_b, score_cutoff=2)
    shorter = min(len(first_a), len(first_b))
    # One mistyped, missing or swapped letter: Jaro-Winkler marks a letter early in the name
    # hard ("Mykayla", "Mikayla": 0.91); in a name of five letters or more it is the same
    # agreement as a high similarity.
    if typos <= 1 and shorter >= TYPO_HIGH_LENGTH:
        return "jw_high"
    if similarity >= JW_MID or (a.given_sound and a.given_sound == b.given_sound):
        return "jw_mid"
    # "Mary Anne" and "Anne": the name a person goes by is often their second.
    if set(a.given_words) & set(b.given_words):
        return "nickname"
    # Short names a typo apart ("Ivy", "Igy") are weak evidence either way, not "different":
    # ``different`` is what the household rule of scoring reads as two people.
    if typos <= 1 or (typos <= 2 and shorter >= TWO_TYPOS_LENGTH):
        return "jw_mid"
    return "different"


def compare_family(a: NameForm, b: NameForm) -> str | None:
    if not a.family or not b.family:
        return None
    if a.family == b.family:
        return "exact"
    # Hyphenated and multi-part names: "Smith-Jones" and "Smith", "de la Cruz" and "Cruz".
    if set(a.family_words) & set(b.family_words):
        return "part"
    similarity = _jw(a.family, b.family)
    if similarity >= JW_HIGH:
        return "jw_high"
    # One letter mistyped in a name of five or more, as for given names ("Solis", "Solls").
    shorter = min(len(a.family), len(b.family))
    if shorter >= TYPO_HIGH_LENGTH and OSA.distance(a.family, b.family, score_cutoff=1) <= 1:
        return "jw_high"
    if similarity >= JW_MID or (a.family_sound and a.family_sound == b.family_sound):
        return "jw_mid"
    if a.family in b.family or b.family in a.family:
        return "part"
    return "different"


# A row's candidates share its blocks, so the same two names meet again and again (in a batch,
# and as each candidate's names against each of the row's): the levels of a pair of given names
# (of family names) depend on their own parts only, so each pair is compared once. Bounded:
# past the limit the memory starts again.
_LEVELS_REMEMBERED = 50_000
_given_levels: dict[tuple[str, tuple[str, ...], str, str, tuple[str, ...], str], str | None] = {}
_family_levels: dict[tuple[str, tuple[str, ...], str, str, tuple[str, ...], str], str | None] = {}
_UNSEEN = "unseen"


def _remembered(
    memory: dict[tuple[str, tuple[str, ...], str, str, tuple[str, ...], str], str | None],
    key: tuple[str, tuple[str, ...], str, str, tuple[str, ...], str],
    compare: Callable[[NameForm, NameForm], str | None],
    a: NameForm,
    b: NameForm,
) -> str | None:
    level = memory.get(key, _UNSEEN)
    if level is _UNSEEN:
        if len(memory) >= _LEVELS_REMEMBERED:
            memory.clear()
        level = memory[key] = compare(a, b)
    return level


def _given_level(a: NameForm, b: NameForm) -> str | None:
    """``compare_given(a, b)``, remembered."""
    if a.given and a.given == b.given:
        return "exact"
    key = (a.given, a.given_words, a.given_sound, b.given, b.given_words, b.given_sound)
    return _remembered(_given_levels, key, compare_given, a, b)


def _family_level(a: NameForm, b: NameForm) -> str | None:
    """``compare_family(a, b)``, remembered."""
    if a.family and a.family == b.family:
        return "exact"
    key = (a.family, a.family_words, a.family_sound, b.family, b.family_words, b.family_sound)
    return _remembered(_family_levels, key, compare_family, a, b)


# A row's names are read the other way round against each of its candidates: the forms are
# immutable, so each is turned once.
@functools.lru_cache(maxsize=65_536)
def swapped(form: NameForm) -> NameForm:
    """The name read the other way round ("Smith John", as said at a counter)."""
    first_family = form.family_words[0] if form.family_words else form.family
    return NameForm(
        form.family,
        form.given,
        form.family_words,
        form.given_words,
        form.kind,
        # The family key's sound stands for the first word's: close enough for a swap.
        form.family_sound if first_family == form.family else "",
        form.given_sound if len(form.given_words) <= 1 else "",
    )


def name_pairings(
    a: Features, b: Features
) -> Iterator[tuple[str | None, str | None, bool, NameForm]]:
    """(given level, family level, swapped, ``a``'s name as compared) for every pairing of the two
    people's names, each in both orders; the model keeps the pairing that weighs most."""
    seen: set[tuple[str | None, str | None, bool]] = set()
    for name_a in a.names:
        for name_b in b.names:
            levels = (_given_level(name_a, name_b), _family_level(name_a, name_b), False)
            if levels not in seen:
                seen.add(levels)
                yield levels[0], levels[1], False, name_a
            if levels[:2] == ("exact", "exact"):
                continue  # read the other way round it cannot agree more
            left = swapped(name_a)
            levels = (_given_level(left, name_b), _family_level(left, name_b), True)
            if levels not in seen:
                seen.add(levels)
                yield levels[0], levels[1], True, left


# Dates of birth repeat (a row's against each of its candidates'): each is written once.
@functools.lru_cache(maxsize=65_536)
def _written(value: date) -> str:
    return value.strftime("%Y%m%d")


def _one_digit_apart(a: date, b: date) -> bool:
    """One digit mistyped, or two neighbouring digits swapped, in the written date."""
    return OSA.distance(_written(a), _written(b)) == 1


def dobs_far_apart(a: date | None, b: date | None) -> bool:
    """Both known and too different to be one date mistyped: more than ``DOB_TYPOS`` edits of
    the written date, and ``GENERATION_DAYS`` or more apart."""
    if a is None or b is None or abs((a - b).days) < GENERATION_DAYS:
        return False
    return OSA.distance(_written(a), _written(b), score_cutoff=DOB_TYPOS + 1) > DOB_TYPOS


def compare_dob(a: date | None, b: date | None) -> str | None:
    if a is None or b is None:
        return None
    if a == b:
        return "exact"
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return "transposed"
    if _one_digit_apart(a, b):
        return "one_digit"
    if a.year == b.year or abs((a - b).days) < NEAR_DAYS:
        return "year"
    return "different"


def _compare_address(a: AddressForm, b: AddressForm) -> str:
    same_postcode = bool(a.postcode) and a.postcode == b.postcode
    same_place = same_postcode or (bool(a.locality) and a.locality == b.locality)
    if a.line and a.line == b.line and (same_place or not (a.postcode and b.postcode)):
        return "exact"
    if (
        a.number
        and a.number == b.number
        and a.street
        and b.street
        and _jw(a.street, b.street) >= STREET_SIMILAR
    ):
        return "street"
    if same_postcode:
        return "postcode"
    if bool(a.locality) and a.locality == b.locality:
        return "locality"
    return "different"


_ADDRESS_RANK = {level: rank for rank, level in enumerate(LEVELS["address"])}


def compare_addresses(a: Features, b: Features) -> str | None:
    """The best agreement between any address of one and any of the other (people move)."""
    if not a.addresses or not b.addresses:
        return None
    order = LEVELS["address"]
    best = len(order) - 1
    for address_a in a.addresses:
        for address_b in b.addresses:
            best = min(best, _ADDRESS_RANK[_compare_address(address_a, address_b)])
            if best == 0:
                return order[0]
    return order[best]


def _untagged(emails: frozenset[str]) -> set[str]:
    """Addresses without their sub-address tag: "leah+crm@x.org" reaches the mailbox of
    "leah@x.org" (the plus tag of RFC 5233, which the big providers honour)."""
    found = set()
    for email in emails:
        local, _, domain = email.partition("@")
        found.add(f"{local.partition('+')[0]}@{domain}")
    return found


# A row's emails meet each of its candidates': each set's forms are worked out once.
@functools.lru_cache(maxsize=65_536)
def _email_forms(emails: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The addresses without their tags (``_untagged``), and their local parts."""
    return frozenset(_untagged(emails)), frozenset(email.partition("@")[0] for email in emails)


def compare_emails(a: frozenset[str], b: frozenset[str]) -> str | None:
    if not a or not b:
        return None
    if a & b:
        return "exact"
    (untagged_a, locals_a), (untagged_b, locals_b) = _email_forms(a), _email_forms(b)
    if untagged_a & untagged_b:
        return "exact"
    if locals_a & locals_b:
        return "similar"
    # One mistyped, missing or swapped character; not a mere resemblance, since addresses
    # built from a name (john.smith.1@, john.smith.2@) resemble each other by design.
    if any(OSA.distance(x, y, score_cutoff=1) <= 1 for x in a for y in b):
        return "similar"
    return "different"


def compare_phones(a: frozenset[str], b: frozenset[str]) -> str | None:
    if not a or not b:
        return None
    if a & b:
        return "exact"
    for x in a:
        for y in b:
            # The same subscriber number written with or without its country or trunk prefix,
            # or one digit mistyped.
            if x[-8:] == y[-8:] or (len(x) == len(y) and OSA.distance(x, y) == 1):
                return "similar"
    return "different"


def _readable(features: Features, systems: set[str]) -> list[tuple[str, str]]:
    texts = [(system, text) for system, text in features.identifier_texts if system in systems]
    for system, token in features.sealed_identifiers:
        if system in systems:
            text = sealed.opened(token)
            if text:
                texts.append((system, text))
    return texts


def compare_identifiers(a: Features, b: Features) -> str | None:
    """Exact when a system's values agree; similar when they are one keying error apart (a
    character mistyped, dropped or added, or two neighbours swapped) and long enough that
    such a neighbour is rarely another person's; different when one system holds two values
    otherwise; None when the two people share no system (a value of another system is no
    evidence)."""
    if not a.identifiers or not b.identifiers:
        return None
    if a.identifiers & b.identifiers:
        return "exact"
    shared = {system for system, _ in a.identifiers} & {system for system, _ in b.identifiers}
    if not shared:
        return None
    texts_b = _readable(b, shared)
    for system, value in _readable(a, shared) if texts_b else ():
        for other_system, other in texts_b:
            if (
                other_system == system
                and min(len(value), len(other)) >= SIMILAR_IDENTIFIER_LENGTH
                and OSA.distance(value, other, score_cutoff=1) <= 1
            ):
                return "similar"
    return "different"
