"""Deterministic generator of realistic synthetic Australian citizens.

Used by the demo seed (a few hundred citizens) and by the search benchmark (a million citizens
plus typo'd queries). Everything is derived from ``random.Random(seed)``: the same ``seed``
always yields the same citizens, and the first ``n`` citizens of a larger run are the same as
a run of ``n`` (the output does not depend on ``count``).

All data is fictitious: emails use only reserved example domains, identifiers are derived from
the citizen's position in the stream, and dates are computed relative to a fixed reference
date (not today) so the output never changes over time.

Modules: ``generator`` (the citizen stream), ``people`` (names, ages, name histories),
``addresses``, ``contacts`` (emails, phones), ``identifiers``, ``preferences``, ``typos``,
``base`` (weighted tables, reference date) and the plain-text reference data in
``data_names``, ``data_given`` and ``data_places``.
"""

from __future__ import annotations

from cgcrm.citizens.synthetic.base import REFERENCE_DATE
from cgcrm.citizens.synthetic.contacts import EMAIL_DOMAINS
from cgcrm.citizens.synthetic.generator import generate_citizens
from cgcrm.citizens.synthetic.identifiers import IDENTIFIER_SYSTEMS
from cgcrm.citizens.synthetic.typos import PHONETIC_SWAPS, make_typo, typo_query

__all__ = [
    "EMAIL_DOMAINS",
    "IDENTIFIER_SYSTEMS",
    "PHONETIC_SWAPS",
    "REFERENCE_DATE",
    "generate_citizens",
    "make_typo",
    "typo_query",
]
