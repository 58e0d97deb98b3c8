"""PROTOTYPE (bench only): cgcrm/citizens/search.py with the changes proposed in
docs/benchmarks.md, each marked ``# PROTOTYPE``. Diff it against the original to see the patch:

    diff -u cgcrm/citizens/search.py bench/search_prototype.py

1. similar_tokens also returns dictionary keys within a small edit distance (optimal string
   alignment, so a transposition counts 1) of the query word, from a per-process copy of the
   name dictionary bucketed by first letter. Trigram KNN misses these for short names:
   "hlal" shares a single trigram with "hall".
2. Family names of several words ("De Jong" -> key "dejong") are also matched against the
   query's trailing words joined ("Jilpian De Jonng" -> "dejonng").
3. Merged records are excluded in SQL and only ``limit`` citizens are loaded (not ``2 * limit``
   with every selectin child).

Typo-tolerant citizen search.

Fuzzy matching over a million people is slow when done row by row (DESIGN.md §7: ~300 ms and
poor recall). Instead, each query word is matched against the small dictionary of distinct name
keys (trigram nearest neighbours plus Metaphone equals), the citizens holding a (given, family)
pair of those keys are fetched through a b-tree, optionally blocked by date of birth and
postcode, and the few hundred candidates are ranked in Python with Jaro-Winkler. Emails, phones
and identifiers are matched exactly on their canonical forms.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler
from sqlalchemy import Select, or_, select, text

from cgcrm.citizens import normalize, record
from cgcrm.citizens.models import (
    Address,
    Citizen,
    CitizenName,
    ContactPoint,
    ExternalIdentifier,
    NameToken,
)
from cgcrm.core.audit import record_access
from cgcrm.core.principal import Actor
from cgcrm.extensions import db

NEIGHBOURS_PER_WORD = 12
PHONETIC_PER_WORD = 24
MAX_NAME_ROWS = 5000
KIND_WEIGHT = {"current": 1.0, "preferred": 0.98, "previous": 0.95}
# PROTOTYPE: edit-distance neighbours from an in-process copy of the dictionary.
DICTIONARY_TTL_SECONDS = 60.0
_dictionary_lock = threading.Lock()
_dictionary: tuple[float, dict[str, list[str]]] = (0.0, {})


def _dictionary_by_initial() -> dict[str, list[str]]:
    """Name keys grouped by first letter, reloaded at most once a minute per process."""
    global _dictionary
    loaded_at, buckets = _dictionary
    if time.monotonic() - loaded_at < DICTIONARY_TTL_SECONDS:
        return buckets
    with _dictionary_lock:
        fresh: dict[str, list[str]] = {}
        for token in db.session.scalars(select(NameToken.token)):
            fresh.setdefault(token[:1], []).append(token)
        _dictionary = (time.monotonic(), fresh)
    return fresh


def _edit_neighbours(word: str) -> set[str]:
    """Keys within 1 edit (words of up to 4 letters) or 2 edits of ``word``, same first letter."""
    bucket = _dictionary_by_initial().get(word[:1], [])
    max_edits = 1 if len(word) <= 4 else 2
    matches = process.extract(word, bucket, scorer=OSA.distance, score_cutoff=max_edits, limit=None)
    return {match[0] for match in matches}


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


def _similar_tokens_postgres(word: str) -> list[str]:
    rows = db.session.execute(
        text(
            "(SELECT token FROM name_tokens ORDER BY token <-> :word LIMIT :near) "
            "UNION "
            "(SELECT token FROM name_tokens WHERE phonetic = :phonetic "
            " ORDER BY token <-> :word LIMIT :phon)"
        ),
        {
            "word": word,
            "phonetic": normalize.phonetic_key(word),
            "near": NEIGHBOURS_PER_WORD,
            "phon": PHONETIC_PER_WORD,
        },
    )
    return [row[0] for row in rows]


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
    """Name keys close to ``word`` in spelling or sound, ``word`` itself included."""
    if db.session.get_bind().dialect.name == "postgresql":
        # PROTOTYPE: trigram/phonetic neighbours plus edit-distance neighbours.
        found = set(_similar_tokens_postgres(word)) | _edit_neighbours(word)
        return sorted(found | {word})
    return _similar_tokens_portable(word)


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


def _name_candidates(
    words: Sequence[str], date_of_birth: date | None, postcode: str | None
) -> dict[uuid.UUID, Hit]:
    columns = select(
        CitizenName.citizen_id, CitizenName.kind, CitizenName.given_key, CitizenName.family_key
    )
    if len(words) == 1:
        near = similar_tokens(words[0])
        query = columns.where(
            or_(CitizenName.family_key.in_(near), CitizenName.given_key.in_(near))
        )
    else:
        given_near, family_near = similar_tokens(words[0]), similar_tokens(words[-1])
        if len(words) > 2:
            # PROTOTYPE: "De Jong" is stored as one key, "dejong".
            family_near = sorted(set(family_near) | set(similar_tokens("".join(words[1:]))))
        query = columns.where(
            or_(
                CitizenName.family_key.in_(family_near) & CitizenName.given_key.in_(given_near),
                # "Smith John", as people say it at a counter.
                CitizenName.family_key.in_(given_near) & CitizenName.given_key.in_(family_near),
            )
        )
    rows = db.session.execute(_blocked(query, date_of_birth, postcode).limit(MAX_NAME_ROWS))

    hits: dict[uuid.UUID, Hit] = {}
    first, last = words[0], words[-1]
    joined_last = "".join(words[1:])  # PROTOTYPE: multi-word family names
    for citizen_id, kind, given_key, family_key in rows:
        if len(words) == 1:
            score = max(
                JaroWinkler.normalized_similarity(first, family_key),
                JaroWinkler.normalized_similarity(first, given_key) * 0.97,
            )
        else:
            family_similarity = JaroWinkler.normalized_similarity(last, family_key)
            if len(words) > 2:  # PROTOTYPE
                family_similarity = max(
                    family_similarity, JaroWinkler.normalized_similarity(joined_last, family_key)
                )
            in_order = (JaroWinkler.normalized_similarity(first, given_key) + family_similarity) / 2
            swapped = (
                JaroWinkler.normalized_similarity(first, family_key)
                + JaroWinkler.normalized_similarity(last, given_key)
            ) / 2
            score = max(in_order, swapped * 0.97)
        score *= KIND_WEIGHT.get(kind, 0.9)
        hit = hits.get(citizen_id)
        if hit is None or score > hit.score:
            hits[citizen_id] = Hit(
                citizen_id, score, {"previous_name" if kind == "previous" else "name"}
            )
    return hits


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
    if q:
        hits.update(_exact_candidates(q))
        words = normalize.query_tokens(q) if "@" not in q else []
        if words:
            for citizen_id, hit in _name_candidates(words, date_of_birth, postcode).items():
                if citizen_id not in hits:
                    hits[citizen_id] = hit
    else:
        hits = _blocking_only(date_of_birth, postcode)

    considered = len(hits)
    # PROTOTYPE: drop merged records with a cheap column query, then load only ``limit``.
    ordered = sorted(hits.values(), key=lambda h: (-h.score, h.citizen_id))
    ranked: list[Hit] = []
    window = limit * 2
    while ordered and len(ranked) < limit:
        batch, ordered = ordered[:window], ordered[window:]
        live = set(
            db.session.scalars(
                select(Citizen.id).where(
                    Citizen.id.in_([h.citizen_id for h in batch]), Citizen.status != "merged"
                )
            )
        )
        ranked += [h for h in batch if h.citizen_id in live][: limit - len(ranked)]
    citizens = {
        c.id: c
        for c in db.session.scalars(
            select(Citizen).where(Citizen.id.in_([h.citizen_id for h in ranked]))
        )
    }
    results: list[Hit] = []
    for hit in ranked:
        citizen = citizens.get(hit.citizen_id)
        if citizen is None or citizen.status == "merged":
            continue
        if date_of_birth is not None and citizen.date_of_birth == date_of_birth:
            hit.matched_on.add("date_of_birth")
        if postcode and any(
            a.postcode_key == normalize.postcode_key(postcode) for a in citizen.addresses
        ):
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
