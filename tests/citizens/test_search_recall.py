"""Search recall: typos a trigram index misses, family names of several words, merged records."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from flask import Flask

from cgcrm.citizens.name_dictionary import name_dictionary
from cgcrm.extensions import db
from tests.citizens.test_search import search, seed


def test_keys_one_transposition_away_are_neighbours_of_a_short_word(app: Flask, staff: Any) -> None:
    for family in ("Hall", "Hale", "Hill", "Holl", "Ball"):
        seed(staff, given_name="Charlie", family_name=family)
    # Each create's matching loaded the dictionary before the next key existed; a process
    # reloads it every RELOAD_AFTER_SECONDS, the test at once.
    name_dictionary.clear()
    with app.app_context():
        # "hlal" shares one trigram with "hall"; as a transposition it is one edit away.
        assert name_dictionary.neighbours("hlal") == {"hall"}
        # A longer word may be two edits away; the first letter is never guessed.
        assert name_dictionary.neighbours("chralie") == {"charlie"}
        assert name_dictionary.neighbours("xhall") == set()
        db.session.remove()


def test_a_family_name_of_several_words_matches_in_full(staff: Any) -> None:
    jillian = seed(staff, given_name="Jillian", family_name="De Jong")
    seed(staff, given_name="Jillian", family_name="Jones")
    exact = search(staff, q="Jillian De Jong")
    assert exact[0]["citizen"]["id"] == jillian and exact[0]["score"] == 1.0
    assert search(staff, q="Jilian De Jonng")[0]["citizen"]["id"] == jillian


def test_merged_records_never_crowd_out_the_current_ones(app: Flask, staff: Any) -> None:
    first, second, third = (seed(staff, given_name="Ann", family_name="Lee") for _ in range(3))
    with app.app_context():
        db.session.execute(
            sa.text(
                "UPDATE citizens SET status = 'merged', merged_into_id = :survivor "
                "WHERE id IN (:first, :second)"
            ),
            {
                "survivor": uuid.UUID(third),
                "first": uuid.UUID(first),
                "second": uuid.UUID(second),
            },
        )
        db.session.commit()
        db.session.remove()
    # The two merged records rank first (equal scores, older ids); the survivor still comes back.
    found = search(staff, q="Ann Lee", limit="1")
    assert [hit["citizen"]["id"] for hit in found] == [third]
