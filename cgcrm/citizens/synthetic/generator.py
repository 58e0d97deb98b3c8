"""The citizen stream: draws who, where, how to reach, identifiers and preferences in order."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from typing import Any

from cgcrm.citizens.synthetic import data_given, data_names
from cgcrm.citizens.synthetic.addresses import STATES, addresses
from cgcrm.citizens.synthetic.base import DAYS_PER_YEAR, REF_ORDINAL
from cgcrm.citizens.synthetic.contacts import contact_points
from cgcrm.citizens.synthetic.identifiers import identifier_offsets, identifiers
from cgcrm.citizens.synthetic.people import (
    AGES,
    ANGLO_GIVEN,
    FAMILY,
    GROUP_GIVEN,
    GROUPS,
    family_name,
    middle_names,
    preferred_name,
    previous_names,
)
from cgcrm.citizens.synthetic.preferences import preferences


def generate_citizens(count: int, seed: int = 42) -> Iterator[dict[str, Any]]:
    """Yield `count` citizen payloads, deterministic for a given seed."""
    if count < 0:
        raise ValueError("count must be >= 0")
    rng = random.Random(seed)
    rand = rng.random
    used_emails: set[str] = set()
    offsets = identifier_offsets(seed)

    # Local aliases: this loop runs a million times in the benchmark.
    fromordinal = date.fromordinal
    ref_ordinal = REF_ORDINAL
    days_per_year = DAYS_PER_YEAR
    groups = GROUPS
    family_tables = FAMILY
    anglo_given = ANGLO_GIVEN
    group_given = GROUP_GIVEN
    anglo_probability = data_names.ANGLO_GIVEN_PROBABILITY
    ages = AGES
    era_old, era_young = data_given.ERA_BOUNDARIES

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
        family = family_name(rng, group, family_table)

        middle = middle_names(rng, group, sex, era, given, native_given, family_table)
        preferred = preferred_name(rng, group, sex, given, middle, native_given)

        dob_known = rand() >= 0.03
        previous = previous_names(rng, sex, age, given, family, family_table, dob_ordinal)

        # --- where -------------------------------------------------------------------
        state = STATES.pick(rand())
        citizen_addresses, adult = addresses(rng, state, age, dob_ordinal)

        # --- how to reach them -------------------------------------------------------
        points = contact_points(
            rng, used_emails, index, age, state, given, preferred, family, birth_year
        )

        # --- identifiers -------------------------------------------------------------
        citizen_identifiers = identifiers(rng, index, age, adult, offsets)

        # --- preferences -------------------------------------------------------------
        citizen_preferences = preferences(rng, group, age, native_given)

        yield {
            "given_name": given,
            "middle_names": middle,
            "family_name": family,
            "preferred_name": preferred,
            "date_of_birth": fromordinal(dob_ordinal).isoformat() if dob_known else None,
            "previous_names": previous,
            "contact_points": points,
            "addresses": citizen_addresses,
            "identifiers": citizen_identifiers,
            "preferences": citizen_preferences,
        }
