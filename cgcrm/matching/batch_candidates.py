"""Candidates of many records at once (a bulk import's batch), on top of the engine's blocking.

``engine.find_candidates`` costs a record three round trips (name dictionary, probes, features)
and a plan each. A batch does the same work in a few statements for all its records:

1. every name word of the batch widened through the name dictionary in one round trip;
2. the engine's own probes (``blocking``) of every record, tagged with the record's position,
   in ``UNION ALL`` statements of ``PROBE_CHUNK`` records each;
3. the engine's ranking and keep rules per record, then ``load_features`` once for the union
   of the kept ids, and ``score_features`` in Python.

The probes are planned for their actual values (``plan_cache_mode = force_custom_plan``, for
the transaction only): after a few executions PostgreSQL may switch a prepared statement to a
generic plan, and for these ``= ANY(array) ... LIMIT`` probes that plan is ten times slower.

Lives beside the engine, not in it: it uses only what ``blocking``, ``store`` and ``engine``
already do; the answers are the engine's, per record.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, literal, select, text, union_all

from cgcrm.citizens.search import similar_tokens_of
from cgcrm.extensions import db
from cgcrm.matching import blocking
from cgcrm.matching.engine import MIN_CANDIDATE_WEIGHT, Candidate, score_features
from cgcrm.matching.model import active_model
from cgcrm.matching.normalise import Features, nickname_variants
from cgcrm.matching.store import load_features

# Records whose probes go in one statement: big enough to save round trips and planning
# overhead, small enough that one statement's plan stays quick to build.
PROBE_CHUNK = 5


def _widen_all(batch: Sequence[Features]) -> list[blocking._Keys]:
    """``blocking._widen`` of every record, with one dictionary round trip for the batch."""
    forms_of = [features.names[:2] for features in batch]
    words: set[str] = set()
    for forms in forms_of:
        for form in forms:
            words.update(w for w in (form.given, form.first_given, form.family) if w)
    near = similar_tokens_of(sorted(words))
    widened = []
    for forms in forms_of:
        given_words = {w for form in forms for w in (form.given, form.first_given) if w}
        family_words = {form.family for form in forms if form.family}
        given: set[str] = set()
        family: set[str] = set()
        for word in given_words:
            given |= set(near.get(word, ())) | nickname_variants(word)
        for word in family_words:
            family |= set(near.get(word, ()))
        widened.append(blocking._Keys(given, family, forms))
    return widened


def _probes(features: Features, keys: blocking._Keys) -> list[Select[Any]]:
    probes: list[Select[Any]] = []
    name = blocking._name_probe(keys)
    if name is not None:
        probes.append(name)
    if features.date_of_birth is not None:
        probes.append(blocking._dob_probe(features.date_of_birth))
    if features.postcodes:
        postcode = blocking._postcode_probe(features.postcodes, keys)
        if postcode is not None:
            probes.append(postcode)
    return probes + blocking._exact_probes(features)


def _kept(rows: list[tuple[uuid.UUID, str, str, str]], keys: blocking._Keys) -> list[uuid.UUID]:
    """The engine's ranking and keep rules (``blocking.candidate_ids``) over one record's rows."""
    found: dict[uuid.UUID, blocking.Probe] = {}
    by_source: dict[str, list[blocking.Probe]] = {}
    for citizen_id, given_key, family_key, source in rows:
        probe = found.get(citizen_id)
        if probe is None:
            probe = found[citizen_id] = blocking.Probe(citizen_id, set())
        if source not in probe.sources:
            probe.sources.add(source)
            by_source.setdefault(source, []).append(probe)
        if given_key or family_key:
            probe.rank = max(probe.rank, blocking._name_rank(keys.forms, given_key, family_key))
    kept: dict[uuid.UUID, None] = {}
    for source, keep in (
        ("name", blocking.KEEP_BY_NAME),
        ("date_of_birth", blocking.KEEP_BY_DOB),
        ("postcode", blocking.KEEP_BY_POSTCODE),
    ):
        ranked = sorted(by_source.get(source, ()), key=lambda p: -(p.rank + len(p.sources)))
        kept.update((p.citizen_id, None) for p in ranked[:keep])
    for source in blocking.EXACT_SOURCES:
        kept.update((p.citizen_id, None) for p in by_source.get(source, ()))
    return list(kept)


def candidate_ids_of(batch: Sequence[Features]) -> list[list[uuid.UUID]]:
    """``blocking.candidate_ids`` of every record of ``batch``, in a few statements.

    Runs inside the caller's transaction and does not commit.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    widened = _widen_all(batch)
    rows: list[list[tuple[uuid.UUID, str, str, str]]] = [[] for _ in batch]
    for start in range(0, len(batch), PROBE_CHUNK):
        tagged = []
        for position in range(start, min(start + PROBE_CHUNK, len(batch))):
            for probe in _probes(batch[position], widened[position]):
                inner = probe.subquery()
                tagged.append(select(literal(position).label("position"), *inner.c))
        if not tagged:
            continue
        statement = tagged[0] if len(tagged) == 1 else union_all(*tagged)
        for position, citizen_id, given_key, family_key, source in db.session.execute(statement):
            rows[position].append((citizen_id, given_key, family_key, source))
    return [_kept(found, keys) for found, keys in zip(rows, widened, strict=True)]


def find_candidates_of(batch: Sequence[Features], *, limit: int = 10) -> list[list[Candidate]]:
    """``engine.find_candidates`` of every record of ``batch``: candidates best first, each
    record's own; the features of all candidates loaded once."""
    ids_of = candidate_ids_of(batch)
    stored = load_features({i for ids in ids_of for i in ids})
    model = active_model.get()
    answers = []
    for features, ids in zip(batch, ids_of, strict=True):
        scored = []
        for citizen_id in ids:
            other = stored.get(citizen_id)
            if other is None:  # merged
                continue
            result = score_features(features, other, model)
            if result.weight > MIN_CANDIDATE_WEIGHT:
                scored.append(Candidate(citizen_id, result.score, result.band, result.explanation))
        scored.sort(key=lambda c: (-c.score, str(c.citizen_id)))
        answers.append(scored[:limit])
    return answers
