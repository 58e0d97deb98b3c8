"""Candidates of a whole batch of records (a bulk import's) in one set-based statement.

The real-time match (``realtime``) answers one record in one statement; a thousand records
that way are a thousand statements, each planned, each a round trip. Here the same probes are
written once for the whole batch: every record's probe keys (its name parts as written and as
``realtime`` widens them, dates of birth, postcodes, emails, phones, identifiers) are flattened
into a few arrays of ``(position, key)`` and ``unnest``-ed, and joined to the covering indexes
of migration 0016 (``citizen_names`` by (family, given) and (given, family), ``citizens`` by
date of birth, ``contact_points`` by value, ``external_identifiers`` by value index,
``addresses`` by postcode). What each record found is ranked as ``realtime`` ranks it (trigram
similarity of the name keys, date of birth, postcode) and the best ``keep`` per record, plus
every record an email, phone or identifier found, come back as ``(position, citizen_id)``.
Their features are then loaded once for the batch (``store.load_features``) and scored in
Python by the engine (``engine.score_features``): the scores and bands are the engine's.

The statement is planned for its actual arrays (``plan_cache_mode = force_custom_plan``, for
the transaction only): after a few executions PostgreSQL may switch a prepared statement to a
generic plan, which cannot know that an array holds thousands of keys and picks nested loops
that are ten times slower.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, BindParameter, Date, Integer, String, bindparam, text

from cgcrm.core.driver import execute_prepared
from cgcrm.extensions import db
from cgcrm.matching import realtime
from cgcrm.matching.engine import MIN_CANDIDATE_WEIGHT, Candidate
from cgcrm.matching.model import active_model
from cgcrm.matching.normalise import (
    AddressForm,
    Features,
    NameForm,
    address_form_of,
    distinct,
    name_form,
    name_words,
)
from cgcrm.matching.scoring import best_of, score_batch

# Stored records scored per row of the batch, besides every one an exact value found: as many
# as the real-time match scores, so a row's candidates are the ones it would get through
# ``POST /api/v1/citizens/match``. Against the real-time match's best candidate, record by
# record (half of them corrupted copies of stored people), keeping 20 agreed on every one of
# 3,000 records at 100,000 citizens and of 1,000 at 1,000,000. Fewer is cheaper (each costs a
# load and a score) but not the same: keeping 6 missed "Betty Johnson" for "Elizabeth
# Johnson" (a nickname ranks low on trigrams, and the name is common) and a possible in 1,000;
# keeping 2 missed 4 possibles in 1,000 at 1,000,000.
KEEP = realtime.KEEP
# Rows one record's postcode probe may return, as the real-time probe's.
POSTCODE_ROWS = realtime.NAME_ROWS

_NAME_RANK = """greatest(
      similarity({t}.given_key, r.given) + similarity({t}.family_key, r.family),
      0.98 * (similarity({t}.given_key, r.family) + similarity({t}.family_key, r.given)))"""

# Each list of keys is its own array of (position, key), so the planner knows its length.
_KEY_LISTS = {
    "given_exact": "given parts as written",
    "family_exact": "family parts as written",
    "lone": "the one part of a record that lacks the other",
    "given_known": "given parts and their nicknames",
    "postcode_probe": "postcodes of records no email, phone or identifier can find",
    "given_wide_as_given": "given parts widened (typos, sounds, nicknames), as given names",
    "given_wide_as_family": "given parts widened, as family names",
    "family_wide_as_family": "family parts widened (typos, sounds), as family names",
    "family_wide_as_given": "family parts widened, as given names",
    "contacts": "emails and phones",
    "identifiers": "identifier value indexes",
}


# The lists of keys reach PostgreSQL as one string each, split there (``_joined``): psycopg
# writes a list parameter element by element in Python, and these hold tens of thousands.
# Their keys are never empty and hold no unit separator (U+001F): name keys are letters,
# postcode keys, emails, phones and identifier hashes hold no control character.
_SEPARATOR = "\x1f"


def _keys(name: str) -> str:
    return (
        f"{name} AS MATERIALIZED (SELECT * FROM unnest("
        f"CAST(string_to_array(:{name}_pos, ',') AS int[]), "
        f"string_to_array(:{name}_key, chr(31))) AS t(pos, key))"
    )


_CANDIDATES = f"""
WITH r AS MATERIALIZED (
  SELECT * FROM unnest(CAST(:r_pos AS int[]), CAST(:r_given AS text[]),
                       CAST(:r_family AS text[]), CAST(:r_dob AS date[]),
                       CAST(:r_swapped AS date[]), CAST(:r_year AS int[]),
                       CAST(:r_postcodes AS text[]), CAST(:r_givens AS text[]),
                       CAST(:r_families AS text[]), CAST(:r_known AS text[]))
    AS t(pos, given, family, dob, swapped, birth_year, postcodes, givens, families, known)
), {", ".join(_keys(name) for name in _KEY_LISTS)},
exact_roles AS MATERIALIZED (
  -- The roles the records' own words have had, read in this statement's snapshot (as
  -- ``realtime`` reads them); a word never stored has both.
  SELECT w.key,
    coalesce(t.used_as_given, true) AS as_given, coalesce(t.used_as_family, true) AS as_family
  FROM (SELECT key FROM family_exact UNION SELECT key FROM given_exact) w
    -- The first key from the word on, in the primary key's order (as ``realtime``: an
    -- equality was planned on the trigram index).
    LEFT JOIN LATERAL (SELECT n.token, n.used_as_given, n.used_as_family FROM name_tokens n
      WHERE n.token >= w.key ORDER BY n.token LIMIT 1) t ON t.token = w.key
), pairs AS MATERIALIZED (
  -- One part as written, the other widened: a (family, given) pair to look up as written,
  -- only if each key has had its role in it (the widened keys' roles from the process's
  -- dictionary, ``realtime._by_role``): a pair of keys that never had those roles finds
  -- nobody, and the probes of such pairs were most of the statement's name look-ups.
  SELECT f.pos, f.key AS family, g.key AS given FROM family_exact f
    JOIN exact_roles e ON e.key = f.key AND e.as_family
    JOIN given_wide_as_given g ON g.pos = f.pos
  UNION ALL  -- a pair found both ways only finds its people twice (sorting them out cost more)
  SELECT g.pos, w.key, g.key FROM given_exact g
    JOIN exact_roles e ON e.key = g.key AND e.as_given
    JOIN family_wide_as_family w ON w.pos = g.pos
), swapped_pairs AS MATERIALIZED (
  -- The same read the other way round (the given name stored as the family name and back).
  SELECT f.pos, f.key AS family, g.key AS given FROM family_exact f
    JOIN exact_roles e ON e.key = f.key AND e.as_given
    JOIN given_wide_as_family g ON g.pos = f.pos
  UNION ALL
  SELECT g.pos, w.key, g.key FROM given_exact g
    JOIN exact_roles e ON e.key = g.key AND e.as_family
    JOIN family_wide_as_given w ON w.pos = g.pos
), name_hits AS (
  SELECT p.pos, n.citizen_id, n.given_key, n.family_key FROM pairs p
    JOIN citizen_names n ON n.family_key = p.family AND n.given_key = p.given
  UNION ALL
  SELECT p.pos, n.citizen_id, n.given_key, n.family_key FROM swapped_pairs p
    JOIN citizen_names n ON n.given_key = p.family AND n.family_key = p.given
  UNION ALL
  SELECT l.pos, n.citizen_id, n.given_key, n.family_key FROM lone l
    JOIN citizen_names n ON n.given_key = l.key
  UNION ALL
  SELECT l.pos, n.citizen_id, n.given_key, n.family_key FROM lone l
    JOIN citizen_names n ON n.family_key = l.key
  UNION ALL
  -- People at the postcode of a record no exact value can find, with a name part as written
  -- (or a nickname of the given part): per record, bounded as the real-time probe is (a
  -- hash of every address of the batch's postcodes grew with the population). The name
  -- conditions are index-only probes each, as the real-time probe's (an OR of them was
  -- planned as a bitmap scan reading every found name's heap page).
  SELECT p.pos, h.citizen_id, h.given_key, h.family_key FROM postcode_probe p
    JOIN r ON r.pos = p.pos
    CROSS JOIN LATERAL (
      SELECT n.citizen_id, n.given_key, n.family_key FROM addresses a
        JOIN (
          SELECT citizen_id, given_key, family_key FROM citizen_names
            WHERE given_key = ANY(string_to_array(r.known, '|'))
          UNION ALL
          SELECT citizen_id, given_key, family_key FROM citizen_names
            WHERE family_key = ANY(string_to_array(r.families, '|'))
          UNION ALL
          SELECT citizen_id, given_key, family_key FROM citizen_names
            WHERE given_key = ANY(string_to_array(r.families, '|'))
          UNION ALL
          SELECT citizen_id, given_key, family_key FROM citizen_names
            WHERE family_key = ANY(string_to_array(r.givens, '|'))
        ) n ON n.citizen_id = a.citizen_id
        WHERE a.postcode_key = p.key
        LIMIT {POSTCODE_ROWS}) h
), pool AS (
  SELECT h.pos, h.citizen_id, max({_NAME_RANK.format(t="h")}) AS name_rank, false AS by_value
    FROM name_hits h JOIN r ON r.pos = h.pos
    GROUP BY h.pos, h.citizen_id
  UNION ALL
  SELECT r.pos, c.id, coalesce(
      (SELECT max({_NAME_RANK.format(t="n")}) FROM citizen_names n WHERE n.citizen_id = c.id),
      0), false
    FROM r JOIN citizens c ON c.date_of_birth = ANY(ARRAY[r.dob, r.swapped])
  UNION ALL
  -- Each value one index probe: joined, the planner hashed every stored contact point (a
  -- sequential scan that grows with the population) for a thousand or two values.
  SELECT v.pos, p.citizen_id, 0, true FROM contacts v
    CROSS JOIN LATERAL (SELECT p.citizen_id FROM contact_points p WHERE p.value = v.key
      OFFSET 0) p
  UNION ALL
  SELECT v.pos, i.citizen_id, 0, true FROM identifiers v
    JOIN external_identifiers i ON i.value_index = v.key
), dated AS (
  SELECT f.pos, f.citizen_id, f.by_value,
    f.name_rank
    + CASE WHEN c.date_of_birth = r.dob THEN 1.5
           WHEN c.date_of_birth = r.swapped THEN 1.2
           WHEN extract(year FROM c.date_of_birth) = r.birth_year THEN 0.3
           ELSE 0 END AS rank
  FROM (SELECT pos, citizen_id, max(name_rank) AS name_rank, bool_or(by_value) AS by_value
          FROM pool GROUP BY pos, citizen_id) f
    JOIN r ON r.pos = f.pos JOIN citizens c ON c.id = f.citizen_id
  WHERE c.status <> 'merged'
), bar AS (
  -- The postcode adds 0.5 at most: only a record within 0.5 of the keep-th best can reach
  -- the kept few, so only those have their addresses read.
  SELECT *, nth_value(rank, :keep) OVER (PARTITION BY pos ORDER BY rank DESC
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS kth
  FROM dated
), ranked AS (
  SELECT b.pos, b.citizen_id, b.by_value,
    row_number() OVER (PARTITION BY b.pos ORDER BY
      b.rank
      + CASE WHEN r.postcodes <> '' AND EXISTS (
               SELECT 1 FROM addresses a WHERE a.citizen_id = b.citizen_id
                 AND a.postcode_key = ANY(string_to_array(r.postcodes, '|')))
             THEN 0.5 ELSE 0 END DESC, b.citizen_id) AS place
  FROM bar b JOIN r ON r.pos = b.pos
  WHERE b.kth IS NULL OR b.rank + 0.5 >= b.kth
)
SELECT pos, citizen_id FROM ranked WHERE place <= :keep
UNION
SELECT pos, citizen_id FROM dated WHERE by_value
"""

# Each stored candidate once, with the rows it is a candidate of and its features: each list
# one string, its items split by the record separator (U+001E) and their parts by the unit
# separator (U+001F), control characters that no stored text holds (``core.text_rules``).
# Parsing those is a split; the JSON or array columns of ``store`` cost several times more.
_WITH_FEATURES = f"""
{_CANDIDATES.rstrip().rsplit("SELECT pos, citizen_id FROM ranked", 1)[0]},
kept AS (
  SELECT pos, citizen_id FROM ranked WHERE place <= :keep
  UNION
  SELECT pos, citizen_id FROM dated WHERE by_value
)
SELECT k.positions, c.id, c.date_of_birth, c.middle_names,
  (SELECT string_agg(concat_ws(chr(31), n.kind, coalesce(n.given_name, ''),
                               coalesce(n.family_name, '')), chr(30) ORDER BY n.position)
     FROM citizen_names n WHERE n.citizen_id = c.id),
  (SELECT string_agg(concat_ws(chr(31), p.kind, p.value), chr(30))
     FROM contact_points p WHERE p.citizen_id = c.id),
  (SELECT string_agg(concat_ws(chr(31), coalesce(a.line1, ''), coalesce(a.line2, ''),
                               coalesce(a.locality, ''), coalesce(a.postcode, '')),
                     chr(30) ORDER BY a.position)
     FROM addresses a WHERE a.citizen_id = c.id),
  (SELECT string_agg(concat_ws(chr(31), i.system, i.value_index, i.value_encrypted), chr(30))
     FROM external_identifiers i WHERE i.citizen_id = c.id)
FROM (SELECT citizen_id, array_agg(pos) AS positions FROM kept GROUP BY citizen_id) k
  -- Each candidate one probe of the primary key: joined, the planner merged the kept few
  -- thousand with a scan of every citizen's key.
  CROSS JOIN LATERAL (SELECT c.id, c.date_of_birth, c.middle_names FROM citizens c
    WHERE c.id = k.citizen_id OFFSET 0) c
"""


def _compact(sql: str) -> str:
    """``sql`` without comments and the white space that separates nothing: psycopg keeps
    the parse of a statement's placeholders only for statements up to 4 kB, and parsed this
    one afresh on every batch (as ``realtime`` found of its own)."""
    spaced = " ".join(" ".join(line.split("--")[0] for line in sql.splitlines()).split())
    return re.sub(r" ?([(),]) ?", r"\1", spaced)


_BINDS: tuple[BindParameter[Any], ...] = (
    *(bindparam(f"{name}_{part}", type_=String) for name in _KEY_LISTS for part in ("pos", "key")),
    *(bindparam(name, type_=ARRAY(Integer)) for name in ("r_pos", "r_year")),
    *(
        bindparam(name, type_=ARRAY(String))
        for name in ("r_given", "r_family", "r_postcodes", "r_givens", "r_families", "r_known")
    ),
    *(bindparam(name, type_=ARRAY(Date)) for name in ("r_dob", "r_swapped")),
)
_STATEMENT = text(_compact(_CANDIDATES)).bindparams(*_BINDS)
# The import's statement as it is sent: through psycopg's raw cursor, prepared on the
# connection at its first run, with PostgreSQL's numbered placeholders (as ``realtime``'s):
# SQLAlchemy's handling of the statement and of its thousands of result rows, and psycopg's
# parse of a text longer than the 4 kB whose parse it keeps, cost more than the rows' own
# reading. Each run is still planned for its arrays (``_CUSTOM_PLANS``).
_PLACEHOLDER = re.compile(r"(?<![:\w]):(\w+)")
_WITH_FEATURES_SQL = _compact(_WITH_FEATURES)
_NAMES = tuple(dict.fromkeys(_PLACEHOLDER.findall(_WITH_FEATURES_SQL)))
_RAW_WITH_FEATURES = _PLACEHOLDER.sub(
    lambda m: f"${_NAMES.index(m.group(1)) + 1}", _WITH_FEATURES_SQL
)
# For the transaction only: plans for these arrays (see the module's docstring), and no JIT
# (its compilation took longer than the statement it was compiling).
_CUSTOM_PLANS = (
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
    "set_config('jit', 'off', true)"
)


def batch_parameters(batch: Sequence[Features]) -> dict[str, list[Any]]:
    """The statement's arrays for a batch: each record's ``realtime.parameters``, flattened
    and tagged with the record's position."""
    columns: dict[str, list[Any]] = {
        f"{name}_{part}": [] for name in _KEY_LISTS for part in ("pos", "key")
    }
    columns.update(
        (name, [])
        for name in (
            *("r_pos", "r_given", "r_family", "r_dob", "r_swapped", "r_year"),
            *("r_postcodes", "r_givens", "r_families", "r_known"),
        )
    )
    key_lists = [(name, columns[f"{name}_pos"], columns[f"{name}_key"]) for name in _KEY_LISTS]
    for position, features in enumerate(batch):
        found = realtime.parameters(features)
        dob = found["dob"]
        columns["r_pos"].append(position)
        columns["r_given"].append(found["given"])
        columns["r_family"].append(found["family"])
        columns["r_dob"].append(dob)
        columns["r_swapped"].append(next((d for d in found["dobs"] if d != dob), None))
        columns["r_year"].append(found["birth_year"])
        for name, keys in (
            ("r_postcodes", "postcodes"),
            ("r_givens", "given_exact"),
            ("r_families", "family_exact"),
            ("r_known", "given_known"),
        ):
            columns[name].append("|".join(found[keys]))
        for name, positions, flat in key_lists:
            found_keys = found[name]
            flat += found_keys
            positions += [position] * len(found_keys)
    return columns


def _joined(parameters: dict[str, list[Any]]) -> dict[str, Any]:
    """``batch_parameters`` as the statement takes them: each list of keys one string."""
    bound: dict[str, Any] = dict(parameters)
    for name in _KEY_LISTS:
        bound[f"{name}_pos"] = ",".join(map(str, parameters[f"{name}_pos"]))
        bound[f"{name}_key"] = _SEPARATOR.join(parameters[f"{name}_key"])
    return bound


def candidate_ids_of(batch: Sequence[Features], *, keep: int = KEEP) -> list[list[uuid.UUID]]:
    """For each record of ``batch``, the current stored citizens worth scoring against it (the
    best ``keep`` by the real-time ranking, and every one an exact value found).

    One statement for the whole batch; runs inside the caller's transaction, does not commit.
    """
    found: list[list[uuid.UUID]] = [[] for _ in batch]
    if not batch:
        return found
    # For this transaction only: plans for these arrays (see the module's docstring), and no
    # JIT (its compilation took longer than the statement it was compiling).
    db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    db.session.execute(text("SET LOCAL jit = off"))
    rows = db.session.execute(_STATEMENT, {**_joined(batch_parameters(batch)), "keep": keep})
    for position, citizen_id in rows:
        found[position].append(citizen_id)
    return found


# The separators of ``_WITH_FEATURES``' lists: of its items, and of an item's parts.
_ITEM, _PART = "\x1e", "\x1f"


# Namesakes are written alike (most people share a few thousand names), and a common name is
# a candidate of many rows: each distinct list of names is read once.
@functools.lru_cache(maxsize=65_536)
def _name_forms(flat: str) -> tuple[NameForm, ...]:
    forms = []
    for item in flat.split(_ITEM):
        kind, given, family = item.split(_PART)
        form = name_form(given or None, family or None, kind)
        if form is not None:
            forms.append(form)
    return distinct(forms)


def _address_forms(flat: str) -> tuple[AddressForm, ...]:
    forms = []
    for item in flat.split(_ITEM):
        line1, line2, locality, postcode = item.split(_PART)
        form = address_form_of(line1 or None, line2 or None, locality or None, postcode or None)
        if form is not None:
            forms.append(form)
    return tuple(forms)


# A process prepares batch after batch, and a stored person found by one batch's rows (a common
# name, a household) is often found by a later one's: the same columns give the same features
# (they are immutable), so they are built once. A record that changes comes back with other
# columns, so it is built again.
@functools.lru_cache(maxsize=65_536)
def _features(
    dob: Any,
    middle: str | None,
    names: str | None,
    points: str | None,
    places: str | None,
    idents: str | None,
) -> Features:
    """A candidate's features from the lists ``_WITH_FEATURES`` returns: what
    ``store.load_features`` builds from its rows (an empty part is a missing one)."""
    emails: list[str] = []
    phones: list[str] = []
    if points:
        for item in points.split(_ITEM):
            kind, value = item.split(_PART)
            if kind == "email":
                emails.append(value)
            elif kind == "phone":
                phones.append(value)
    identifiers: frozenset[tuple[str, str]] = frozenset()
    sealed_values: frozenset[tuple[str, str]] = frozenset()
    if idents:
        triples = [item.split(_PART) for item in idents.split(_ITEM)]
        identifiers = frozenset((system, index) for system, index, _ in triples)
        sealed_values = frozenset((system, token) for system, _, token in triples)
    return Features(
        names=_name_forms(names) if names else (),
        date_of_birth=dob,
        addresses=_address_forms(places) if places else (),
        emails=frozenset(emails),
        phones=frozenset(phones),
        identifiers=identifiers,
        middle_names=name_words(middle),
        sealed_identifiers=sealed_values,
    )


def candidates_with_features(
    batch: Sequence[Features], *, keep: int = KEEP
) -> tuple[list[list[uuid.UUID]], dict[uuid.UUID, Features]]:
    """``candidate_ids_of`` and the candidates' features (``store.load_features``), in one
    statement: each stored candidate is read once, however many records of the batch found it.
    """
    found: list[list[uuid.UUID]] = [[] for _ in batch]
    stored: dict[uuid.UUID, Features] = {}
    if not batch:
        return found, stored
    execute_prepared(_CUSTOM_PLANS, (), raw=True)
    named = {**_joined(batch_parameters(batch)), "keep": keep}
    rows = execute_prepared(_RAW_WITH_FEATURES, [named[name] for name in _NAMES], raw=True)
    for positions, citizen_id, *values in rows:
        stored[citizen_id] = _features(*values)
        for position in positions:
            found[position].append(citizen_id)
    return found, stored


def find_candidates_of(
    batch: Sequence[Features],
    *,
    limit: int = 10,
    keep: int = KEEP,
    at_least_possible: bool = False,
) -> list[list[Candidate]]:
    """``engine.find_candidates`` of every record of ``batch`` (PostgreSQL only): candidates
    best first, each record's own, scored by the engine; each candidate read once for the
    batch, with its features, by the statement that finds it.

    :param at_least_possible: only candidates in the ``match`` and ``possible`` bands (what
        an import decides on); the others are not scored when their names cannot lift them
        there (``scoring.score_batch``).
    """
    ids_of, stored = candidates_with_features(batch, keep=keep)
    model = active_model.get()
    answers = []
    for features, ids in zip(batch, ids_of, strict=True):
        scored = []
        results = score_batch(
            features, [stored[i] for i in ids], model, at_least_possible=at_least_possible
        )
        for citizen_id, result in zip(ids, results, strict=True):
            if result is None or result.weight <= MIN_CANDIDATE_WEIGHT:
                continue
            if at_least_possible and result.band == "non_match":
                continue
            scored.append((citizen_id, result))
        scored.sort(key=lambda item: (-item[1].score, str(item[0])))
        # Explanations are built for the ones returned only.
        answers.append(
            [
                Candidate(citizen_id, result.score, result.band, result.explanation)
                for citizen_id, result in scored[:limit]
            ]
        )
    return answers


def best_candidates_of(batch: Sequence[Features], *, keep: int = KEEP) -> list[Candidate | None]:
    """For each record of ``batch``, the first of ``find_candidates_of(batch,
    at_least_possible=True)``, or None: the best stored candidate in band match or possible
    (ties to the lowest id). Candidates that cannot be it are not scored
    (``scoring.best_of``)."""
    ids_of, stored = candidates_with_features(batch, keep=keep)
    model = active_model.get()
    answers: list[Candidate | None] = []
    for features, ids in zip(batch, ids_of, strict=True):
        found = best_of(
            features,
            [stored[i] for i in ids],
            model,
            ids,
            above=MIN_CANDIDATE_WEIGHT,
        )
        if found is None:
            answers.append(None)
        else:
            index, result = found
            answers.append(Candidate(ids[index], result.score, result.band, result.explanation))
    return answers
