"""Fellegi-Sunter scoring: from comparison levels to a match probability and a band.

Each field's level contributes its match weight log2(m / u); the weights and the prior odds
that two records are one person add up to the log-odds of a match. Agreement on a common name
says less than on a rare one, so an exact given or family name is weighed against how often
that name occurs (term frequency adjustment): u becomes the name's share of the population.

The prior is the chance that one stored record is the person a new record describes: the
matches a record has on average (``matches_per_record``, estimated by training) spread over the
current population, so the same evidence says more in a register of twenty thousand people than
in one of ten million. The population is read when the model is (a catalogue estimate above
``EXACT_COUNT_BELOW`` rows, a count below), never per match; below ``MIN_PRIOR_POPULATION`` it
counts as that many, so a handful of records does not make any two of them likely one person.

The parameters in use are the newest ``active`` ``MatchModel`` (``flask matching train`` stores
one), or, on a fresh install, ``data/default_model.json`` with the thresholds of the settings.
Each process keeps the active model (and the population) for ``RELOAD_AFTER_SECONDS``.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select, text

from cgcrm.citizens.models import Citizen
from cgcrm.extensions import db
from cgcrm.matching.compare import LEVELS
from cgcrm.matching.models import MatchModel
from cgcrm.matching.normalise import DATA

RELOAD_AFTER_SECONDS = 60.0
# A name seen once in a small population must not weigh like a fingerprint.
MIN_TERM_FREQUENCY = 1e-6
DEFAULT_MATCH_THRESHOLD = 0.9
DEFAULT_POSSIBLE_THRESHOLD = 0.3
TF_FIELDS = ("given_name", "family_name")
MIN_PRIOR_POPULATION = 10_000
EXACT_COUNT_BELOW = 100_000


def default_parameters() -> dict[str, Any]:
    """The shipped parameter set (a copy, safe to change)."""
    with (DATA / "default_model.json").open(encoding="utf-8") as handle:
        parameters: dict[str, Any] = json.load(handle)
    parameters.pop("about", None)
    return parameters


@dataclass(frozen=True)
class ScoringModel:
    """Parameters ready to score with: weights precomputed per field and level."""

    version: int
    prior: float
    match_threshold: float
    possible_threshold: float
    m_u: dict[str, dict[str, tuple[float, float]]]
    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    term_frequencies: dict[str, dict[str, float]] = field(default_factory=dict)
    prior_weight: float = 0.0
    matches_per_record: float | None = None

    @classmethod
    def build(
        cls,
        parameters: dict[str, Any],
        *,
        version: int = 0,
        match_threshold: float = DEFAULT_MATCH_THRESHOLD,
        possible_threshold: float = DEFAULT_POSSIBLE_THRESHOLD,
        population: int | None = None,
    ) -> ScoringModel:
        """:param population: the citizens a record is matched among now; with the
        parameters' ``matches_per_record`` it sets the prior (else ``prior`` as stored)."""
        m_u: dict[str, dict[str, tuple[float, float]]] = {}
        weights: dict[str, dict[str, float]] = {}
        shipped: dict[str, Any] | None = None
        for name, levels in LEVELS.items():
            stored = parameters["comparisons"].get(name, {})
            m_u[name], weights[name] = {}, {}
            for level in levels:
                if level not in stored and shipped is None:
                    # A level added since the parameters were trained: the shipped estimate
                    # until `flask matching train` runs again.
                    shipped = default_parameters()["comparisons"]
                pair = stored.get(level) or (shipped or {}).get(name, {}).get(level)
                m, u = pair or (0.5, 0.5)
                m, u = max(float(m), 1e-9), max(float(u), 1e-9)
                m_u[name][level] = (m, u)
                weights[name][level] = math.log2(m / u)
        per_record = parameters.get("matches_per_record")
        if per_record is not None and population is not None:
            prior = float(per_record) / max(population, MIN_PRIOR_POPULATION)
        else:
            prior = float(parameters["prior"])
        prior = min(max(prior, 1e-12), 0.5)
        return cls(
            version=version,
            prior=prior,
            match_threshold=match_threshold,
            possible_threshold=possible_threshold,
            m_u=m_u,
            weights=weights,
            term_frequencies={
                name: dict(values)
                for name, values in (parameters.get("term_frequencies") or {}).items()
            },
            prior_weight=math.log2(prior / (1 - prior)),
            matches_per_record=None if per_record is None else float(per_record),
        )

    def parameters(self) -> dict[str, Any]:
        """The stored form (``MatchModel.parameters``)."""
        stored: dict[str, Any] = (
            {}
            if self.matches_per_record is None
            else {"matches_per_record": self.matches_per_record}
        )
        return {
            **stored,
            "prior": self.prior,
            "comparisons": {
                name: {level: list(pair) for level, pair in levels.items()}
                for name, levels in self.m_u.items()
            },
            "term_frequencies": self.term_frequencies,
        }

    def weight(self, name: str, level: str, value: str | None = None) -> float:
        """The match weight of one field's level; an exact name weighed by how common it is."""
        if level == "exact" and value and name in self.term_frequencies:
            frequencies = self.term_frequencies[name]
            u = frequencies.get(value)
            if u is None:
                # Names rarer than the table's rarest keep the average exact-agreement u, at most.
                u = min(self.m_u[name]["exact"][1], frequencies.get("", 1.0))
            return math.log2(self.m_u[name]["exact"][0] / max(u, MIN_TERM_FREQUENCY))
        return self.weights[name][level]

    def probability(self, total_weight: float) -> float:
        """Match probability of prior plus evidence weights, in [0, 1]."""
        log_odds = self.prior_weight + total_weight
        if log_odds > 60:
            return 1.0
        if log_odds < -60:
            return 0.0
        odds = 2.0**log_odds
        return odds / (1.0 + odds)

    def band(self, probability: float) -> str:
        if probability >= self.match_threshold:
            return "match"
        if probability >= self.possible_threshold:
            return "possible"
        return "non_match"


class _ActiveModel:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._model: ScoringModel | None = None

    def clear(self) -> None:
        """Forget the cached model; the next score reloads it (training and tests call it)."""
        with self._lock:
            self._loaded_at = float("-inf")
            self._model = None

    def get(self) -> ScoringModel:
        with self._lock:
            if self._model is None or time.monotonic() - self._loaded_at >= RELOAD_AFTER_SECONDS:
                self._model, self._loaded_at = _load(), time.monotonic()
            return self._model


def _thresholds() -> tuple[float, float]:
    if not has_app_context():
        return DEFAULT_MATCH_THRESHOLD, DEFAULT_POSSIBLE_THRESHOLD
    config = current_app.config
    return float(config["MATCH_THRESHOLD"]), float(config["MATCH_POSSIBLE_THRESHOLD"])


def population() -> int:
    """Current (not merged) citizens: the planner's estimate of a big table, a count of a
    small one (whose estimate may be stale or missing)."""
    if db.session.get_bind().dialect.name == "postgresql":
        estimate = db.session.scalar(
            text("SELECT reltuples::bigint FROM pg_class WHERE oid = 'citizens'::regclass")
        )
        if estimate is not None and estimate >= EXACT_COUNT_BELOW:
            return int(estimate)
    counted = db.session.scalar(
        select(func.count()).select_from(Citizen).where(Citizen.status != "merged")
    )
    return int(counted or 0)


def _load() -> ScoringModel:
    match_threshold, possible_threshold = _thresholds()
    stored = None
    people = None
    if has_app_context():
        people = population()
        stored = db.session.scalar(
            select(MatchModel)
            .where(MatchModel.status == "active")
            .order_by(MatchModel.version.desc())
            .limit(1)
        )
    if stored is None:
        return ScoringModel.build(
            default_parameters(),
            match_threshold=match_threshold,
            possible_threshold=possible_threshold,
            population=people,
        )
    return ScoringModel.build(
        stored.parameters,
        version=stored.version,
        match_threshold=stored.match_threshold,
        possible_threshold=stored.possible_threshold,
        population=people,
    )


active_model = _ActiveModel()
