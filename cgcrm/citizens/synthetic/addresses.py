"""Current and previous residential addresses of synthetic citizens."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from cgcrm.citizens.synthetic import data_places
from cgcrm.citizens.synthetic.base import DAYS_PER_YEAR, REF_ORDINAL, Weighted, parse_colon_pairs

STATES: Weighted[str] = Weighted(list(data_places.STATE_SHARES.items()))
LOCALITIES: dict[str, tuple[tuple[str, str], ...]] = {
    state: tuple(
        (name.replace("_", " "), postcode)
        for name, _, postcode in (token.rpartition(":") for token in text.split())
    )
    for state, text in data_places.LOCALITIES.items()
}
STREET_NAMES: tuple[str, ...] = tuple(dict.fromkeys(data_places.STREET_NAMES.split()))
STREET_TYPES: Weighted[str] = Weighted(parse_colon_pairs(data_places.STREET_TYPES))


def addresses(
    rng: random.Random, state: str, age: int, dob_ordinal: int
) -> tuple[list[dict[str, Any]], bool]:
    """Current address (and sometimes a previous one). Also returns whether an adult."""
    rand = rng.random
    adult = age >= 18
    earliest = dob_ordinal + int(18 * DAYS_PER_YEAR) if adult else dob_ordinal
    earliest = max(earliest, REF_ORDINAL - int(40 * DAYS_PER_YEAR))
    latest = REF_ORDINAL - 7
    span = latest - earliest
    # Moves skew recent; a newborn has been at the address since birth.
    current_from = dob_ordinal if span <= 0 else latest - int((rand() ** 1.8) * span)
    current = address(rng, state, current_from, None)
    if rand() >= 0.2:
        return [current], adult
    previous_to = current_from - 1
    room = previous_to - max(earliest, dob_ordinal)
    if room < 60:
        return [current], adult
    previous_from = previous_to - 30 - int(rand() * min(room - 30, int(15 * DAYS_PER_YEAR)))
    previous_state = state if rand() < 0.75 else STATES.pick(rand())
    previous = address(rng, previous_state, previous_from, previous_to)
    return [current, previous], adult


def address(
    rng: random.Random, state: str, valid_from: int, valid_to: int | None
) -> dict[str, Any]:
    rand = rng.random
    localities = LOCALITIES[state]
    locality, postcode = localities[int(rand() * len(localities))]
    number = 1 + int(rand() ** 1.6 * 240)
    street_name = STREET_NAMES[int(rand() * len(STREET_NAMES))]
    street = f"{number} {street_name} {STREET_TYPES.pick(rand())}"
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
