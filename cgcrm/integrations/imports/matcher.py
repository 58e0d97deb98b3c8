"""Which record a row of an import is, according to the matching engine: the best candidate
among the population (``batch_candidates``, a whole batch at once) and the file's earlier rows
(an ``engine.RecordIndex``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from cgcrm.matching import batch_candidates, engine
from cgcrm.matching.normalise import Features


class RowMatcher:
    """The matcher of one import: the population, plus every earlier row of the file, each
    keyed by the record it created or linked to."""

    def __init__(self) -> None:
        self.index = engine.RecordIndex()

    def remember(self, citizen_id: uuid.UUID, features: Features) -> None:
        """Let later rows of the file match this one (it is ``citizen_id``'s record now)."""
        self.index.add_features(citizen_id, features)

    def population_best(self, batch: Sequence[Features]) -> list[engine.Candidate | None]:
        """For each record, the most probable stored record (band match or possible), or None:
        a match links, a possible files a review item naming it.

        One statement finds the candidates of the whole batch; their features are loaded
        once and scored by the engine.
        """
        return batch_candidates.best_candidates_of(batch)

    def file_best(self, features: Features) -> engine.Candidate | None:
        """The most probable earlier row of the file (as its record), or None."""
        found = self.index.best_of(features)
        if found is None:
            return None
        key, result = found
        return engine.Candidate(uuid.UUID(str(key)), result.score, result.band, result.explanation)


def better(a: engine.Candidate | None, b: engine.Candidate | None) -> engine.Candidate | None:
    """The more probable of two candidates (either may be None)."""
    if a is None or (b is not None and b.score > a.score):
        return b
    return a
