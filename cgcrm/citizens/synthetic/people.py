"""Names, ages and name histories of synthetic citizens."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from cgcrm.citizens.synthetic import data_given, data_names
from cgcrm.citizens.synthetic.base import (
    DAYS_PER_YEAR,
    REF_ORDINAL,
    Weighted,
    parse_colon_pairs,
    parse_tiers,
    slug,
)
from cgcrm.citizens.synthetic.names_data import census_family_names, ssa_given_names

GROUPS: Weighted[str] = Weighted(list(data_names.GROUP_SHARES.items()))
FAMILY: dict[str, Weighted[str]] = {
    "anglo": census_family_names(),
    **{group: Weighted(parse_tiers(text)) for group, text in data_names.FAMILY_NAMES.items()},
}
ERAS: tuple[str, str, str] = ("older", "middle", "young")
ANGLO_GIVEN: dict[tuple[str, str], Weighted[str]] = ssa_given_names()
# Share of the "anglo" group with a double-barrelled family name (Smith-Jones).
DOUBLE_BARRELLED = 0.015
GROUP_GIVEN: dict[tuple[str, str], Weighted[str]] = {
    (group, sex): Weighted(parse_tiers(text))
    for group, by_sex in data_given.GROUP_GIVEN.items()
    for sex, text in by_sex.items()
}
NICKNAMES: dict[str, tuple[str, ...]] = {
    name: tuple(nicks.split()) for name, nicks in data_given.NICKNAMES.items()
}
VIETNAMESE_MIDDLE: dict[str, tuple[str, ...]] = {
    sex: tuple(names.split()) for sex, names in data_given.VIETNAMESE_MIDDLE.items()
}
INDIAN_MIDDLE: dict[str, tuple[str, ...]] = {
    "M": ("Kumar", "Singh", "Prasad", "Lal"),
    "F": ("Kaur", "Devi", "Kumari", "Rani"),
}
LANGUAGES: dict[str, Weighted[str]] = {
    group: Weighted(parse_colon_pairs(text)) for group, text in data_names.GROUP_LANGUAGES.items()
}

# Slugs of the hand-listed names, precomputed; the Census and SSA names (a quarter of a million)
# are added as they are first drawn (contacts.py).
SLUGS: dict[str, str] = {}
for _key, _table in (*FAMILY.items(), *GROUP_GIVEN.items()):
    if _key == "anglo":
        continue
    for _name in _table.items:
        SLUGS[_name] = slug(_name)
for _nicks in NICKNAMES.values():
    for _name in _nicks:
        SLUGS[_name] = slug(_name)
del _key, _table, _name, _nicks


def family_name(rng: random.Random, group: str, table: Weighted[str]) -> str:
    """A family name of the group's table; a few "anglo" ones are double-barrelled."""
    family = table.pick(rng.random())
    if group == "anglo" and rng.random() < DOUBLE_BARRELLED:
        second = table.pick(rng.random())
        if second != family:
            return f"{family}-{second}"
    return family


def age_weight(age: int) -> float:
    """Relative frequency of an age among the CRM's citizens (mostly adults)."""
    if age < 18:
        return 0.45
    if age < 60:
        return 1.0
    if age < 70:
        return 1.0 - (age - 60) * 0.02
    if age < 80:
        return 0.78 - (age - 70) * 0.035
    if age < 90:
        return 0.42 - (age - 80) * 0.032
    return max(0.1 - (age - 90) * 0.009, 0.004)


AGES: Weighted[int] = Weighted([(age, age_weight(age)) for age in range(101)])


def middle_names(
    rng: random.Random,
    group: str,
    sex: str,
    era: str,
    given: str,
    native_given: bool,
    family_table: Weighted[str],
) -> str | None:
    rand = rng.random
    if not native_given:
        if rand() >= 0.62:
            return None
        table = ANGLO_GIVEN[(era, sex)]
        first = table.pick(rand())
        if first == given:
            first = ANGLO_GIVEN[("older", sex)].pick(rand())
            if first == given:
                return None
        if rand() < 0.05:
            second = table.pick(rand())
            if second not in (first, given):
                return f"{first} {second}"
        return first
    if group == "vietnamese":
        if rand() < (0.7 if sex == "F" else 0.5):
            options = VIETNAMESE_MIDDLE[sex]
            return options[int(rand() * len(options))]
        return None
    if group == "filipino":
        # Filipino convention: the mother's maiden family name as middle name.
        return family_table.pick(rand()) if rand() < 0.65 else None
    if group == "indian":
        if rand() < 0.25:
            options = INDIAN_MIDDLE[sex]
            return options[int(rand() * len(options))]
        return None
    if group in ("chinese", "korean"):
        return None if rand() >= 0.05 else ANGLO_GIVEN[(era, sex)].pick(rand())
    if rand() < 0.45:
        middle = GROUP_GIVEN[(group, sex)].pick(rand())
        return middle if middle != given else None
    return None


def preferred_name(
    rng: random.Random,
    group: str,
    sex: str,
    given: str,
    middle: str | None,
    native_given: bool,
) -> str | None:
    rand = rng.random
    nicks = NICKNAMES.get(given)
    if nicks is not None:
        if rand() < 0.24:
            return nicks[int(rand() * len(nicks))]
        return None
    if native_given and group in data_given.ENGLISH_PREFERRED_GROUPS:
        if rand() < 0.4:
            english = ANGLO_GIVEN[("middle" if rand() < 0.5 else "young", sex)].pick(rand())
            return english if english != given else None
        return None
    if middle is not None and rand() < 0.03:
        return middle.split()[0]
    return None


def previous_names(
    rng: random.Random,
    sex: str,
    age: int,
    given: str,
    family: str,
    family_table: Weighted[str],
    dob_ordinal: int,
) -> list[dict[str, Any]]:
    """A maiden name for some married women (empty list otherwise)."""
    rand = rng.random
    previous: list[dict[str, Any]] = []
    if sex == "F" and age >= 20 and rand() < 0.19:
        maiden = family_table.pick(rand()) if rand() < 0.9 else FAMILY["anglo"].pick(rand())
        if maiden != family:
            earliest = dob_ordinal + int(20 * DAYS_PER_YEAR)
            married = earliest + int(rand() * 20 * DAYS_PER_YEAR)
            married = min(married, REF_ORDINAL - 30)
            previous.append(
                {
                    "given_name": given,
                    "family_name": maiden,
                    "valid_from": None,
                    "valid_to": date.fromordinal(married).isoformat(),
                }
            )
    return previous
