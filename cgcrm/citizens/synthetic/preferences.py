"""Contact-channel, language and accessibility preferences of synthetic citizens."""

from __future__ import annotations

import random
from typing import Any

from cgcrm.citizens.synthetic.base import Weighted
from cgcrm.citizens.synthetic.people import LANGUAGES

# Preferred contact channel by age band (None means "no preference recorded").
_CHANNELS_YOUNG: Weighted[str | None] = Weighted(
    [(None, 30), ("web", 24), ("mobile_app", 16), ("email", 18), ("phone", 8), ("counter", 4)]
)
_CHANNELS_MIDDLE: Weighted[str | None] = Weighted(
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
_CHANNELS_OLDER: Weighted[str | None] = Weighted(
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


def preferences(rng: random.Random, group: str, age: int, native_given: bool) -> dict[str, Any]:
    """Preferred channel (by age band), language (by group) and accessibility needs."""
    rand = rng.random
    if age < 30:
        channel = _CHANNELS_YOUNG.pick(rand())
    elif age < 65:
        channel = _CHANNELS_MIDDLE.pick(rand())
    else:
        channel = _CHANNELS_OLDER.pick(rand())
    language = LANGUAGES[group].pick(rand())
    if native_given and language == "en" and age >= 65 and rand() < 0.4:
        language = LANGUAGES[group].items[1]
    needs: list[str] = []
    if language != "en" and rand() < 0.35:
        needs.append("interpreter")
    need_p = 0.04 if age < 65 else (0.12 if age < 80 else 0.3)
    if rand() < need_p:
        pool = _ACCESS_OLDER if age >= 65 else _ACCESS_GENERAL
        need = pool[int(rand() * len(pool))]
        if need not in needs:
            needs.append(need)
    return {
        "preferred_channel": channel,
        "language": language,
        "accessibility_needs": needs,
    }
