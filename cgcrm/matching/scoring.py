"""One pair of people scored: comparison levels, their weights, the probability and the band."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cgcrm.matching import compare
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


def _levels(
    a: Features, b: Features, model: ScoringModel
) -> tuple[dict[str, tuple[str, float]], bool]:
    levels, is_swapped = _best_names(a, b, model)
    others = (
        ("date_of_birth", compare.compare_dob(a.date_of_birth, b.date_of_birth)),
        ("address", compare.compare_addresses(a, b)),
        ("email", compare.compare_emails(a.emails, b.emails)),
        ("phone", compare.compare_phones(a.phones, b.phones)),
        ("identifier", compare.compare_identifiers(a.identifiers, b.identifiers)),
    )
    for name, level in others:
        if level is not None:
            levels[name] = (level, model.weight(name, level))
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
    identifier, an email) agrees.

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
    if any(levels.get(name, ("",))[0] == "exact" for name in ("identifier", "email")):
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
    levels, is_swapped = _levels(a, b, model)
    total = sum(weight for _, weight in levels.values())
    probability = model.probability(total)
    return Score(round(probability, 6), model.band(probability), total, levels, is_swapped)
