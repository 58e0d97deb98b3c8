"""Realistic one-keystroke typos, as a front-office operator might make them in a search."""

from __future__ import annotations

import random
import unicodedata
from typing import Any

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
