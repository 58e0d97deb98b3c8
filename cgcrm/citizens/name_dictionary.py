"""Dictionary keys within a small edit distance of a query word, from a per-process copy.

Trigram nearest neighbours miss a typo that destroys the trigrams of a short name: "hlal" shares
one trigram with "hall", and their Metaphone keys differ too. An edit distance where a
transposition counts as one edit (optimal string alignment) finds it. The dictionary of distinct
name keys is small (about 124,000 keys for a million synthetic people named from the census
lists; perhaps a few hundred thousand for a real population), so each process keeps a copy
bucketed by first letter and length (a word within two edits has a length within two) and by
sound (the Metaphone key ``name_tokens`` stores), and reloads it when it is older than
``RELOAD_AFTER_SECONDS``. A key added since the
last load is still found by the search's trigram and phonetic look-ups; only its in-process
neighbours wait. A key this process writes joins its copy at once (``learn``): a record created
at the counter is found with a typo straight away, in the worker that created it.
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
CACHED_WORDS = 50_000


class _NameDictionary:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._by_shape: dict[tuple[str, int], list[str]] = {}
        self._by_sound: dict[str, list[str]] = {}
        # Every key, and the letters they are written with: the keys one edit from a word are
        # found by writing out that word's edits and looking each up (``_one_edit``).
        self._tokens: set[str] = set()
        self._letters = ""
        # Names repeat (most people share a few thousand): a word's neighbours are kept until
        # the dictionary is reloaded.
        self._neighbours: dict[tuple[str, int], frozenset[str]] = {}

    def clear(self) -> None:
        """Forget the copy; the next look-up reloads it (tests that rebuild the data call it)."""
        with self._lock:
            self._loaded_at = float("-inf")
            self._by_shape, self._by_sound = {}, {}
            self._tokens, self._letters = set(), ""
            self._neighbours = {}

    def learn(self, tokens: Iterable[tuple[str, str]]) -> None:
        """Add (key, phonetic key) pairs this process has just written to its copy, if it
        holds one. A key whose transaction then rolls back stays until the reload: it only
        widens a query to a key no record has, which finds nobody."""
        with self._lock:
            if self._loaded_at == float("-inf"):
                return
            added: set[tuple[str, int]] = set()
            for token, phonetic in tokens:
                shape = self._by_shape.setdefault((token[:1], len(token)), [])
                if token and token not in self._tokens:
                    shape.append(token)
                    self._by_sound.setdefault(phonetic, []).append(token)
                    self._tokens.add(token)
                    added.add((token[:1], len(token)))
                    if not set(token) <= set(self._letters):
                        self._letters = "".join(sorted(set(self._letters) | set(token)))
            if added:
                # Only the cached words a new key may be within reach of are stale (same first
                # letter, length within their edits): a bulk import adds keys every batch, and
                # forgetting every word each time made it widen every name afresh.
                self._neighbours = {
                    (word, edits): near
                    for (word, edits), near in self._neighbours.items()
                    if not any(
                        (word[:1], length) in added
                        for length in range(len(word) - edits, len(word) + edits + 1)
                    )
                }

    def _load(self) -> tuple[dict[tuple[str, int], list[str]], dict[str, list[str]]]:
        with self._lock:
            if time.monotonic() - self._loaded_at >= RELOAD_AFTER_SECONDS:
                shapes: dict[tuple[str, int], list[str]] = {}
                sounds: dict[str, list[str]] = {}
                for token, phonetic in db.session.execute(
                    select(NameToken.token, NameToken.phonetic)
                ):
                    shapes.setdefault((token[:1], len(token)), []).append(token)
                    sounds.setdefault(phonetic, []).append(token)
                self._by_shape, self._by_sound = shapes, sounds
                self._tokens = {token for bucket in shapes.values() for token in bucket}
                self._letters = "".join(sorted(set("".join(self._tokens))))
                self._neighbours = {}
                self._loaded_at = time.monotonic()
            return self._by_shape, self._by_sound

    def neighbours(self, word: str, edits: int | None = None) -> set[str]:
        """Keys with the same first letter within ``edits`` edits of ``word`` (by default one
        for short words, else two)."""
        shapes = self._load()[0]
        if edits is None:
            edits = 1 if len(word) <= SHORT_WORD else 2
        cached = self._neighbours.get((word, edits))
        if cached is not None:
            return set(cached)
        if edits == 1:
            found = self._one_edit(word)
        else:
            found = set()
            for length in range(len(word) - edits, len(word) + edits + 1):
                bucket = shapes.get((word[:1], length))
                if bucket:
                    matches = process.extract(
                        word, bucket, scorer=OSA.distance, score_cutoff=edits, limit=None
                    )
                    found.update(match[0] for match in matches)
        if len(self._neighbours) >= CACHED_WORDS:
            self._neighbours.clear()
        self._neighbours[(word, edits)] = frozenset(found)
        return found

    def _one_edit(self, word: str) -> set[str]:
        """Keys with ``word``'s first letter at most one edit (optimal string alignment: a
        letter left out, added, changed, or two neighbours swapped) from it: what an OSA scan
        of the buckets finds, from a few hundred set look-ups instead of thousands of
        comparisons (four times faster at 124,000 keys)."""
        tokens, letters, first = self._tokens, self._letters, word[:1]
        edited = [word]
        for i in range(len(word)):
            before, after = word[:i], word[i + 1 :]
            edited.append(before + after)
            if after:
                edited.append(before + after[0] + word[i] + after[1:])
            edited.extend(before + letter + after for letter in letters)
            edited.extend(before + letter + word[i:] for letter in letters)
        edited.extend(word + letter for letter in letters)
        return {key for key in edited if key[:1] == first and key in tokens}

    def same_sound(self, phonetic: str) -> list[str]:
        """Keys whose Metaphone key is ``phonetic`` (``normalize.phonetic_key``)."""
        return self._load()[1].get(phonetic, []) if phonetic else []


name_dictionary = _NameDictionary()
