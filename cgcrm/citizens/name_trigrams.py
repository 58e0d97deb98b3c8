"""Trigram nearest neighbours of a word among the name keys, in process.

What ``ORDER BY token <-> word LIMIT n`` over ``name_tokens``' GiST trigram index answers, from
the per-process copy of the keys (``name_dictionary``): the two look-ups a search made per name
part cost about 16 ms each at 125,000 keys, this about 1 ms. Trigrams and similarity are
pg_trgm's (a key padded with two spaces before and one after, its distinct three-letter runs;
similarity = shared / (mine + theirs - shared)), so the neighbours are the ones PostgreSQL finds;
keys at equal distance are taken in key order, where the index took them in whatever order its
pages held them. Keys sharing no trigram with the word are never neighbours (the index would pad
a short list with arbitrary ones).
"""

from __future__ import annotations

import bisect
import gc
import heapq
from array import array
from collections import Counter
from collections.abc import Iterable

# Keys scored at once before those sharing fewer trigrams are met in order of size instead.
SCORED_AT_ONCE = 1000


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of a name key (lower-case letters only, one word)."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)} if word else set()


class TrigramIndex:
    """Keys by trigram, each trigram's keys in order of size (then spelling)."""

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._ids: dict[str, int] = {}
        # Numbers in arrays, not lists: the garbage collector walks every item of a list in
        # each full collection (a million for 125,000 keys), and never looks into an array.
        self._sizes = array("i")
        self._postings: dict[str, array[int]] = {}

    def _order(self, key_id: int) -> tuple[int, str]:
        return self._sizes[key_id], self._keys[key_id]

    def add(self, keys: Iterable[str]) -> None:
        """Index the keys it lacks. Many at once (the first load) are numbered in order of
        size, so that each trigram's list is built in order; a few later ones are put in
        place."""
        in_order = not self._keys
        collecting = gc.isenabled()
        if in_order and collecting:
            # A million small objects made at once: the collector would walk them many times
            # over (a third of the time of the first load).
            gc.disable()
        try:
            new = [(len(grams), key, grams) for key in keys for grams in (trigrams(key),)]
            if in_order:
                new.sort()
            self._index(new, in_order)
        finally:
            if collecting:
                gc.enable()

    def _index(self, new: list[tuple[int, str, set[str]]], in_order: bool) -> None:
        postings, ids, sizes, keys = self._postings, self._ids, self._sizes, self._keys
        for size, key, grams in new:
            if key in ids:
                continue
            key_id = len(keys)
            keys.append(key)
            ids[key] = key_id
            sizes.append(size)
            for gram in grams:
                posting = postings.get(gram)
                if posting is None:
                    postings[gram] = array("i", (key_id,))
                elif in_order:
                    posting.append(key_id)
                else:
                    bisect.insort(posting, key_id, key=self._order)

    def shared(self, word: str) -> tuple[int, Counter[int]]:
        """``word``'s number of trigrams, and by key id how many of them each key shares."""
        grams = trigrams(word)
        counts: Counter[int] = Counter()
        for gram in grams:
            posting = self._postings.get(gram)
            if posting:
                counts.update(posting)
        return len(grams), counts

    def nearest(self, word: str, limit: int, shared: tuple[int, Counter[int]]) -> list[str]:
        """The ``limit`` keys most similar to ``word`` (``shared`` is ``self.shared(word)``).

        A key sharing ``c`` of the word's ``n`` trigrams and having ``m`` is ``c / (n + m - c)``
        similar: at most ``c / n``. So the keys sharing the most are scored first, down to the
        fewest shared that still gives ``limit`` keys (or one more, when that would be
        thousands: the two trigrams a word's first letter makes are in a tenth of the keys).
        Keys sharing fewer are then best when smallest: they are met in order of size in the
        word's trigrams' lists, until even the smallest left cannot equal the last one kept.
        """
        size, counts = shared
        if not size or not counts or limit <= 0:
            return []
        sizes, keys = self._sizes, self._keys
        at_least, kept, fewer = size + 1, 0, 0
        for common, many in sorted(Counter(counts.values()).items(), reverse=True):
            if kept + many > SCORED_AT_ONCE:
                fewer = common  # the most any key not scored here shares
                break
            at_least, kept = common, kept + many
        best = sorted(
            (-(c / (size + sizes[i] - c)), keys[i]) for i, c in counts.items() if c >= at_least
        )[:limit]
        if not fewer or (len(best) == limit and fewer / size < -best[-1][0]):
            return [key for _, key in best]
        seen: set[int] = set()
        lists = [self._postings[gram] for gram in trigrams(word) if gram in self._postings]
        for key_id in heapq.merge(*lists, key=self._order):
            common = counts[key_id]
            if common >= at_least or key_id in seen:
                continue
            seen.add(key_id)
            bound = fewer / (size + sizes[key_id] - fewer)
            if len(best) == limit and bound < -best[-1][0]:
                break  # every key left is at least this big, and shares at most ``fewer``
            bisect.insort(best, (-(common / (size + sizes[key_id] - common)), keys[key_id]))
            del best[limit:]
        return [key for _, key in best]

    def nearest_among(
        self, candidates: Iterable[str], limit: int, shared: tuple[int, Counter[int]]
    ) -> list[str]:
        """The ``limit`` of ``candidates`` most similar to the word ``shared`` was counted for
        (candidates this index lacks are left out, as a table look-up would)."""
        size, counts = shared
        ids, sizes = self._ids, self._sizes
        scored = []
        for key in candidates:
            key_id = ids.get(key)
            if key_id is None:
                continue
            common = counts.get(key_id, 0)
            similarity = common / (size + sizes[key_id] - common) if size else 0.0
            scored.append((-similarity, key))
        scored.sort()
        return [key for _, key in scored[:limit]]
