"""Dictionary keys within a small edit distance of a query word, from a per-process copy.

Trigram nearest neighbours miss a typo that destroys the trigrams of a short name: "hlal" shares
one trigram with "hall", and their Metaphone keys differ too. An edit distance where a
transposition counts as one edit (optimal string alignment) finds it. The dictionary of distinct
name keys is small (about 124,000 keys for a million synthetic people named from the census
lists; perhaps a few hundred thousand for a real population), so each process keeps a copy
bucketed by first letter and length (a word within two edits has a length within two) and by
sound (the Metaphone key ``name_tokens`` stores), and adds the keys other processes wrote
when it is older than ``RELOAD_AFTER_SECONDS`` (keys are never removed; the copy is built
afresh only when the table has fewer keys than the copy). The copy also answers the search's
trigram and phonetic look-ups (``similar``, from a trigram index of the keys:
``name_trigrams``), which cost two GiST scans of ``name_tokens`` per search. A key another
process added since the last load is still found as typed (every word is its own neighbour);
with a typo, once the copy is reloaded. A key this process writes joins its copy at once
(``learn``): a record created at the counter is found with a typo straight away, in the worker
that created it.

The copy also holds the roles each key has had in a stored name (given, family; ``name_tokens``
keeps them, never unset): the real-time match probes a neighbour as a given or a family name
only if it has been one. Like the neighbours, a role another process gave a key since the
last load waits for the next; a key the copy lacks has both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import select

from cgcrm.citizens import normalize
from cgcrm.citizens.models import NameToken
from cgcrm.citizens.name_trigrams import TrigramIndex
from cgcrm.extensions import db

RELOAD_AFTER_SECONDS = 60.0
# A key's roles, as bits.
GIVEN = 1
FAMILY = 2
BOTH = GIVEN | FAMILY
# One edit for words of up to four letters (two would match half the short names), else two.
SHORT_WORD = 4
CACHED_WORDS = 50_000
# Stands for any one letter in ``_wildcards``' patterns (no key holds it: keys are letters).
_ANY = "\x00"


def _patterns(token: str) -> list[str]:
    """``token`` with each of its letters in turn replaced by ``_ANY``."""
    return [f"{token[:i]}{_ANY}{token[i + 1 :]}" for i in range(len(token))]


def _front_swapped(word: str) -> str:
    """``word`` with its first two letters swapped ("" when that is no other word)."""
    if len(word) < 2 or word[0] == word[1]:
        return ""
    return word[1] + word[0] + word[2:]


class _NameDictionary:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._by_shape: dict[tuple[str, int], list[str]] = {}
        # Sounds' keys as tuples (tens of thousands of lists were tracked by the garbage
        # collector, and each full collection walked them).
        self._by_sound: dict[str, tuple[str, ...]] = {}
        # Every key, and the letters they are written with: the keys one edit from a word are
        # found by writing out that word's edits and looking each up (``_one_edit``).
        self._tokens: set[str] = set()
        self._letters = ""
        # The keys by trigram: the search's nearest neighbours in spelling (``similar``), kept
        # by word until any key is added (a search as you type asks again for each word typed).
        # Built at the first such look-up: a process that never searches (a worker, an
        # import's) never builds it, nor puts the keys it learns in place in it.
        self._trigrams: TrigramIndex | None = None
        self._similar: dict[tuple[str, int, int], frozenset[str]] = {}
        # Names repeat (most people share a few thousand): a word's neighbours are kept until
        # a key within their reach is added.
        self._neighbours: dict[tuple[str, int], tuple[str, ...]] = {}
        # The cached words by first letter and length, to forget those a new key can reach.
        self._cached_by_shape: dict[tuple[str, int], set[tuple[str, int]]] = {}
        # Each key's roles: as last read from the table (committed, so they hold: roles are
        # never unset), and those with what this process has written since.
        self._stored_roles: dict[str, int] = {}
        self._roles: dict[str, int] = {}
        # The keys of ``_roles`` without a role, by role: made at the first ``lacking`` after
        # a load, then kept up by ``learn``.
        self._lacking: dict[int, set[str]] = {}
        # The keys by each letter replaced with ``_ANY``, kept once a process asks for it
        # (``index_edits``): a word's one-edit neighbours are then found by a few look-ups.
        self._wildcards: dict[str, list[str]] | None = None
        self._wildcards_wanted = False

    def clear(self) -> None:
        """Forget the copy; the next look-up reloads it (tests that rebuild the data call it)."""
        with self._lock:
            self._loaded_at = float("-inf")
            self._by_shape, self._by_sound = {}, {}
            self._tokens, self._letters = set(), ""
            self._trigrams, self._similar = None, {}
            self._neighbours, self._cached_by_shape = {}, {}
            self._stored_roles, self._roles, self._lacking = {}, {}, {}
            self._wildcards, self._wildcards_wanted = None, False

    def learn(self, tokens: Iterable[tuple[str, str, int]]) -> None:
        """Add (key, phonetic key, roles) this process has just written to its copy, if it
        holds one. A key or role whose transaction then rolls back stays: it only widens a
        query to a key or an order no record has, which finds nobody."""
        with self._lock:
            if self._loaded_at != float("-inf"):
                rows = list(tokens)
                self._add([(token, phonetic) for token, phonetic, _ in rows])
                for token, _, roles in rows:
                    held = self._roles[token] = self._roles.get(token, 0) | roles
                    for role, keys in self._lacking.items():
                        if held & role:
                            keys.discard(token)
                        else:
                            keys.add(token)

    def _add(self, tokens: Iterable[tuple[str, str]]) -> None:
        """Add the keys this copy lacks (under ``_lock``). Only the cached words a new key may
        be within reach of are forgotten (same first letter, length within two): a bulk
        import adds keys every batch, and forgetting every word each time made it widen every
        name afresh; the words are found through their shape, not by reading them all."""
        for token, phonetic in tokens:
            if not token or token in self._tokens:
                continue
            shape = (token[:1], len(token))
            self._by_shape.setdefault(shape, []).append(token)
            self._by_sound[phonetic] = (*self._by_sound.get(phonetic, ()), token)
            self._tokens.add(token)
            if self._wildcards is not None:
                for pattern in _patterns(token):
                    self._wildcards.setdefault(pattern, []).append(token)
            if self._trigrams is not None:
                self._trigrams.add((token,))
            self._similar = {}
            if not set(token) <= set(self._letters):
                self._letters = "".join(sorted(set(self._letters) | set(token)))
            for length in range(len(token) - 2, len(token) + 3):
                for cached in self._cached_by_shape.pop((token[:1], length), ()):
                    self._neighbours.pop(cached, None)
            front_swapped = _front_swapped(token)
            for edits in (1, 2):
                self._neighbours.pop((front_swapped, edits), None)

    def _rows(self) -> list[tuple[str, str, int]]:
        """(key, phonetic key, roles) of every stored key."""
        if db.session.get_bind().dialect.name == "postgresql":
            # The driver's rows: SQLAlchemy's took ten times as long for 124,000 keys.
            connection: Any = db.session.connection().connection.driver_connection
            rows: list[tuple[str, str, int]] = connection.execute(
                f"SELECT token, phonetic, CASE WHEN used_as_given THEN {GIVEN} ELSE 0 END "
                f"+ CASE WHEN used_as_family THEN {FAMILY} ELSE 0 END FROM name_tokens"
            ).fetchall()
            return rows
        columns = (NameToken.token, NameToken.phonetic, NameToken.used_as_given)
        return [
            (token, phonetic, (GIVEN if given else 0) | (FAMILY if family else 0))
            for token, phonetic, given, family in db.session.execute(
                select(*columns, NameToken.used_as_family)
            )
        ]

    def _load(self) -> tuple[dict[tuple[str, int], list[str]], dict[str, tuple[str, ...]]]:
        with self._lock:
            if time.monotonic() - self._loaded_at >= RELOAD_AFTER_SECONDS:
                rows = self._rows()
                stored = {token: roles for token, _, roles in rows}
                if self._loaded_at == float("-inf") or len(rows) < len(self._tokens):
                    # The first load, or keys went away (a database emptied): built afresh.
                    shapes: dict[tuple[str, int], list[str]] = {}
                    sounds: dict[str, list[str]] = {}
                    for token, phonetic, _ in rows:
                        shapes.setdefault((token[:1], len(token)), []).append(token)
                        sounds.setdefault(phonetic, []).append(token)
                    self._by_shape = shapes
                    self._by_sound = {key: tuple(found) for key, found in sounds.items()}
                    self._tokens = set(stored)
                    self._letters = "".join(sorted(set("".join(self._tokens))))
                    self._trigrams, self._similar = None, {}
                    self._neighbours, self._cached_by_shape = {}, {}
                    self._roles = {}
                    self._wildcards = self._wildcard_index() if self._wildcards_wanted else None
                else:
                    # Keys are only ever added: the others' new keys join the copy, and the
                    # cached neighbours they cannot reach stay.
                    self._add([(t, p) for t, p, _ in rows if t not in self._tokens])
                learned = self._roles
                self._stored_roles = stored
                self._roles = {**stored}
                for token, roles in learned.items():
                    self._roles[token] = self._roles.get(token, 0) | roles
                self._lacking = {}
                self._loaded_at = time.monotonic()
            return self._by_shape, self._by_sound

    def load(self) -> None:
        """Read the copy now unless it is fresh: a process about to fork workers that will
        all look words up gives them one copy (each read its own: about 0.2 s of CPU at
        35,000 keys)."""
        self._load()

    def index_edits(self) -> None:
        """Keep the keys by wildcard from now on (loading the copy if it is stale): a word's
        one-edit neighbours are then a few dictionary look-ups instead of a set look-up of
        every edit written out (four times faster at 34,000 keys). The index costs memory
        (an entry for every letter of every key) and a build (0.4 s at 34,000 keys), so
        only a process that widens many words asks for it: a bulk import's, before it forks
        its preparing processes (they inherit it)."""
        self._load()
        with self._lock:
            self._wildcards_wanted = True
            if self._wildcards is None:
                self._wildcards = self._wildcard_index()

    def _wildcard_index(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for token in self._tokens:
            for pattern in _patterns(token):
                index.setdefault(pattern, []).append(token)
        return index

    def neighbours(self, word: str, edits: int | None = None) -> set[str]:
        """Keys with the same first letter within ``edits`` edits of ``word`` (by default one
        for short words, else two), and the key with its first two letters swapped ("onah"
        for "noah"): the one edit that changes the first letter and is still a common typo."""
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
        front_swapped = _front_swapped(word)
        if front_swapped in self._tokens:
            found.add(front_swapped)
        if len(self._neighbours) >= CACHED_WORDS:
            self._neighbours.clear()
            self._cached_by_shape.clear()
        self._neighbours[(word, edits)] = tuple(found)
        self._cached_by_shape.setdefault((word[:1], len(word)), set()).add((word, edits))
        return found

    def _one_edit(self, word: str) -> set[str]:
        """Keys with ``word``'s first letter at most one edit (optimal string alignment: a
        letter left out, added, changed, or two neighbours swapped) from it: what an OSA scan
        of the buckets finds, from a few hundred set look-ups instead of thousands of
        comparisons (four times faster at 124,000 keys)."""
        wildcards = self._wildcards
        if wildcards is not None:
            return self._one_edit_indexed(word, wildcards)
        letters, first = self._letters, word[:1]
        # The first letter stays: a letter changed or added in front of the word is ``first``
        # (which gives the word itself, or ``first`` doubled) or is no key's.
        edited = [word, first + word]
        for i in range(len(word)):
            before, after = word[:i], word[i + 1 :]
            edited.append(before + after)
            if after:
                edited.append(before + after[0] + word[i] + after[1:])
            if i:
                edited += [before + letter + after for letter in letters]
                edited += [before + letter + word[i:] for letter in letters]
        edited += [word + letter for letter in letters]
        # The set looks the edits up (in C); the few found are then checked one by one.
        return {key for key in self._tokens.intersection(edited) if key[:1] == first}

    def _one_edit_indexed(self, word: str, wildcards: Mapping[str, list[str]]) -> set[str]:
        """``_one_edit`` through the wildcard index: a letter changed at ``i`` is a key of the
        pattern with ``_ANY`` at ``i``, a letter added at ``i`` a key of the word with ``_ANY``
        put in at ``i``; a letter left out, or two swapped, are looked up as written."""
        tokens, first = self._tokens, word[:1]
        found = {word} if word in tokens else set()
        for i in range(len(word)):
            before, after = word[:i], word[i + 1 :]
            if before + after in tokens:
                found.add(before + after)
            if after:
                swapped = before + after[0] + word[i] + after[1:]
                if swapped in tokens:
                    found.add(swapped)
            found.update(wildcards.get(f"{before}{_ANY}{after}", ()))
            found.update(wildcards.get(f"{before}{_ANY}{word[i:]}", ()))
        found.update(wildcards.get(word + _ANY, ()))
        return {key for key in found if key[:1] == first}

    def roles(self, token: str) -> int:
        """The roles ``token`` may have in a stored name (``BOTH`` for a key the copy lacks);
        call after a look-up that loads the copy (``neighbours``, ``same_sound``)."""
        return self._roles.get(token, BOTH)

    def role_table(self) -> Mapping[str, int]:
        """``roles`` of every key the copy holds, as one read-only mapping (a key it lacks has
        ``BOTH``), for callers that look up many keys; as ``roles``, call after a look-up
        that loads the copy."""
        return self._roles

    def lacking(self, role: int) -> AbstractSet[str]:
        """The keys the copy holds that have never had ``role`` (``GIVEN`` or ``FAMILY``), as
        one read-only set: ``wide - lacking(GIVEN)`` is a set operation where a look-up of
        every key in ``role_table`` was most of a record's widening (``realtime._by_role``).
        As ``roles``, call after a look-up that loads the copy."""
        keys = self._lacking.get(role)
        if keys is None:
            with self._lock:
                keys = self._lacking.get(role)
                if keys is None:
                    keys = {token for token, held in self._roles.items() if not held & role}
                    self._lacking[role] = keys
        return keys

    def stored_roles(self, tokens: Iterable[str]) -> dict[str, int]:
        """The roles the table held for ``tokens`` when last read (fresh if older than
        ``RELOAD_AFTER_SECONDS``): what a writer need not set again."""
        self._load()
        stored = self._stored_roles
        return {token: stored.get(token, 0) for token in tokens}

    def similar(self, word: str, nearest: int, same_sound: int) -> frozenset[str]:
        """The ``nearest`` keys closest to ``word`` in trigram similarity, and the
        ``same_sound`` closest of those with its Metaphone key: what the trigram index of
        ``name_tokens`` answers (``name_trigrams``), from this copy."""
        sounds = self._load()[1]
        # Kept in the dictionary of this copy's keys: a key added meanwhile replaces it.
        cache = self._similar
        cached = cache.get((word, nearest, same_sound))
        if cached is not None:
            return cached
        trigrams = self._trigram_index()
        shared = trigrams.shared(word)
        found = set(trigrams.nearest(word, nearest, shared))
        alike = sounds.get(normalize.phonetic_key(word), ())
        found.update(trigrams.nearest_among(alike, same_sound, shared))
        if len(cache) >= CACHED_WORDS:
            cache.clear()
        cache[(word, nearest, same_sound)] = frozenset(found)
        return frozenset(found)

    def _trigram_index(self) -> TrigramIndex:
        """The keys' trigram index, built from the copy's keys at the first call."""
        index = self._trigrams
        if index is None:
            with self._lock:
                index = self._trigrams
                if index is None:
                    index = TrigramIndex()
                    index.add(self._tokens)
                    self._trigrams = index
        return index

    def same_sound(self, phonetic: str) -> tuple[str, ...]:
        """Keys whose Metaphone key is ``phonetic`` (``normalize.phonetic_key``)."""
        return self._load()[1].get(phonetic, ()) if phonetic else ()


name_dictionary = _NameDictionary()
