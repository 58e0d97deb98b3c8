"""Estimating the model from the data: u from random pairs, m and the prior by EM.

- u, the chance a level occurs between two different people, is counted over random pairs of
  citizens (almost all of which are different people).
- m, the chance it occurs between two records of one person, and the share of matches among
  blocked pairs, are estimated by expectation-maximisation over the comparison vectors of the
  pairs blocking produces for a sample of citizens, u held fixed (as Splink does): nobody has
  to label a pair.
- Term frequencies of given and family name keys are counted over ``citizen_names``.
- The prior (two random records being one person) is the matches EM found per sampled
  citizen (stored as ``matches_per_record``), divided by the population; scoring divides it
  by the population of the moment (``model``).

``train_model`` stores the result as a new active ``MatchModel`` version; ``flask matching
train`` calls it.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update

from cgcrm.citizens.models import Citizen, CitizenName
from cgcrm.extensions import db
from cgcrm.matching import blocking
from cgcrm.matching.compare import FIELDS, LEVELS
from cgcrm.matching.model import ScoringModel, active_model, default_parameters
from cgcrm.matching.models import MatchModel
from cgcrm.matching.scoring import comparison_vector
from cgcrm.matching.store import load_features

Vector = tuple[tuple[str, str], ...]
# Laplace smoothing keeps a level never seen in a sample from weighing infinitely.
SMOOTHING = 1.0
TERM_FREQUENCY_KEYS = 5000


@dataclass
class EMResult:
    m: dict[str, dict[str, float]]
    match_share: float
    iterations: int
    converged: bool
    history: list[float] = field(default_factory=list)


def _vector(levels: Mapping[str, str]) -> Vector:
    return tuple(sorted(levels.items()))


def estimate_u(random_vectors: Iterable[Mapping[str, str]]) -> dict[str, dict[str, float]]:
    """u per field and level: the levels' shares among random pairs (smoothed)."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in FIELDS}
    for vector in random_vectors:
        for name, level in vector.items():
            counts[name][level] += 1
    u: dict[str, dict[str, float]] = {}
    for name, levels in LEVELS.items():
        total = sum(counts[name].values()) + SMOOTHING * len(levels)
        u[name] = {level: (counts[name][level] + SMOOTHING) / total for level in levels}
    return u


def expectation_maximisation(
    vectors: Iterable[Mapping[str, str]],
    u: Mapping[str, Mapping[str, float]],
    m_start: Mapping[str, Mapping[str, float]],
    *,
    match_share: float = 0.1,
    max_iterations: int = 100,
    tolerance: float = 1e-6,
) -> EMResult:
    """m per field and level and the share of matches, u held fixed.

    Identical comparison vectors are counted once with their multiplicity, so the work per
    iteration is the number of distinct vectors (a few thousand), not of pairs.
    """
    counted = Counter(_vector(v) for v in vectors)
    m = {name: dict(levels) for name, levels in m_start.items()}
    history: list[float] = []
    total = sum(counted.values())
    for iteration in range(1, max_iterations + 1):
        matched: dict[str, dict[str, float]] = {name: {} for name in FIELDS}
        expected_matches = 0.0
        for vector, count in counted.items():
            log_m = sum(math.log(m[name][level]) for name, level in vector)
            log_u = sum(math.log(u[name][level]) for name, level in vector)
            odds = math.exp(min(log_m - log_u, 700.0)) * match_share / (1 - match_share)
            p = odds / (1 + odds)
            expected_matches += p * count
            for name, level in vector:
                matched[name][level] = matched[name].get(level, 0.0) + p * count
        new_share = min(max(expected_matches / total, 1e-9), 1 - 1e-9) if total else match_share
        change = abs(new_share - match_share)
        for name, levels in LEVELS.items():
            seen = sum(matched[name].values()) + SMOOTHING * 0.01 * len(levels)
            for level in levels:
                new = (matched[name].get(level, 0.0) + SMOOTHING * 0.01) / seen
                change = max(change, abs(new - m[name][level]))
                m[name][level] = new
        match_share = new_share
        history.append(match_share)
        if change < tolerance:
            return EMResult(m, match_share, iteration, True, history)
    return EMResult(m, match_share, max_iterations, False, history)


def _keep_implausible(
    result: EMResult, u: Mapping[str, Mapping[str, float]], previous: Mapping[str, Any]
) -> list[str]:
    """Keep the previous m of fields where EM found exact agreement no likelier between
    records of one person than between strangers: with few or no duplicates in the data, EM
    has nothing to learn m from and drifts to whatever cluster it finds."""
    kept = []
    for name in LEVELS:
        if result.m[name]["exact"] <= u[name]["exact"]:
            result.m[name] = dict(previous[name])
            kept.append(name)
    return kept


def term_frequencies() -> dict[str, dict[str, float]]:
    """The most common given and family name keys and their shares of current names; the key
    "" holds the rarest share kept (names rarer than it use the model's average u)."""
    found: dict[str, dict[str, float]] = {}
    current = CitizenName.kind == "current"
    total = db.session.scalar(select(func.count()).select_from(CitizenName).where(current)) or 0
    if not total:
        return found
    for name, column in (
        ("given_name", CitizenName.given_key),
        ("family_name", CitizenName.family_key),
    ):
        rows = db.session.execute(
            select(column, func.count())
            .where(current, column != "")
            .group_by(column)
            .order_by(func.count().desc())
            .limit(TERM_FREQUENCY_KEYS)
        ).all()
        shares = {key: count / total for key, count in rows}
        if shares:
            shares[""] = min(shares.values())
        found[name] = shares
    return found


def _sample_ids(size: int, rng: random.Random) -> list[Any]:
    ids = list(
        db.session.scalars(
            select(Citizen.id).where(Citizen.status != "merged").order_by(func.random()).limit(size)
        )
    )
    rng.shuffle(ids)
    return ids


def train_model(
    *,
    seeds: int = 1000,
    random_pairs: int = 50000,
    match_threshold: float,
    possible_threshold: float,
    trained_by: str,
    rng_seed: int = 11,
) -> MatchModel:
    """Estimate a model from the stored citizens and make it the active version.

    :param seeds: citizens whose blocked candidates EM learns m from.
    :param random_pairs: pairs of random citizens u is counted over.
    :raises ValueError: fewer than two citizens to learn from.
    """
    rng = random.Random(rng_seed)
    start = active_model.get()
    population = (
        db.session.scalar(
            select(func.count()).select_from(Citizen).where(Citizen.status != "merged")
        )
        or 0
    )
    if population < 2:
        raise ValueError("at least two citizens are needed to train a model")
    # u: random pairs among a sample large enough that few pairs repeat.
    sample = load_features(_sample_ids(min(population, max(2 * seeds, 5000)), rng))
    people = list(sample.values())
    random_vectors = []
    for _ in range(random_pairs):
        a, b = rng.sample(people, 2)
        random_vectors.append(comparison_vector(a, b, start))
    u = estimate_u(random_vectors)
    # m: EM over the pairs blocking produces for the seeds.
    blocked_vectors = []
    seed_ids = list(sample)[:seeds]
    for seed_id in seed_ids:
        found = [i for i in blocking.candidate_ids(sample[seed_id]) if i != seed_id]
        for other in load_features(found).values():
            blocked_vectors.append(comparison_vector(sample[seed_id], other, start))
    m_start = {
        name: {lvl: mu[0] for lvl, mu in levels.items()} for name, levels in start.m_u.items()
    }
    result = expectation_maximisation(blocked_vectors, u, m_start)
    kept = _keep_implausible(result, u, m_start)
    matches_per_record = result.match_share * len(blocked_vectors) / max(len(seed_ids), 1)
    prior = min(max(matches_per_record / population, 1e-9), 0.5)
    parameters = {
        "matches_per_record": prior * population,
        "prior": prior,
        "comparisons": {
            name: {level: [result.m[name][level], u[name][level]] for level in levels}
            for name, levels in LEVELS.items()
        },
        "term_frequencies": term_frequencies(),
    }
    ScoringModel.build(parameters)  # refuse parameters that cannot score
    version = (db.session.scalar(select(func.max(MatchModel.version))) or 0) + 1
    try:
        db.session.execute(
            update(MatchModel).where(MatchModel.status == "active").values(status="retired")
        )
        model = MatchModel(
            version=version,
            status="active",
            parameters=parameters,
            match_threshold=match_threshold,
            possible_threshold=possible_threshold,
            training={
                "population": population,
                "seeds": len(seed_ids),
                "blocked_pairs": len(blocked_vectors),
                "random_pairs": len(random_vectors),
                "em_iterations": result.iterations,
                "em_converged": result.converged,
                "match_share_of_blocked_pairs": result.match_share,
                "started_from_version": start.version,
                "m_kept_from_previous": kept,
            },
            trained_by=trained_by,
        )
        db.session.add(model)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    active_model.clear()
    return model


__all__ = ["default_parameters", "estimate_u", "expectation_maximisation", "train_model"]
