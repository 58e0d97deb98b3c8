"""The matching engine: one way to say whether two records are one person, for every path.

Real time (``POST /api/v1/citizens/match``, and ``POST /api/v1/citizens`` before it creates)::

    find_candidates(body, limit=10, exclude=()) -> list[Candidate]

  ``body`` is shaped like a create body, any field missing. On PostgreSQL one statement
  (``realtime``) probes the search's name dictionary and indexes, date of birth, email, phone
  and identifiers, ranks what it finds and returns the best few dozen with their features;
  those are scored (``scoring``). Elsewhere ``blocking`` finds the ids and ``store`` loads
  them. Merged records are never candidates. Who may see the candidates is the caller's
  concern.

Two bodies (an import's earlier rows of one file; evaluation)::

    score_records(a, b) -> Candidate            # citizen_id is None
    index = RecordIndex(); index.add(key, body); index.candidates(body, limit=10)

Batch over stored citizens (the duplicate scan)::

    load_features(ids) -> dict[citizen_id, Features]   # a handful of queries per 5,000 ids
    score_features(a, b) -> Score                       # pure Python, ~20 µs a pair
    features_of(body) -> Features                       # a body, as the loader would see it

  Load the features of a block of ids once, then score every pair of the block with
  ``score_features``; ``candidate_ids(features)`` gives the stored citizens one record's
  blocking finds, for a scan that blocks record by record.

Scores are match probabilities in [0, 1] from the active ``MatchModel`` (Fellegi-Sunter with
term frequency adjustment, ``model``); ``band`` is match, possible or non_match by the model's
two thresholds.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context

from cgcrm.citizens import record
from cgcrm.extensions import db
from cgcrm.matching import blocking, realtime
from cgcrm.matching.model import ScoringModel, active_model
from cgcrm.matching.normalise import Features, from_body, nickname_groups
from cgcrm.matching.scoring import Score, best_of, score_batch, score_pair
from cgcrm.matching.store import load_features

__all__ = [
    "Candidate",
    "RecordIndex",
    "Score",
    "candidate_ids",
    "features_of",
    "find_candidates",
    "load_features",
    "score_features",
    "score_records",
]

# A candidate needs more evidence for than against (a Bayes factor above 1), whatever the
# prior: a rare namesake found by name alone is still worth showing, as a non_match.
MIN_CANDIDATE_WEIGHT = 0.0
candidate_ids = blocking.candidate_ids


@dataclass(frozen=True)
class Candidate:
    citizen_id: uuid.UUID | None
    score: float
    band: str
    explanation: dict[str, dict[str, Any]]


def features_of(body: Mapping[str, Any]) -> Features:
    """The features of a create-shaped body; identifiers keyed as stored when an app runs."""
    if has_app_context():
        return from_body(
            body,
            region=current_app.config["DEFAULT_PHONE_REGION"],
            identifier_index=record.identifier_index,
        )
    return from_body(body, region="AU")


def _model() -> ScoringModel:
    return active_model.get()


def score_features(a: Features, b: Features, model: ScoringModel | None = None) -> Score:
    """Score two people's features with the active model (or ``model``)."""
    return score_pair(a, b, model or _model())


def score_records(
    a: Mapping[str, Any], b: Mapping[str, Any], model: ScoringModel | None = None
) -> Candidate:
    """Score two create-shaped bodies against each other."""
    scored = score_pair(features_of(a), features_of(b), model or _model())
    return Candidate(None, scored.score, scored.band, scored.explanation)


def find_candidates(
    body: Mapping[str, Any],
    *,
    limit: int = 10,
    exclude: Collection[uuid.UUID] = (),
    at_least_possible: bool = False,
) -> list[Candidate]:
    """Stored citizens that may be the person ``body`` describes, best first.

    With ``at_least_possible`` only those in band match or possible (a create reads no
    other): a candidate that cannot reach ``possible`` whatever its names is not scored
    (``score_batch``).

    Runs inside the caller's transaction and does not commit.
    """
    features = features_of(body)
    if db.session.get_bind().dialect.name == "postgresql":
        stored_features = realtime.candidate_features(features, exclude=exclude)
    else:
        ids = [i for i in blocking.candidate_ids(features) if i not in set(exclude)]
        stored_features = load_features(ids) if ids else {}
    if not stored_features:
        return []
    model = _model()
    ids = list(stored_features)
    results = score_batch(
        features,
        [stored_features[i] for i in ids],
        model,
        at_least_possible=at_least_possible,
    )
    scored = [
        (citizen_id, result)
        for citizen_id, result in zip(ids, results, strict=True)
        if result is not None and result.weight > MIN_CANDIDATE_WEIGHT
    ]
    scored.sort(key=lambda item: (-item[1].score, str(item[0])))
    return [
        Candidate(citizen_id, result.score, result.band, result.explanation)
        for citizen_id, result in scored[:limit]
    ]


def _block_keys(features: Features) -> set[str]:
    keys: set[str] = set()
    dob = features.date_of_birth
    if dob is not None:
        keys.add(f"d:{dob.isoformat()}")
        keys.add(f"d:{dob.year}-{dob.day:02d}-{dob.month:02d}")
    for form in features.names:
        # The forms' sounds are the Metaphone keys of the first given word and the family key,
        # worked out once per distinct name (``name_form``).
        given, family = form.given_sound, form.family_sound
        keys.add(f"n:{given}|{family}")
        keys.add(f"n:{family}|{given}")
        for group in nickname_groups().get(form.first_given, ()):
            keys.add(f"k:{group}|{family}")
        if dob is not None:
            keys.add(f"gd:{given}|{dob.isoformat()}")
            keys.add(f"fy:{family}|{dob.year}")
        for postcode in features.postcodes:
            keys.add(f"pf:{postcode}|{family}")
            keys.add(f"pg:{postcode}|{given}")
    keys.update(f"e:{email}" for email in features.emails)
    keys.update(f"p:{phone}" for phone in features.phones)
    keys.update(f"i:{system}:{value}" for system, value in features.identifiers)
    return keys


class RecordIndex:
    """Blocking over bodies held in memory (the rows of one import file, an evaluation set):
    records sharing a key (sounds of both names, date of birth, postcode and a name, email,
    phone, identifier) are compared; the others never are."""

    # A key shared by more records than this (a whole file's postcode) blocks nothing useful.
    MAX_BLOCK = 500

    def __init__(self, model: ScoringModel | None = None) -> None:
        self._model = model
        self._features: dict[Hashable, Features] = {}
        self._blocks: dict[str, list[Hashable]] = {}
        # The keys of the record last looked up: an import adds each row it has just looked up.
        self._last: tuple[Features | None, set[str]] = (None, set())

    def _keys_of(self, features: Features) -> set[str]:
        last, keys = self._last
        if last is not features:
            keys = _block_keys(features)
            self._last = (features, keys)
        return keys

    def __len__(self) -> int:
        return len(self._features)

    def add(self, key: Hashable, body: Mapping[str, Any]) -> None:
        self.add_features(key, features_of(body))

    def add_features(self, key: Hashable, features: Features) -> None:
        self._features[key] = features
        for block in self._keys_of(features):
            self._blocks.setdefault(block, []).append(key)

    def candidates(
        self, body: Mapping[str, Any], limit: int = 10
    ) -> list[tuple[Hashable, float, str, dict[str, dict[str, Any]]]]:
        """(key, score, band, explanation) of the records added so far, best first."""
        return self.candidates_of(features_of(body), limit)

    def _members(self, features: Features) -> list[Hashable]:
        """The records sharing a block with ``features`` (blocks not too large)."""
        seen: set[Hashable] = set()
        for block in self._keys_of(features):
            members = self._blocks.get(block, ())
            if len(members) <= self.MAX_BLOCK:
                seen.update(members)
        return list(seen)

    def best_of(self, features: Features) -> tuple[Hashable, Score] | None:
        """The first record of ``candidates_of(features, at_least_possible=True)`` in band
        match or possible, with its score; None when there is none. Pairs that cannot be it
        are not scored (``scoring.best_of``)."""
        keys = self._members(features)
        found = best_of(
            features,
            [self._features[key] for key in keys],
            self._model or _model(),
            keys,
            above=MIN_CANDIDATE_WEIGHT,
        )
        return None if found is None else (keys[found[0]], found[1])

    def candidates_of(
        self, features: Features, limit: int = 10, *, at_least_possible: bool = False
    ) -> list[tuple[Hashable, float, str, dict[str, dict[str, Any]]]]:
        """``candidates``' of features already built; with ``at_least_possible`` only the
        records in band match or possible (the others are not scored: ``score_batch``)."""
        model = self._model or _model()
        keys = self._members(features)
        scores = score_batch(
            features,
            [self._features[key] for key in keys],
            model,
            at_least_possible=at_least_possible,
        )
        found = []
        for key, result in zip(keys, scores, strict=True):
            if result is not None and result.weight > MIN_CANDIDATE_WEIGHT:
                found.append((key, result.score, result.band, result.explanation))
        found.sort(key=lambda item: (-item[1], str(item[0])))
        return found[:limit]
