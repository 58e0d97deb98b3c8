"""Citizen field names shared by more than one test module."""

from __future__ import annotations

# The members of a citizen payload, in the order the API documents them.
CITIZEN_FIELDS = (
    "given_name",
    "middle_names",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "previous_names",
    "contact_points",
    "addresses",
    "identifiers",
    "preferences",
)
