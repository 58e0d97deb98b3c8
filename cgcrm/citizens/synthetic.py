"""Deterministic generator of realistic synthetic Australian citizens.

Used by the demo seed (a few hundred citizens) and by the search benchmark (a million citizens
plus typo'd queries). Everything is derived from ``random.Random(seed)``: the same ``seed``
always yields the same citizens, and the first ``n`` citizens of a larger run are the same as
a run of ``n`` (the output does not depend on ``count``).

All data is fictitious: emails use only reserved example domains, identifiers are derived from
the citizen's position in the stream, and dates are computed relative to a fixed reference
date (not today) so the output never changes over time.
"""

from __future__ import annotations

import random
import unicodedata
from bisect import bisect
from collections.abc import Iterator, Sequence
from datetime import date
from itertools import accumulate
from typing import Any, Generic, TypeVar

from cgcrm.citizens import synthetic_data as _data

__all__ = [
    "EMAIL_DOMAINS",
    "IDENTIFIER_SYSTEMS",
    "PHONETIC_SWAPS",
    "REFERENCE_DATE",
    "generate_citizens",
    "make_typo",
    "typo_query",
]

T = TypeVar("T")

# Dates of birth, address and name histories are computed relative to this fixed date.
REFERENCE_DATE = date(2025, 7, 1)

EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.net", "example.org", "mail.example")
IDENTIFIER_SYSTEMS: tuple[str, ...] = ("RATES_ACCOUNT", "LIBRARY_CARD", "DRIVER_LICENCE")

# Phonetic misspellings (lower case): ``pattern`` may be replaced by ``replacement`` anywhere
# except at the start of a word part. Doubling / undoubling a letter is handled separately.
PHONETIC_SWAPS: tuple[tuple[str, str], ...] = (
    ("ph", "f"),
    ("f", "ph"),
    ("y", "i"),
    ("i", "y"),
    ("ck", "k"),
    ("c", "k"),
    ("k", "c"),
    ("s", "z"),
    ("z", "s"),
    ("ee", "ea"),
    ("ea", "ee"),
    ("ie", "y"),
    ("th", "t"),
    ("x", "ks"),
    ("ks", "x"),
    ("ou", "ow"),
    ("ae", "e"),
    ("v", "w"),
)

_KEYBOARD_NEIGHBOURS: dict[str, str] = {
    "q": "wa",
    "w": "qeas",
    "e": "wrsd",
    "r": "etdf",
    "t": "ryfg",
    "y": "tugh",
    "u": "yihj",
    "i": "uojk",
    "o": "ipkl",
    "p": "ol",
    "a": "qwsz",
    "s": "awedxz",
    "d": "serfcx",
    "f": "drtgvc",
    "g": "ftyhbv",
    "h": "gyujnb",
    "j": "huikmn",
    "k": "jiolm",
    "l": "kop",
    "z": "asx",
    "x": "zsdc",
    "c": "xdfv",
    "v": "cfgb",
    "b": "vghn",
    "n": "bhjm",
    "m": "njk",
}


# ---------------------------------------------------------------------------------------
# Weighted sampling tables
# ---------------------------------------------------------------------------------------


class _Weighted(Generic[T]):
    """Items with cumulative weights; ``pick(u)`` maps a uniform ``u`` in [0, 1) to an item."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        if not pairs:
            raise ValueError("empty weighted table")
        self.items: tuple[T, ...] = tuple(item for item, _ in pairs)
        cum = list(accumulate(weight for _, weight in pairs))
        self.total: float = cum[-1]
        cum[-1] = float("inf")  # guards against u * total rounding up to total
        self.cum: list[float] = cum

    def pick(self, u: float) -> T:
        return self.items[bisect(self.cum, u * self.total)]


def _parse_tiers(text: str) -> list[tuple[str, float]]:
    """Parse ``<weight> Name Name ...`` lines; ``_`` stands for a space. Duplicates merge."""
    weights: dict[str, float] = {}
    for line in text.strip().splitlines():
        parts = line.split()
        if not parts:
            continue
        weight = float(parts[0])
        for raw in parts[1:]:
            name = raw.replace("_", " ")
            weights[name] = weights.get(name, 0.0) + weight
    return list(weights.items())


def _parse_colon_pairs(text: str) -> list[tuple[str, float]]:
    pairs: list[tuple[str, float]] = []
    for token in text.split():
        key, _, weight = token.rpartition(":")
        pairs.append((key, float(weight)))
    return pairs


def _slug(name: str) -> str:
    """ASCII lower-case form of a name for use in an email local part."""
    decomposed = unicodedata.normalize("NFKD", name.lower())
    kept = "".join(ch for ch in decomposed if ("a" <= ch <= "z") or ("0" <= ch <= "9") or ch == "-")
    return kept.strip("-") or "user"


_GROUPS: _Weighted[str] = _Weighted(list(_data.GROUP_SHARES.items()))
_FAMILY: dict[str, _Weighted[str]] = {
    group: _Weighted(_parse_tiers(text)) for group, text in _data.FAMILY_NAMES.items()
}
_ERAS: tuple[str, str, str] = ("older", "middle", "young")
_ANGLO_GIVEN: dict[tuple[str, str], _Weighted[str]] = {
    (era, sex): _Weighted(_parse_tiers(text))
    for era, by_sex in _data.ANGLO_GIVEN.items()
    for sex, text in by_sex.items()
}
_GROUP_GIVEN: dict[tuple[str, str], _Weighted[str]] = {
    (group, sex): _Weighted(_parse_tiers(text))
    for group, by_sex in _data.GROUP_GIVEN.items()
    for sex, text in by_sex.items()
}
_NICKNAMES: dict[str, tuple[str, ...]] = {
    name: tuple(nicks.split()) for name, nicks in _data.NICKNAMES.items()
}
_VIETNAMESE_MIDDLE: dict[str, tuple[str, ...]] = {
    sex: tuple(names.split()) for sex, names in _data.VIETNAMESE_MIDDLE.items()
}
_INDIAN_MIDDLE: dict[str, tuple[str, ...]] = {
    "M": ("Kumar", "Singh", "Prasad", "Lal"),
    "F": ("Kaur", "Devi", "Kumari", "Rani"),
}
_LANGUAGES: dict[str, _Weighted[str]] = {
    group: _Weighted(_parse_colon_pairs(text)) for group, text in _data.GROUP_LANGUAGES.items()
}
_STATES: _Weighted[str] = _Weighted(list(_data.STATE_SHARES.items()))
_LOCALITIES: dict[str, tuple[tuple[str, str], ...]] = {
    state: tuple(
        (name.replace("_", " "), postcode)
        for name, _, postcode in (token.rpartition(":") for token in text.split())
    )
    for state, text in _data.LOCALITIES.items()
}
_STREET_NAMES: tuple[str, ...] = tuple(dict.fromkeys(_data.STREET_NAMES.split()))
_STREET_TYPES: _Weighted[str] = _Weighted(_parse_colon_pairs(_data.STREET_TYPES))
_MOBILE_PREFIXES: tuple[str, ...] = tuple(_data.MOBILE_PREFIXES.split())
_LANDLINE_PREFIXES: dict[str, tuple[str, ...]] = {
    state: tuple(prefixes.split()) for state, prefixes in _data.LANDLINE_PREFIXES.items()
}

# Slugs of every known name, precomputed (names outside the tables fall back to _slug()).
_SLUGS: dict[str, str] = {}
for _table in (*_FAMILY.values(), *_ANGLO_GIVEN.values(), *_GROUP_GIVEN.values()):
    for _name in _table.items:
        _SLUGS[_name] = _slug(_name)
for _nicks in _NICKNAMES.values():
    for _name in _nicks:
        _SLUGS[_name] = _slug(_name)
del _table, _name, _nicks


def _age_weight(age: int) -> float:
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


_AGES: _Weighted[int] = _Weighted([(age, _age_weight(age)) for age in range(101)])

# Preferred contact channel by age band (None means "no preference recorded").
_CHANNELS_YOUNG: _Weighted[str | None] = _Weighted(
    [(None, 30), ("web", 24), ("mobile_app", 16), ("email", 18), ("phone", 8), ("counter", 4)]
)
_CHANNELS_MIDDLE: _Weighted[str | None] = _Weighted(
    [
        (None, 33),
        ("web", 22),
        ("email", 17),
        ("phone", 15),
        ("mobile_app", 6),
        ("counter", 5),
        ("mail", 2),
    ]
)
_CHANNELS_OLDER: _Weighted[str | None] = _Weighted(
    [
        (None, 35),
        ("phone", 25),
        ("counter", 13),
        ("mail", 9),
        ("email", 9),
        ("web", 8),
        ("mobile_app", 1),
    ]
)
_ACCESS_GENERAL: tuple[str, ...] = ("wheelchair_access", "easy_read", "large_print")
_ACCESS_OLDER: tuple[str, ...] = (
    "large_print",
    "large_print",
    "hearing_loop",
    "hearing_loop",
    "wheelchair_access",
    "easy_read",
)
_EMAIL_DOMAINS: _Weighted[str] = _Weighted(
    [("example.com", 45), ("example.net", 25), ("example.org", 15), ("mail.example", 15)]
)

_DAYS_PER_YEAR = 365.2425
_REF_ORDINAL = REFERENCE_DATE.toordinal()
_REF_YEAR = REFERENCE_DATE.year

# Identifier numbering: affine permutations of the citizen index (unique within each system).
_RATES_MOD = 10_000_000
_RATES_MUL = 7_654_321  # coprime with 10**7
_LIBRARY_MOD = 1_000_000_000
_LIBRARY_MUL = 387_420_489  # 3**18, coprime with 10**9
_LICENCE_MOD = 990_000_000
_LICENCE_MUL = 48_271  # prime, coprime with 990_000_000 = 2**7 * 3**2 * 5**7 * 11


def _permute(index: int, modulus: int, multiplier: int, offset: int) -> int:
    """A bijection of the non-negative integers that scrambles each block of ``modulus``."""
    block, rest = divmod(index, modulus)
    return block * modulus + (rest * multiplier + offset) % modulus


# ---------------------------------------------------------------------------------------
# Citizens
# ---------------------------------------------------------------------------------------


def generate_citizens(count: int, seed: int = 42) -> Iterator[dict[str, Any]]:
    """Yield `count` citizen payloads, deterministic for a given seed."""
    if count < 0:
        raise ValueError("count must be >= 0")
    rng = random.Random(seed)
    rand = rng.random
    used_emails: set[str] = set()
    offsets = random.Random(f"cgcrm-identifiers-{seed}")
    rates_offset = offsets.randrange(_RATES_MOD)
    library_offset = offsets.randrange(_LIBRARY_MOD)
    licence_offset = offsets.randrange(_LICENCE_MOD)

    # Local aliases: this loop runs a million times in the benchmark.
    fromordinal = date.fromordinal
    ref_ordinal = _REF_ORDINAL
    days_per_year = _DAYS_PER_YEAR
    groups = _GROUPS
    family_tables = _FAMILY
    anglo_given = _ANGLO_GIVEN
    group_given = _GROUP_GIVEN
    anglo_probability = _data.ANGLO_GIVEN_PROBABILITY
    ages = _AGES
    languages = _LANGUAGES
    slugs = _SLUGS
    era_old, era_young = _data.ERA_BOUNDARIES

    for index in range(count):
        # --- who ---------------------------------------------------------------------
        sex = "F" if rand() < 0.51 else "M"
        age = ages.pick(rand())
        dob_ordinal = ref_ordinal - int((age + rand()) * days_per_year)
        birth_year = fromordinal(dob_ordinal).year
        era = "older" if birth_year < era_old else ("middle" if birth_year < era_young else "young")
        group = groups.pick(rand())

        native_given = group != "anglo" and rand() >= anglo_probability[group]
        given_table = group_given[(group, sex)] if native_given else anglo_given[(era, sex)]
        given = given_table.pick(rand())
        family_table = family_tables[group]
        family = family_table.pick(rand())

        middle = _middle_names(rng, group, sex, era, given, native_given, family_table)
        preferred = _preferred_name(rng, group, sex, given, middle, native_given)

        dob_known = rand() >= 0.03
        previous_names: list[dict[str, Any]] = []
        if sex == "F" and age >= 20 and rand() < 0.19:
            maiden = family_table.pick(rand()) if rand() < 0.9 else _FAMILY["anglo"].pick(rand())
            if maiden != family:
                earliest = dob_ordinal + int(20 * days_per_year)
                married = earliest + int(rand() * 20 * days_per_year)
                married = min(married, ref_ordinal - 30)
                previous_names.append(
                    {
                        "given_name": given,
                        "family_name": maiden,
                        "valid_from": None,
                        "valid_to": fromordinal(married).isoformat(),
                    }
                )

        # --- where -------------------------------------------------------------------
        state = _STATES.pick(rand())
        addresses, adult = _addresses(rng, state, age, dob_ordinal)

        # --- how to reach them -------------------------------------------------------
        contact_points: list[dict[str, Any]] = []
        email_p = 0.25 if age < 14 else (0.45 if age >= 80 else 0.765)
        if rand() < email_p:
            email_name = preferred if preferred is not None and rand() < 0.5 else given
            name_slug = slugs.get(email_name) or _slug(email_name)
            family_slug = slugs.get(family) or _slug(family)
            domain = _EMAIL_DOMAINS.pick(rand())
            local = _email_local(rng, name_slug, family_slug, birth_year)
            email = f"{local}@{domain}"
            if email in used_emails:
                # Natural local parts never end in ".<digits>", so this cannot collide.
                email = f"{local}.{index}@{domain}"
            else:
                used_emails.add(email)
            contact_points.append({"kind": "email", "value": email, "is_primary": True})

        phone_p = 0.5 if age < 14 else 0.88
        if rand() < phone_p:
            landline_first = rand() < (0.45 if age >= 70 else 0.12)
            second = rand() < 0.15
            if landline_first:
                contact_points.append(
                    {"kind": "phone", "value": _landline(rng, state), "is_primary": True}
                )
                if second:
                    contact_points.append({"kind": "phone", "value": _mobile(rng)})
            else:
                contact_points.append({"kind": "phone", "value": _mobile(rng), "is_primary": True})
                if second:
                    contact_points.append({"kind": "phone", "value": _landline(rng, state)})

        # --- identifiers -------------------------------------------------------------
        identifiers: list[dict[str, str]] = []
        if adult and rand() < 0.455:
            number = _permute(index, _RATES_MOD, _RATES_MUL, rates_offset)
            identifiers.append({"system": "RATES_ACCOUNT", "value": f"RA-{number:07d}"})
        if rand() < (0.5 if age < 18 else 0.27):
            number = _permute(index, _LIBRARY_MOD, _LIBRARY_MUL, library_offset)
            identifiers.append({"system": "LIBRARY_CARD", "value": f"LIB{number:09d}"})
        if age >= 17 and rand() < 0.285:
            number = 10_000_000 + _permute(index, _LICENCE_MOD, _LICENCE_MUL, licence_offset)
            identifiers.append({"system": "DRIVER_LICENCE", "value": str(number)})

        # --- preferences -------------------------------------------------------------
        if age < 30:
            channel = _CHANNELS_YOUNG.pick(rand())
        elif age < 65:
            channel = _CHANNELS_MIDDLE.pick(rand())
        else:
            channel = _CHANNELS_OLDER.pick(rand())
        language = languages[group].pick(rand())
        if native_given and language == "en" and age >= 65 and rand() < 0.4:
            language = languages[group].items[1]
        needs: list[str] = []
        if language != "en" and rand() < 0.35:
            needs.append("interpreter")
        need_p = 0.04 if age < 65 else (0.12 if age < 80 else 0.3)
        if rand() < need_p:
            pool = _ACCESS_OLDER if age >= 65 else _ACCESS_GENERAL
            need = pool[int(rand() * len(pool))]
            if need not in needs:
                needs.append(need)

        yield {
            "given_name": given,
            "middle_names": middle,
            "family_name": family,
            "preferred_name": preferred,
            "date_of_birth": fromordinal(dob_ordinal).isoformat() if dob_known else None,
            "previous_names": previous_names,
            "contact_points": contact_points,
            "addresses": addresses,
            "identifiers": identifiers,
            "preferences": {
                "preferred_channel": channel,
                "language": language,
                "accessibility_needs": needs,
            },
        }


def _middle_names(
    rng: random.Random,
    group: str,
    sex: str,
    era: str,
    given: str,
    native_given: bool,
    family_table: _Weighted[str],
) -> str | None:
    rand = rng.random
    if not native_given:
        if rand() >= 0.62:
            return None
        table = _ANGLO_GIVEN[(era, sex)]
        first = table.pick(rand())
        if first == given:
            first = _ANGLO_GIVEN[("older", sex)].pick(rand())
            if first == given:
                return None
        if rand() < 0.05:
            second = table.pick(rand())
            if second not in (first, given):
                return f"{first} {second}"
        return first
    if group == "vietnamese":
        if rand() < (0.7 if sex == "F" else 0.5):
            options = _VIETNAMESE_MIDDLE[sex]
            return options[int(rand() * len(options))]
        return None
    if group == "filipino":
        # Filipino convention: the mother's maiden family name as middle name.
        return family_table.pick(rand()) if rand() < 0.65 else None
    if group == "indian":
        if rand() < 0.25:
            options = _INDIAN_MIDDLE[sex]
            return options[int(rand() * len(options))]
        return None
    if group in ("chinese", "korean"):
        return None if rand() >= 0.05 else _ANGLO_GIVEN[(era, sex)].pick(rand())
    if rand() < 0.45:
        middle = _GROUP_GIVEN[(group, sex)].pick(rand())
        return middle if middle != given else None
    return None


def _preferred_name(
    rng: random.Random,
    group: str,
    sex: str,
    given: str,
    middle: str | None,
    native_given: bool,
) -> str | None:
    rand = rng.random
    nicks = _NICKNAMES.get(given)
    if nicks is not None:
        if rand() < 0.24:
            return nicks[int(rand() * len(nicks))]
        return None
    if native_given and group in _data.ENGLISH_PREFERRED_GROUPS:
        if rand() < 0.4:
            english = _ANGLO_GIVEN[("middle" if rand() < 0.5 else "young", sex)].pick(rand())
            return english if english != given else None
        return None
    if middle is not None and rand() < 0.03:
        return middle.split()[0]
    return None


def _addresses(
    rng: random.Random, state: str, age: int, dob_ordinal: int
) -> tuple[list[dict[str, Any]], bool]:
    """Current address (and sometimes a previous one). Also returns whether an adult."""
    rand = rng.random
    adult = age >= 18
    earliest = dob_ordinal + int(18 * _DAYS_PER_YEAR) if adult else dob_ordinal
    earliest = max(earliest, _REF_ORDINAL - int(40 * _DAYS_PER_YEAR))
    latest = _REF_ORDINAL - 7
    span = latest - earliest
    # Moves skew recent; a newborn has been at the address since birth.
    current_from = dob_ordinal if span <= 0 else latest - int((rand() ** 1.8) * span)
    current = _address(rng, state, current_from, None)
    if rand() >= 0.2:
        return [current], adult
    previous_to = current_from - 1
    room = previous_to - max(earliest, dob_ordinal)
    if room < 60:
        return [current], adult
    previous_from = previous_to - 30 - int(rand() * min(room - 30, int(15 * _DAYS_PER_YEAR)))
    previous_state = state if rand() < 0.75 else _STATES.pick(rand())
    previous = _address(rng, previous_state, previous_from, previous_to)
    return [current, previous], adult


def _address(
    rng: random.Random, state: str, valid_from: int, valid_to: int | None
) -> dict[str, Any]:
    rand = rng.random
    localities = _LOCALITIES[state]
    locality, postcode = localities[int(rand() * len(localities))]
    number = 1 + int(rand() ** 1.6 * 240)
    street_name = _STREET_NAMES[int(rand() * len(_STREET_NAMES))]
    street = f"{number} {street_name} {_STREET_TYPES.pick(rand())}"
    line2: str | None = None
    u = rand()
    if u < 0.09:
        street = f"{1 + int(rand() * 40)}/{street}"
    elif u < 0.12:
        line2 = f"Unit {1 + int(rand() * 30)}"
    elif u < 0.13:
        line2 = f"Level {1 + int(rand() * 20)}"
    return {
        "line1": street,
        "line2": line2,
        "locality": locality,
        "region": state,
        "postcode": postcode,
        "country": "AU",
        "valid_from": date.fromordinal(valid_from).isoformat(),
        "valid_to": date.fromordinal(valid_to).isoformat() if valid_to is not None else None,
    }


def _email_local(rng: random.Random, given: str, family: str, birth_year: int) -> str:
    """A natural email local part. Never ends in ``.<digits>`` (see the collision suffix)."""
    u = rng.random()
    if u < 0.30:
        return f"{given}.{family}"
    if u < 0.38:
        return f"{given}{family}"
    if u < 0.46:
        return f"{given[0]}{family}"
    if u < 0.52:
        return f"{given[0]}.{family}"
    if u < 0.66:
        return f"{given}.{family}{birth_year % 100:02d}"
    if u < 0.70:
        return f"{given}{birth_year % 100:02d}"
    if u < 0.75:
        return f"{given}_{family}"
    if u < 0.80:
        return f"{family}.{given}"
    if u < 0.84:
        return f"{given}.{family[0]}"
    if u < 0.97:
        return f"{given}{family}{1 + int(rng.random() * 999)}"
    return f"{family}{given[0]}"


def _mobile(rng: random.Random) -> str:
    rand = rng.random
    prefix = _MOBILE_PREFIXES[int(rand() * len(_MOBILE_PREFIXES))]
    digits = f"{int(rand() * 1_000_000):06d}"
    u = rand()
    if u < 0.60:
        return f"0{prefix} {digits[:3]} {digits[3:]}"
    if u < 0.75:
        return f"0{prefix}{digits}"
    if u < 0.95:
        return f"+61 {prefix} {digits[:3]} {digits[3:]}"
    return f"+61{prefix}{digits}"


def _landline(rng: random.Random, state: str) -> str:
    rand = rng.random
    prefixes = _LANDLINE_PREFIXES[state]
    prefix = prefixes[int(rand() * len(prefixes))]
    area = prefix[0]
    rest = 8 - (len(prefix) - 1)
    local = prefix[1:] + f"{int(rand() * 10**rest):0{rest}d}"
    u = rand()
    if u < 0.45:
        return f"(0{area}) {local[:4]} {local[4:]}"
    if u < 0.85:
        return f"0{area} {local[:4]} {local[4:]}"
    if u < 0.95:
        return f"+61 {area} {local[:4]} {local[4:]}"
    return f"0{area}{local}"


# ---------------------------------------------------------------------------------------
# Typos
# ---------------------------------------------------------------------------------------


def make_typo(text: str, rng: random.Random) -> str:
    """Return text with exactly one realistic typo.

    The typo is one of: substitution of a keyboard neighbour (or an accented letter typed
    plain), deletion, insertion, transposition of two adjacent letters, or a phonetic swap
    such as ph->f, y<->i, a double letter typed once or a single letter doubled (see
    ``PHONETIC_SWAPS``). The first character is never changed. Strings shorter than 3
    characters are returned unchanged.
    """
    if len(text) < 3:
        return text
    u = rng.random()
    result: str | None = None
    if u < 0.20:
        result = _typo_phonetic(text, rng)
    elif u < 0.50:
        result = _typo_substitute(text, rng)
    elif u < 0.65:
        result = _typo_transpose(text, rng)
    elif u < 0.80:
        result = _typo_insert(text, rng)
    return result if result is not None else _typo_delete(text, rng)


def typo_query(citizen: dict[str, Any], rng: random.Random) -> str:
    """A search string 'Given Family' for this citizen with one typo in each name part.

    As a front-office operator might type it: ``make_typo`` applied to the given name, then to
    the family name, drawing from ``rng`` in that order.
    """
    given = make_typo(str(citizen["given_name"]), rng)
    family = make_typo(str(citizen["family_name"]), rng)
    return f"{given} {family}"


def _match_case(replacement: str, original: str) -> str:
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _typo_delete(text: str, rng: random.Random) -> str:
    i = 1 + int(rng.random() * (len(text) - 1))
    return text[:i] + text[i + 1 :]


def _typo_substitute(text: str, rng: random.Random) -> str | None:
    positions = [i for i in range(1, len(text)) if text[i].isalpha()]
    if not positions:
        return None
    i = positions[int(rng.random() * len(positions))]
    ch = text[i]
    lower = ch.lower()
    neighbours = _KEYBOARD_NEIGHBOURS.get(lower)
    if neighbours is not None:
        new = neighbours[int(rng.random() * len(neighbours))]
    else:
        # An accented letter typed without its accent (é -> e).
        new = unicodedata.normalize("NFKD", lower)[:1]
        if not new or new == lower or not new.isascii():
            return None
    if ch.isupper():
        new = new.upper()
    return text[:i] + new + text[i + 1 :]


def _typo_transpose(text: str, rng: random.Random) -> str | None:
    positions = [i for i in range(1, len(text) - 1) if text[i] != text[i + 1]]
    if not positions:
        return None
    i = positions[int(rng.random() * len(positions))]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _typo_insert(text: str, rng: random.Random) -> str:
    i = 1 + int(rng.random() * len(text))  # insert before position i (i == len: append)
    before = text[i - 1]
    lower = before.lower()
    neighbours = _KEYBOARD_NEIGHBOURS.get(lower)
    if neighbours is None or rng.random() < 0.4:
        new = lower if before.isalpha() else "e"  # a doubled letter (or a stray 'e')
    else:
        new = neighbours[int(rng.random() * len(neighbours))]
    return text[:i] + new + text[i:]


def _typo_phonetic(text: str, rng: random.Random) -> str | None:
    lower = text.lower()
    candidates: list[tuple[int, int, str]] = []  # (start, length replaced, replacement)
    for pattern, replacement in PHONETIC_SWAPS:
        start = lower.find(pattern, 1)
        while start != -1:
            candidates.append((start, len(pattern), replacement))
            start = lower.find(pattern, start + 1)
    for i in range(1, len(text) - 1):
        ch = lower[i]
        if ch == lower[i + 1] and ch.isalpha():
            candidates.append((i, 2, ch))  # double letter typed once
    for i in range(1, len(text)):
        ch = lower[i]
        if (
            ch in "lmnprst"
            and lower[i - 1] != ch
            and (i + 1 == len(text) or lower[i + 1] != ch)
            and lower[i - 1] in "aeiou"
        ):
            candidates.append((i, 1, ch + ch))  # single letter doubled after a vowel
    if not candidates:
        return None
    start, length, replacement = candidates[int(rng.random() * len(candidates))]
    original = text[start : start + length]
    return text[:start] + _match_case(replacement, original) + text[start + length :]
