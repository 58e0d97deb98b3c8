"""A name search reads its key pairs best first and stops once no pair left can change the
answer: the answer is the one reading every pair gives."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from cgcrm.citizens import search as search_module
from cgcrm.citizens.name_dictionary import name_dictionary
from cgcrm.citizens.search import _name_score, _pair_scores
from cgcrm.extensions import db
from tests.citizens.test_search import seed


@pytest.mark.parametrize(
    ("words", "given_near", "family_near"),
    [
        (["jon", "smyth"], ["jon", "john", "joan", "smith"], ["smyth", "smith", "john"]),
        (["jilian", "de", "jonng"], ["jillian", "jilian"], ["dejong", "jones", "jonng", "de"]),
    ],
)
def test_a_pair_scores_what_a_current_name_row_of_it_scores(
    app: Flask, words: list[str], given_near: list[str], family_near: list[str]
) -> None:
    with app.app_context():
        name_dictionary.clear()  # no copy loaded: every key may hold either role
        pairs = _pair_scores(words, given_near, family_near)
        db.session.remove()
    expected = {
        (given, family)
        for givens, families in ((given_near, family_near), (family_near, given_near))
        for given in givens
        for family in families
    }
    assert {(given, family) for _, given, family in pairs} == expected
    assert all(score == _name_score(words, "current", g, f) for score, g, f in pairs)
    assert [score for score, _, _ in pairs] == sorted((s for s, _, _ in pairs), reverse=True)


def test_reading_a_pair_at_a_time_finds_what_reading_them_all_finds(
    staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for given, family in [
        ("John", "Smith"),
        ("Jon", "Smith"),
        ("John", "Smyth"),
        ("Joan", "Smith"),
        ("Smith", "John"),
        ("Johan", "Smithe"),
        ("Jo", "Smit"),
    ]:
        seed(staff, given_name=given, family_name=family)
    name_dictionary.clear()

    def found() -> tuple[list[tuple[str, float]], int]:
        answer = staff.get("/api/v1/citizens/search", query_string={"q": "Jon Smyth", "limit": 3})
        hits = answer.get_json()["results"]
        return [(h["citizen"]["id"], h["score"]) for h in hits], answer.get_json()[
            "candidates_considered"
        ]

    every_pair, all_considered = found()
    monkeypatch.setattr(search_module, "FIRST_PAIR_BATCH", 1)
    pair_by_pair, considered = found()
    assert pair_by_pair == every_pair and len(every_pair) == 3
    assert considered < all_considered  # it stopped before the last pairs
