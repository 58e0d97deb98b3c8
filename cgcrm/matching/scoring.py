"""One pair of people scored: comparison levels, their weights, the probability and the band."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cgcrm.matching import compare
from cgcrm.matching.compare import LEVELS
from cgcrm.matching.model import ScoringModel
from cgcrm.matching.normalise import Features


@dataclass(frozen=True, slots=True)
class Score:
    score: float
    band: str
    weight: float
    levels: dict[str, tuple[str, float]]
    swapped: bool = False

    @property
    def explanation(self) -> dict[str, dict[str, Any]]:
        """Per field both have, its level and weight (log2 of m over u), and
        ``name_order: swapped`` when the names agree only read the other way round. Built
        when read: a match scores dozens of candidates and explains the ten it returns."""
        explanation: dict[str, dict[str, Any]] = {
            name: {"level": level, "weight": round(weight, 3)}
            for name, (level, weight) in self.levels.items()
        }
        if self.swapped:
            # Every entry keeps the {level, weight} shape: the order of the names is one more.
            explanation["name_order"] = {"level": "swapped", "weight": 0.0}
        return explanation


def comparison_vector(a: Features, b: Features, model: ScoringModel) -> dict[str, str]:
    """The level of every field both people have (training counts these)."""
    levels = _levels(a, b, model)[0]
    return {name: level for name, (level, _) in levels.items()}


def _best_names(
    a: Features, b: Features, model: ScoringModel
) -> tuple[dict[str, tuple[str, float]], bool]:
    best: dict[str, tuple[str, float]] = {}
    best_total, best_swapped = float("-inf"), False
    for given, family, is_swapped, name_a in compare.name_pairings(a, b):
        chosen: dict[str, tuple[str, float]] = {}
        if given is not None:
            chosen["given_name"] = (
                given,
                model.weight("given_name", given, name_a.first_given),
            )
        if family is not None:
            chosen["family_name"] = (
                family,
                model.weight("family_name", family, name_a.family),
            )
        total = sum(weight for _, weight in chosen.values())
        if total > best_total:
            best, best_total, best_swapped = chosen, total, is_swapped
    return best, best_swapped


def _other_levels(a: Features, b: Features, model: ScoringModel) -> dict[str, tuple[str, float]]:
    """The level and weight of every field but the names that both people have."""
    others = (
        ("date_of_birth", compare.compare_dob(a.date_of_birth, b.date_of_birth)),
        ("address", compare.compare_addresses(a, b)),
        ("email", compare.compare_emails(a.emails, b.emails)),
        ("phone", compare.compare_phones(a.phones, b.phones)),
        ("identifier", compare.compare_identifiers(a, b)),
    )
    return {name: (level, model.weight(name, level)) for name, level in others if level is not None}


def _levels(
    a: Features,
    b: Features,
    model: ScoringModel,
    others: dict[str, tuple[str, float]] | None = None,
) -> tuple[dict[str, tuple[str, float]], bool]:
    levels, is_swapped = _best_names(a, b, model)
    levels.update(_other_levels(a, b, model) if others is None else others)
    generations_apart = compare.dobs_far_apart(a.date_of_birth, b.date_of_birth)
    return _household(levels, generations_apart, is_swapped), is_swapped


def _household(
    levels: dict[str, tuple[str, float]], generations_apart: bool = False, swapped: bool = False
) -> dict[str, tuple[str, float]]:
    """Family name, address and phone agreement count for nothing when the given names differ,
    or the dates of birth are too far apart to be one date mistyped.

    Fellegi-Sunter takes the fields as independent evidence; in a household they are not:
    twins, spouses, parents and children share the family name, the address and often a
    phone (twins the birth date too, a Jr. and a Sr. the given name), and only the given name
    or the birth date tells them apart. So a given name that disagrees outright (not a typo
    away: ``compare.compare_given``) or a birth date generations away (``dobs_far_apart``)
    cancels the household's shared evidence, unless a value one person rarely shares (an
    identifier, even one keying error apart, or an email) agrees.

    Names that agree only read the other way round (``swapped``) leave it open which record
    was written surname first, so which part is the given name: "Bryce Simmons" and "Simmons
    Felicia" (his twin, recorded surname first) share one part and differ outright in the
    other, and the part they share is the household's.
    """
    if swapped:
        differing = {
            slot
            for slot in ("given_name", "family_name")
            if levels.get(slot, ("",))[0] == "different"
        }
        shared = {"given_name", "family_name"} - differing if differing else {"family_name"}
    else:
        given = levels.get("given_name")
        differing = {"given_name"} if given is not None and given[0] == "different" else set()
        shared = {"family_name"}
    if not (differing or generations_apart):
        return levels
    if levels.get("email", ("",))[0] == "exact" or levels.get("identifier", ("",))[0] in (
        "exact",
        "similar",
    ):
        return levels
    for name in (*sorted(shared), "address", "phone"):
        level = levels.get(name)
        if level is not None and level[1] > 0:
            levels[name] = (level[0], 0.0)
    return levels


def score_pair(a: Features, b: Features, model: ScoringModel) -> Score:
    """How likely ``a`` and ``b`` are one person, and why.

    The explanation has, per field both have, its level and weight (log2 of m over u), and
    ``name_order: swapped`` when the names agree only read the other way round.
    """
    return _scored(*_levels(a, b, model), model)


def _scored(levels: dict[str, tuple[str, float]], is_swapped: bool, model: ScoringModel) -> Score:
    total = sum(weight for _, weight in levels.values())
    probability = model.probability(total)
    return Score(round(probability, 6), model.band(probability), total, levels, is_swapped)


# The model of the last ceiling and its best agreements short of exact, per name part: the
# same for every row (an import bounds every row's names, most of them against one candidate).
_last_inexact: list[tuple[ScoringModel, float, float]] = []


def _inexact_ceiling(model: ScoringModel) -> tuple[float, float]:
    """The most a given name, and a family name, weigh short of exact agreement."""
    if not _last_inexact or _last_inexact[0][0] is not model:
        _last_inexact[:] = [
            (
                model,
                max(model.weight("given_name", level) for level in LEVELS["given_name"][1:]),
                max(model.weight("family_name", level) for level in LEVELS["family_name"][1:]),
            )
        ]
    return _last_inexact[0][1], _last_inexact[0][2]


class NameCeiling:
    """The most one person's names can weigh against another's, bounded without comparing
    them: per part, the exact agreement (weighed by the term frequency of ``a``'s name, as
    ``_best_names`` weighs it) where the other holds the same key, else the best agreement
    short of exact; never less than nothing (a part either lacks counts for nothing). Every
    name of ``a`` counts as written and read the other way round, as ``name_pairings`` reads
    them."""

    def __init__(self, a: Features, model: ScoringModel) -> None:
        forms = (*a.names, *(compare.swapped(form) for form in a.names))
        self.given = [
            (form.given, form.first_given, model.weight("given_name", "exact", form.first_given))
            for form in forms
            if form.given
        ]
        self.family = [
            (form.family, model.weight("family_name", "exact", form.family))
            for form in forms
            if form.family
        ]
        self.given_inexact, self.family_inexact = _inexact_ceiling(model)

    def against(self, b: Features) -> float:
        given, family = self.given_inexact, self.family_inexact
        if self.given:
            keys = {form.given for form in b.names if form.given}
            firsts = {form.first_given for form in b.names if form.given}
            for key, first, weight in self.given:
                if key in keys or first in firsts:
                    given = max(given, weight)
        if self.family:
            families = {form.family for form in b.names if form.family}
            for key, weight in self.family:
                if key in families:
                    family = max(family, weight)
        return max(0.0, given) + max(0.0, family)


def possible_weight(model: ScoringModel) -> float:
    """The least total weight whose probability reaches the ``possible`` band, less a margin
    for rounding: a pair that weighs less than this is a ``non_match``."""
    threshold = model.possible_threshold
    if threshold <= 0:
        return -math.inf  # every pair is at least possible
    threshold = min(threshold, 1 - 1e-12)
    return math.log2(threshold / (1 - threshold)) - model.prior_weight - 1e-6


def score_batch(
    a: Features,
    others: Sequence[Features],
    model: ScoringModel,
    *,
    at_least_possible: bool = False,
) -> list[Score | None]:
    """``score_pair(a, b)`` of every ``b`` of ``others``, ``a``'s names bounded once.

    With ``at_least_possible``, a pair whose fields other than the names, with the most
    the names can weigh (``NameCeiling``), still fall short of the ``possible`` band
    is not scored: its place holds None (it is a ``non_match``, whatever its names). The
    names are most of a pair's cost; the others are a few comparisons of short values. The
    scores given are ``score_pair``'s, to the last bit.
    """
    if not at_least_possible:
        return [score_pair(a, b, model) for b in others]
    if not others:
        # Most rows of an import share no block with the file's earlier rows: nothing to bound.
        return []
    floor = possible_weight(model)
    names = NameCeiling(a, model)
    scored: list[Score | None] = []
    for b in others:
        fields = _other_levels(a, b, model)
        if sum(weight for _, weight in fields.values()) + names.against(b) < floor:
            scored.append(None)
        else:
            scored.append(_scored(*_levels(a, b, model, fields), model))
    return scored


def best_of(
    a: Features,
    others: Sequence[Features],
    model: ScoringModel,
    keys: Sequence[object],
    *,
    above: float,
) -> tuple[int, Score] | None:
    """The first of ``score_batch(a, others, model, at_least_possible=True)``'s pairs in band
    match or possible, weighing more than ``above``, by score, then by ``str`` of ``keys``
    (each other's key: the lowest first), as its index and score; None when there is none.
    What an import keeps of a row's candidates, without scoring those that cannot reach it: a
    pair whose bound (its fields other than the names, with the most the names can weigh)
    cannot round to the best score found so far is not scored, and the pairs are tried
    highest bound first.
    """
    if not others:
        return None
    floor = possible_weight(model)
    names = NameCeiling(a, model)
    bounded = []
    for index, b in enumerate(others):
        fields = _other_levels(a, b, model)
        bound = sum(weight for _, weight in fields.values()) + names.against(b)
        if bound >= floor:
            bounded.append((bound, index, fields))
    bounded.sort(key=lambda item: -item[0])
    best: tuple[int, Score] | None = None
    for bound, index, fields in bounded:
        # A margin on both sides: the bound is a sum in another order than the pair's weight.
        if best is not None and model.probability(bound + 1e-6) < best[1].score - 1e-6:
            break  # this pair and every later one score less than the best
        scored = _scored(*_levels(a, others[index], model, fields), model)
        if scored.band == "non_match" or scored.weight <= above:
            continue
        if (
            best is None
            or scored.score > best[1].score
            or (scored.score == best[1].score and str(keys[index]) < str(keys[best[0]]))
        ):
            best = (index, scored)
    return best
