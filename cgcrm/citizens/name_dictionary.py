"""Dictionary keys within a small edit distance of a query word, from a per-process copy.

Trigram nearest neighbours miss a typo that destroys the trigrams of a short name: "hlal" shares
one trigram with "hall", and their Metaphone keys differ too. An edit distance where a
transposition counts as one edit (optimal string alignment) finds it. The dictionary of distinct
name keys is small (2,034 keys for a million synthetic people; perhaps a few hundred thousand for
a real population), so each process keeps a copy bucketed by first letter (a twenty-sixth each)
and reloads it when it is older than ``RELOAD_AFTER_SECONDS``. A key this process adds joins
its copy at once (``learn``: a record created at the counter is found with a typo straight
away); one added by another process is still found by the trigram and phonetic look-ups, and
only its edit-distance neighbours wait for the reload.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import select

from cgcrm.citizens.models import NameToken
from cgcrm.extensions import db

RELOAD_AFTER_SECONDS = 60.0
# One edit for words of up to four letters (two would match half the short names), else two.
SHORT_WORD = 4


class _NameDictionary:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._by_initial: dict[str, list[str]] = {}
        self._known: set[str] = set()

    def clear(self) -> None:
        """Forget the copy; the next look-up reloads it (tests that rebuild the data call it)."""
        with self._lock:
            self._loaded_at = float("-inf")
            self._by_initial = {}
            self._known = set()

    def learn(self, keys: Iterable[str]) -> None:
        """Add keys this process has just written to its copy (if it holds one). A key whose
        transaction then rolls back stays until the reload: it only widens a query to a key
        no record has, which finds nobody."""
        with self._lock:
            if self._loaded_at == float("-inf"):
                return
            for key in keys:
                if key and key not in self._known:
                    self._known.add(key)
                    self._by_initial.setdefault(key[:1], []).append(key)

    def _buckets(self) -> dict[str, list[str]]:
        with self._lock:
            if time.monotonic() - self._loaded_at >= RELOAD_AFTER_SECONDS:
                fresh: dict[str, list[str]] = {}
                known: set[str] = set()
                for token in db.session.scalars(select(NameToken.token)):
                    fresh.setdefault(token[:1], []).append(token)
                    known.add(token)
                self._by_initial, self._known = fresh, known
                self._loaded_at = time.monotonic()
            return self._by_initial

    def neighbours(self, word: str) -> set[str]:
        """Keys with the same first letter within one edit (short words) or two of ``word``."""
        bucket = self._buckets().get(word[:1], [])
        edits = 1 if len(word) <= SHORT_WORD else 2
        found = process.extract(word, bucket, scorer=OSA.distance, score_cutoff=edits, limit=None)
        return {match[0] for match in found}


name_dictionary = _NameDictionary()
