"""Typo-tolerant citizen search.

Fuzzy matching over a million people is slow when done row by row (DESIGN.md §7: ~300 ms and
poor recall). Instead, each query word is matched against the small dictionary of distinct name
keys (trigram nearest neighbours, Metaphone equals, and keys a typo or two away), the citizens
holding a (given, family) pair of those keys are fetched through a b-tree, optionally blocked by
date of birth and postcode, and the few hundred candidates are ranked in Python with
Jaro-Winkler. Only the best ``limit`` current (not merged) records are then loaded whole.
Emails, phones and identifiers are matched exactly on their canonical forms.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler
from sqlalchemy import Select, bindparam, func, or_, select, text, tuple_, union_all

from cgcrm.citizens import normalize, record
from cgcrm.citizens.models import (
    Address,
    Citizen,
    CitizenName,
    ContactPoint,
    ExternalIdentifier,
    NameToken,
)
from cgcrm.citizens.name_dictionary import BOTH, FAMILY, GIVEN, name_dictionary
from cgcrm.core.audit import record_access
from cgcrm.core.principal import Actor
from cgcrm.extensions import db

NEIGHBOURS_PER_WORD = 12
PHONETIC_PER_WORD = 24
MAX_NAME_ROWS = 5000
# A one-word search reads its keys in batches of 1, 2, 4... closest first (a few round trips).
FIRST_KEY_BATCH = 1
# A search of two words or more reads its (given, family) key pairs best first, in batches of
# 256, 512... pairs (most queries settle in the first).
FIRST_PAIR_BATCH = 256
# "Smith John" scores a little below "John Smith" for the query "John Smith"; a lone word a
# little less as a given name than as a family name.
SWAPPED_WEIGHT = 0.97
GIVEN_ALONE_WEIGHT = 0.97
KIND_WEIGHT = {"current": 1.0, "preferred": 0.98, "previous": 0.95}
# What a hit found on a name row matched, by the name's kind.
_NAME_MATCH = {"previous": "previous_name"}


@dataclass
class Hit:
    citizen_id: uuid.UUID
    score: float
    matched_on: set[str] = field(default_factory=set)
    citizen: Citizen | None = None


@dataclass
class SearchOutcome:
    results: list[Hit]
    candidates_considered: int


def _similar_tokens_postgres(words: Sequence[str]) -> dict[str, set[str]]:
    """Trigram and phonetic neighbours of several words in one statement (one round trip)."""
    parts: list[str] = []
    params: dict[str, Any] = {"near": NEIGHBOURS_PER_WORD, "phon": PHONETIC_PER_WORD}
    for index, word in enumerate(words):
        parts.append(
            f"SELECT {index}, token FROM ((SELECT token FROM name_tokens "
            f"ORDER BY token <-> :w{index} LIMIT :near) UNION (SELECT token FROM name_tokens "
            f"WHERE phonetic = :p{index} ORDER BY token <-> :w{index} LIMIT :phon)) AS n{index}"
        )
        params[f"w{index}"] = word
        params[f"p{index}"] = normalize.phonetic_key(word)
    found: dict[str, set[str]] = {word: set() for word in words}
    for index, token in db.session.execute(text(" UNION ALL ".join(parts)), params):
        found[words[index]].add(token)
    return found


def _similar_tokens_portable(word: str) -> list[str]:
    """SQLite has no trigram index: rank the whole dictionary in Python (fine at demo scale)."""
    tokens = dict(db.session.execute(select(NameToken.token, NameToken.phonetic)).tuples().all())
    near = process.extract(
        word, list(tokens), scorer=JaroWinkler.normalized_similarity, limit=NEIGHBOURS_PER_WORD
    )
    phonetic = normalize.phonetic_key(word)
    same_sound = [t for t, p in tokens.items() if p == phonetic][:PHONETIC_PER_WORD]
    return sorted({match[0] for match in near} | set(same_sound) | {word})


def similar_tokens(word: str) -> list[str]:
    """Name keys close to ``word`` in spelling or sound, ``word`` itself included.

    On PostgreSQL the trigram and phonetic neighbours come from the per-process dictionary,
    as the index would give them (``name_trigrams``; keys at equal distance may be others
    than the index picked): the two look-ups cost a search about 32 ms at 125,000 keys, this
    a few. A key written by another process in the last minute is found as typed, and with
    a typo once this process reloads its copy (``name_dictionary``).
    """
    if not word:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        near = name_dictionary.similar(word, NEIGHBOURS_PER_WORD, PHONETIC_PER_WORD)
        return sorted(near | name_dictionary.neighbours(word) | {word})
    return _similar_tokens_portable(word)


def similar_tokens_of(words: Sequence[str]) -> dict[str, list[str]]:
    """``similar_tokens`` of several words, found together (the matcher widens every name
    part of a record at once), the trigram and phonetic neighbours from the index itself
    (one round trip): the matcher's candidates are measured against its answers."""
    words = list(dict.fromkeys(w for w in words if w))
    if not words:
        return {}
    if db.session.get_bind().dialect.name == "postgresql":
        near = _similar_tokens_postgres(words)
        return {
            word: sorted(near[word] | name_dictionary.neighbours(word) | {word}) for word in words
        }
    return {word: _similar_tokens_portable(word) for word in words}


def _blocked(query: Select[Any], date_of_birth: date | None, postcode: str | None) -> Select[Any]:
    if date_of_birth is not None:
        query = query.join(Citizen, Citizen.id == CitizenName.citizen_id).where(
            or_(Citizen.date_of_birth == date_of_birth, Citizen.date_of_birth.is_(None))
        )
    if postcode:
        query = query.where(
            CitizenName.citizen_id.in_(
                select(Address.citizen_id).where(
                    Address.postcode_key == normalize.postcode_key(postcode)
                )
            )
        )
    return query


NameRows = Sequence[Any]
# Each batch of name rows read, and the most any row still unread can score (None: unknown).
# Reading stops once the best ``limit`` current hits all score above it.
NameBatches = Iterator[tuple[NameRows, float | None]]


def _name_batches(
    words: Sequence[str], date_of_birth: date | None, postcode: str | None
) -> NameBatches:
    columns = select(
        CitizenName.citizen_id, CitizenName.kind, CitizenName.given_key, CitizenName.family_key
    )
    if len(words) == 1:
        return _one_word_batches(words[0], columns, date_of_birth, postcode)
    given_near, family_near = similar_tokens(words[0]), similar_tokens(words[-1])
    if len(words) > 2:
        # A family name of several words ("De Jong") is one key, "dejong".
        family_near = sorted({*family_near, *similar_tokens("".join(words[1:]))})
    return _pair_batches(words, given_near, family_near, columns, date_of_birth, postcode)


def _pair_scores(
    words: Sequence[str], given_near: Sequence[str], family_near: Sequence[str]
) -> list[tuple[float, str, str]]:
    """(score, given key, family key) of every pair a name row may hold to match: a given
    key near the first word and a family key near the last, or the other way round ("Smith
    John", as people say it at a counter), best first.

    Only keys that have been a given name are paired as one, and likewise family names
    (``name_dictionary.roles``; the typed words in both, whatever the copy says): a key
    near "John" that only families have had makes no pair with the family keys. The score is
    ``_name_score``'s for a current name (the same sums in the same order), the most a row of
    that pair can score; each key's similarities are computed once, not once per pair.
    """
    first, last = words[0], words[-1]
    typed = {*words, "".join(words[1:])}
    keys = {*given_near, *family_near}
    as_first = {key: JaroWinkler.normalized_similarity(first, key) for key in keys}
    as_last = {key: JaroWinkler.normalized_similarity(last, key) for key in keys}
    as_family = as_last
    if len(words) > 2:
        joined_last = "".join(words[1:])
        as_family = {
            key: max(as_last[key], JaroWinkler.normalized_similarity(joined_last, key))
            for key in keys
        }

    def held_as(role: int, near: Sequence[str]) -> list[str]:
        return [key for key in near if key in typed or name_dictionary.roles(key) & role]

    # (-score, given, family): sorted as they are, best first, then by spelling.
    pairs: list[tuple[float, str, str]] = []
    in_order_given = set(held_as(GIVEN, given_near))
    in_order_family = set(held_as(FAMILY, family_near))
    for swapped, (givens, families) in enumerate(
        ((given_near, family_near), (family_near, given_near))
    ):
        paired = [(key, as_family[key], as_first[key]) for key in held_as(FAMILY, families)]
        for given in held_as(GIVEN, givens):
            first_given, last_given = as_first[given], as_last[given]
            # Each pair once: swapped, a given key near the first word already made its pairs
            # with the family keys near the last.
            twice = swapped and given in in_order_given
            pairs += [
                (
                    -max(
                        (first_given + family_as_family) / 2,
                        (family_as_first + last_given) / 2 * SWAPPED_WEIGHT,
                    ),
                    given,
                    family,
                )
                for family, family_as_family, family_as_first in paired
                if not (twice and family in in_order_family)
            ]
    pairs.sort()
    return [(-score, given, family) for score, given, family in pairs]


def _pair_batches(
    words: Sequence[str],
    given_near: Sequence[str],
    family_near: Sequence[str],
    columns: Select[Any],
    date_of_birth: date | None,
    postcode: str | None,
) -> NameBatches:
    """The name rows holding a (given, family) pair of near keys, the best pairs first.

    ``family IN F AND given IN G`` (or swapped) made PostgreSQL descend the b-tree once per
    pair, |F| x |G| each way (3,600 descents for a typo of two five-letter words), and plan
    an estimate per listed key. A few hundred best pairs at a time are joined to the index
    instead, until the best hits are settled. Up to ``MAX_NAME_ROWS`` rows are read.
    """
    pairs = _pair_scores(words, given_near, family_near)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    # Blocked by date of birth or postcode, a pair holds a person or none: the best hits
    # settle only once every pair is read, so all are read at once.
    blocked = date_of_birth is not None or bool(postcode)
    read, start, size = 0, 0, len(pairs) if blocked else FIRST_PAIR_BATCH
    while start < len(pairs) and read < MAX_NAME_ROWS:
        batch = pairs[start : start + size]
        start, size = start + size, size * 2
        if postgres:
            wanted = (
                func.unnest(
                    func.string_to_array(bindparam("givens", _listed(g for _, g, _ in batch)), ","),
                    func.string_to_array(
                        bindparam("families", _listed(f for _, _, f in batch)), ","
                    ),
                )
                .table_valued("given_key", "family_key")
                .render_derived(name="pairs")
            )
            query = columns.select_from(wanted).join(
                CitizenName,
                (CitizenName.family_key == wanted.c.family_key)
                & (CitizenName.given_key == wanted.c.given_key),
            )
        else:
            query = columns.where(
                tuple_(CitizenName.given_key, CitizenName.family_key).in_(
                    [(given, family) for _, given, family in batch]
                )
            )
        limited = _blocked(query, date_of_birth, postcode).limit(MAX_NAME_ROWS - read)
        rows = db.session.execute(limited).all()
        read += len(rows)
        yield rows, (pairs[start][0] if start < len(pairs) else None)


def _listed(keys: Iterable[str]) -> str:
    """Name keys (letters only) as one comma-separated text: the driver checks each item of an
    array it sends for characters to quote, thousands a search."""
    return ",".join(keys)


def _one_word_batches(
    word: str, columns: Select[Any], date_of_birth: date | None, postcode: str | None
) -> NameBatches:
    """The name rows whose family or given key is near ``word``, closest keys first.

    Each batch of keys is read as two index-only scans (the indexes carry the kind, migration
    0029), each row with the batch of the closer of its two keys. An OR is answered by a
    bitmap of both indexes and a heap page per row: 3,000-4,000 pages for a prefix typed in
    the console. Up to ``MAX_NAME_ROWS`` rows are read, the closest keys' first (where more
    match, the OR read whichever rows its heap pages held first), in one statement (a
    round trip a batch cost each prefix typed six). No bound is given: a row
    found through a near key may hold another key, near the word in no list, that scores
    more ("wei wang" for "wwa", through "wei").
    """
    near = similar_tokens(word)
    closeness = {key: JaroWinkler.normalized_similarity(word, key) for key in near}
    by_closeness = sorted(near, key=lambda key: (-closeness[key], key))
    # Only the keys that have been a family name are looked for as one, and likewise given
    # names (``_pair_scores``): the rows are the same, from fewer index probes.
    held = {key: BOTH if key == word else name_dictionary.roles(key) for key in near}
    families = [key for key in by_closeness if held[key] & FAMILY]
    givens = [key for key in by_closeness if held[key] & GIVEN]
    parts: list[Select[Any]] = []
    start, size = 0, FIRST_KEY_BATCH
    while start < len(by_closeness):
        read_before, batch = set(by_closeness[:start]), set(by_closeness[start : start + size])
        start, size = start + size, size * 2
        # A row is read with the batch of the closer of its two keys, and only there.
        by_family = columns.where(
            CitizenName.family_key.in_([key for key in families if key in batch]),
            CitizenName.given_key.not_in([key for key in givens if key in read_before]),
        )
        by_given_only = columns.where(
            CitizenName.given_key.in_([key for key in givens if key in batch]),
            CitizenName.family_key.not_in(
                [key for key in families if key in batch or key in read_before]
            ),
        )
        parts += [
            _blocked(by_family, date_of_birth, postcode),
            _blocked(by_given_only, date_of_birth, postcode),
        ]
    if not parts:
        return
    # One statement: PostgreSQL appends the batches' scans in order and stops at the limit.
    yield db.session.execute(union_all(*parts).limit(MAX_NAME_ROWS)).all(), None


# Each citizen's best name row: its score, the kind of name it is, and the citizen's id, by
# the id's integer (a UUID hashes in Python, and a search keeps thousands).
NameHits = dict[int, tuple[float, str, uuid.UUID]]


def _name_hits(
    words: Sequence[str],
    date_of_birth: date | None,
    postcode: str | None,
    found: dict[uuid.UUID, Hit],
    limit: int,
) -> NameHits:
    """Each citizen's best name row, read until no row left unread can change the best
    ``limit`` current hits (together with those ``found`` already: emails, phones, ids)."""
    best: NameHits = {}
    score_of = _row_scorer(words)
    for rows, bound in _name_batches(words, date_of_birth, postcode):
        for citizen_id, kind, given_key, family_key in rows:
            score = score_of(kind, given_key, family_key)
            held = best.get(citizen_id.int)
            if held is None or score > held[0]:
                best[citizen_id.int] = (score, kind, citizen_id)
        if bound is not None and _settled(best, found, bound, limit):
            break
    return best


def _row_scorer(words: Sequence[str]) -> Callable[[str, str, str], float]:
    """``_name_score`` of a name row's (kind, given key, family key) for these words, each
    key's similarity to each word computed once. A one-word search scores up to 5,000 rows
    of a few thousand distinct keys: its score is worked out here in line, with the same
    operations in the same order (the same number)."""
    if len(words) > 1:
        similarity = _Similarity()
        # Thousands of rows share a few hundred (kind, given, family) keys: each scored once.
        scores: dict[tuple[str, str, str], float] = {}

        def pair_score(kind: str, given_key: str, family_key: str) -> float:
            score = scores.get((kind, given_key, family_key))
            if score is None:
                score = _name_score(words, kind, given_key, family_key, similarity)
                scores[(kind, given_key, family_key)] = score
            return score

        return pair_score
    word = words[0]
    known: dict[str, float] = {}

    def word_score(kind: str, given_key: str, family_key: str) -> float:
        as_family = known.get(family_key)
        if as_family is None:
            as_family = known[family_key] = JaroWinkler.normalized_similarity(word, family_key)
        as_given = known.get(given_key)
        if as_given is None:
            as_given = known[given_key] = JaroWinkler.normalized_similarity(word, given_key)
        return max(as_family, as_given * GIVEN_ALONE_WEIGHT) * KIND_WEIGHT.get(kind, 0.9)

    return word_score


def _settled(best: NameHits, found: dict[uuid.UUID, Hit], bound: float, limit: int) -> bool:
    """Whether the best ``limit`` current hits all score above ``bound``."""
    above = {key: (score, cid) for key, (score, _, cid) in best.items() if score > bound}
    above.update((cid.int, (hit.score, cid)) for cid, hit in found.items() if hit.score > bound)
    return len(above) >= limit and len(_current(_ranked(above), limit)) == limit


def _ranked(scores: dict[int, tuple[float, uuid.UUID]]) -> list[uuid.UUID]:
    """Best score first, then oldest id (compared as the integer it is, in C: thousands of
    hits tie, and a UUID compares in Python)."""
    return [cid for _, _, cid in sorted((-score, key, cid) for key, (score, cid) in scores.items())]


class _Similarity:
    """Jaro-Winkler similarity of a query's word to a name key, each pair computed once."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], float] = {}

    def __call__(self, word: str, key: str) -> float:
        known = self._known.get((word, key))
        if known is None:
            known = self._known[(word, key)] = JaroWinkler.normalized_similarity(word, key)
        return known


def _name_score(
    words: Sequence[str],
    kind: str,
    given_key: str,
    family_key: str,
    similarity: Callable[[str, str], float] = JaroWinkler.normalized_similarity,
) -> float:
    """How well a name row's keys match the query's words (Jaro-Winkler, either order)."""
    first, last = words[0], words[-1]
    if len(words) == 1:
        score = max(
            similarity(first, family_key), similarity(first, given_key) * GIVEN_ALONE_WEIGHT
        )
    else:
        family = similarity(last, family_key)
        if len(words) > 2:
            joined_last = "".join(words[1:])
            family = max(family, similarity(joined_last, family_key))
        in_order = (similarity(first, given_key) + family) / 2
        swapped = (similarity(first, family_key) + similarity(last, given_key)) / 2
        score = max(in_order, swapped * SWAPPED_WEIGHT)
    return score * KIND_WEIGHT.get(kind, 0.9)


def _exact_candidates(q: str) -> dict[uuid.UUID, Hit]:
    """Citizens whose email, phone or identifier is exactly what was typed."""
    hits: dict[uuid.UUID, Hit] = {}
    region = current_app.config["DEFAULT_PHONE_REGION"]
    probes: list[tuple[str, Any]] = []
    if "@" in q:
        try:
            email = normalize.normalise_email(q)
            probes.append(("email", ContactPoint.value == email))
        except ValueError:
            probes.append(("email", ContactPoint.value == q.lower()))
    phone = normalize.try_phone(q, region)
    if phone:
        probes.append(("phone", ContactPoint.value == phone))
    for matched_on, condition in probes:
        for citizen_id in db.session.scalars(
            select(ContactPoint.citizen_id).where(condition).limit(50)
        ):
            hits.setdefault(citizen_id, Hit(citizen_id, 1.0)).matched_on.add(matched_on)
    system, sep, value = q.partition(":")
    conditions = [ExternalIdentifier.value_index == record.identifier_index(q)]
    if sep and value:
        conditions.append(
            (ExternalIdentifier.system == system.strip().upper())
            & (ExternalIdentifier.value_index == record.identifier_index(value))
        )
    if any(ch.isdigit() for ch in q):
        for citizen_id in db.session.scalars(
            select(ExternalIdentifier.citizen_id).where(or_(*conditions)).limit(50)
        ):
            hits.setdefault(citizen_id, Hit(citizen_id, 1.0)).matched_on.add("identifier")
    return hits


def _blocking_only(date_of_birth: date | None, postcode: str | None) -> dict[uuid.UUID, Hit]:
    query = select(Citizen.id)
    if date_of_birth is not None:
        query = query.where(Citizen.date_of_birth == date_of_birth)
    if postcode:
        query = query.where(
            Citizen.id.in_(
                select(Address.citizen_id).where(
                    Address.postcode_key == normalize.postcode_key(postcode)
                )
            )
        )
    return {cid: Hit(cid, 0.5) for cid in db.session.scalars(query.limit(MAX_NAME_ROWS))}


def _current(ranked: list[uuid.UUID], limit: int) -> list[uuid.UUID]:
    """The best ``limit`` citizens whose record is not merged, checked on ids alone, a window
    at a time, so that only the records returned are loaded whole."""
    current: list[uuid.UUID] = []
    window = limit * 2
    for start in range(0, len(ranked), window):
        batch = ranked[start : start + window]
        live = set(
            db.session.scalars(
                select(Citizen.id).where(Citizen.id.in_(batch), Citizen.status != "merged")
            )
        )
        current += [cid for cid in batch if cid in live][: limit - len(current)]
        if len(current) == limit:
            break
    return current


def search_citizens(
    actor: Actor,
    *,
    q: str | None,
    date_of_birth: date | None = None,
    postcode: str | None = None,
    limit: int = 20,
) -> SearchOutcome:
    """Rank citizens by how well they match ``q``, blocked by date of birth and postcode.

    Returned citizens are audited as found. Merged records are left out: their survivor is
    found instead.
    """
    q = (q or "").strip()
    hits: dict[uuid.UUID, Hit] = {}
    named: NameHits = {}
    if q:
        hits = _exact_candidates(q)
        words = normalize.query_tokens(q) if "@" not in q else []
        if words:
            named = _name_hits(words, date_of_birth, postcode, hits, limit)
    else:
        hits = _blocking_only(date_of_birth, postcode)
    scores = {key: (score, cid) for key, (score, _, cid) in named.items()}
    scores.update((cid.int, (hit.score, cid)) for cid, hit in hits.items())

    considered = len(scores)
    ranked = [
        hits.get(cid) or Hit(cid, scores[cid.int][0], {_NAME_MATCH.get(named[cid.int][1], "name")})
        for cid in _current(_ranked(scores), limit)
    ]
    citizens = {
        c.id: c
        for c in db.session.scalars(
            select(Citizen).where(Citizen.id.in_([h.citizen_id for h in ranked]))
        )
    }
    wanted_postcode = normalize.postcode_key(postcode) if postcode else None
    results: list[Hit] = []
    for hit in ranked:
        citizen = citizens.get(hit.citizen_id)
        if citizen is None or citizen.status == "merged":
            continue
        if date_of_birth is not None and citizen.date_of_birth == date_of_birth:
            hit.matched_on.add("date_of_birth")
        if wanted_postcode and any(a.postcode_key == wanted_postcode for a in citizen.addresses):
            hit.matched_on.add("postcode")
        hit.citizen = citizen
        hit.score = round(hit.score, 4)
        results.append(hit)
        if len(results) == limit:
            break
    try:
        record_access(actor, "citizen.found", [h.citizen_id for h in results])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return SearchOutcome(results=results, candidates_considered=considered)
