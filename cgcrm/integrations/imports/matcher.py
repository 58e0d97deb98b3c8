"""Which record a row of an import is, according to the matching engine: the best candidate
among the population (``find_candidates``) and the file's earlier rows (a ``RecordIndex``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cgcrm.matching import batch_candidates, engine


class RowMatcher:
    """The matcher of one import: the population, plus every earlier row of the file, each
    keyed by the record it created or linked to."""

    def __init__(self) -> None:
        self.index = engine.RecordIndex()

    def remember(self, citizen_id: uuid.UUID, data: Mapping[str, Any]) -> None:
        """Let later rows of the file match this one (it is ``citizen_id``'s record now)."""
        self.index.add(citizen_id, data)

    def population_best(self, datas: Sequence[Mapping[str, Any]]) -> list[engine.Candidate | None]:
        """For each body, the most probable stored record (band match or possible), or None.

        One call per batch of rows: the engine's probes of all of them in a few statements
        (``batch_candidates``), the candidates' features loaded once.
        """
        features = [engine.features_of(data) for data in datas]
        return [_best(found) for found in batch_candidates.find_candidates_of(features, limit=3)]

    def file_best(self, data: Mapping[str, Any]) -> engine.Candidate | None:
        """The most probable earlier row of the file (as its record), or None."""
        return _best(
            engine.Candidate(uuid.UUID(str(key)), score, band, explanation)
            for key, score, band, explanation in self.index.candidates(data, limit=3)
        )


def _best(candidates: Iterable[engine.Candidate]) -> engine.Candidate | None:
    return max(
        (c for c in candidates if c.band != "non_match"), key=lambda c: c.score, default=None
    )


def better(a: engine.Candidate | None, b: engine.Candidate | None) -> engine.Candidate | None:
    """The more probable of two candidates (either may be None)."""
    if a is None or (b is not None and b.score > a.score):
        return b
    return a
