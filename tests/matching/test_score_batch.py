"""The batch scorer is the pair scorer: same scores to the last bit, and what it leaves out
(``at_least_possible``) is a ``non_match`` by the pair scorer too."""

from __future__ import annotations

import random
from typing import Any

import pytest

from cgcrm.citizens.synthetic.generator import generate_citizens
from cgcrm.matching import compare
from cgcrm.matching.engine import features_of
from cgcrm.matching.model import ScoringModel, default_parameters
from cgcrm.matching.normalise import Features
from cgcrm.matching.scoring import NameCeiling, best_of, score_batch, score_pair


def _variants(person: dict[str, Any], other: dict[str, Any], rng: random.Random) -> list[dict]:
    """``person`` as others might record them, and people who merely resemble them."""
    given, family = person.get("given_name") or "", person.get("family_name") or ""
    dob = person.get("date_of_birth")
    typo = given[:1] + given[2:] if len(given) > 3 else given + "e"
    copies = [
        person,
        dict(person, given_name=typo),
        dict(person, given_name=family, family_name=given),  # surname first
        dict(person, contact_points=[], identifiers=[], addresses=[]),
        dict(person, date_of_birth=f"{dob[:5]}{dob[8:10]}-{dob[5:7]}" if dob else None),
        dict(other, family_name=family),  # a namesake of the family
        dict(other, given_name=given, family_name=family),  # a namesake
        dict(person, given_name=other.get("given_name")),  # a sibling at the same address
        dict(other, date_of_birth=dob),  # a stranger born the same day
        other,
    ]
    rng.shuffle(copies)
    return copies


def _features(body: dict[str, Any]) -> Features:
    try:
        return features_of(body)
    except ValueError:  # a transposed date that is no date
        return features_of(dict(body, date_of_birth=None))


@pytest.mark.parametrize("population", [1_000_000, 20_000, 10])
def test_batch_scores_are_pair_scores_and_only_non_matches_are_left_out(population: int) -> None:
    model = ScoringModel.build(default_parameters(), population=population)
    people = list(generate_citizens(300, seed=71))
    rng = random.Random(5)
    pairs = left_out = 0
    for person in people:
        a = _features(person)
        others = [_features(v) for v in _variants(person, rng.choice(people), rng)]
        full = [score_pair(a, b, model) for b in others]
        assert score_batch(a, others, model) == full
        for expected, got, b in zip(
            full, score_batch(a, others, model, at_least_possible=True), others, strict=True
        ):
            pairs += 1
            # The bound is a bound: the names never weigh more than it says.
            names = sum(
                weight
                for field, (_, weight) in expected.levels.items()
                if field in ("given_name", "family_name")
            )
            assert names <= NameCeiling(a, model).against(b) + 1e-9
            if got is None:
                left_out += 1
                assert expected.band == "non_match"
            else:
                assert got == expected
                assert (got.score, got.weight, got.band) == (
                    expected.score,
                    expected.weight,
                    expected.band,
                )
    assert pairs == 3000
    if population >= 20_000:
        assert left_out > 0


@pytest.mark.parametrize("population", [1_000_000, 20_000, 10])
def test_best_of_is_the_first_of_the_scored_pairs(population: int) -> None:
    """What an import keeps of a row's candidates (the best in band match or possible, above
    a weight, ties to the lowest key) is the first of every pair scored, whichever it left
    unscored; rows whose best ties with another's score included."""
    model = ScoringModel.build(default_parameters(), population=population)
    people = list(generate_citizens(300, seed=73))
    rng = random.Random(7)
    found = ties = 0
    for person in people:
        a = _features(person)
        bodies = _variants(person, rng.choice(people), rng)
        # The same person twice among the others: two pairs of one score.
        others = [_features(v) for v in [*bodies, rng.choice(bodies)]]
        # Keys are ranked by their text: numbers here, whose order is not their text's.
        keys = [rng.randrange(10 ** rng.randint(1, 6)) * 100 + i for i in range(len(others))]
        ranked = sorted(
            (
                (-scored.score, str(keys[i]), i)
                for i, scored in enumerate(score_pair(a, b, model) for b in others)
                if scored.band != "non_match" and scored.weight > 0.0
            ),
        )
        best = best_of(a, others, model, keys, above=0.0)
        if not ranked:
            assert best is None
            continue
        found += 1
        ties += len(ranked) > 1 and ranked[0][0] == ranked[1][0]
        assert best is not None
        assert best[0] == ranked[0][2]
        assert best[1] == score_pair(a, others[best[0]], model)
    assert found > 100 and ties > 0


def test_remembered_name_levels_are_the_comparisons() -> None:
    """Each pair of names is compared once and remembered: what is remembered is what the
    comparison says, the first time and every time after (a swapped name too)."""
    people = list(generate_citizens(200, seed=72))
    rng = random.Random(6)
    forms = []
    for person in people:
        for body in _variants(person, rng.choice(people), rng):
            for form in _features(body).names:
                forms += [form, compare.swapped(form)]
    pairs = [(rng.choice(forms), rng.choice(forms)) for _ in range(4000)]
    for _ in range(2):
        for a, b in pairs:
            assert compare._given_level(a, b) == compare.compare_given(a, b)
            assert compare._family_level(a, b) == compare.compare_family(a, b)
    assert any(compare.compare_given(a, b) not in (None, "exact") for a, b in pairs)
