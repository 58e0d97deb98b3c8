"""Real-time blocking on PostgreSQL: one statement finds, ranks and loads the candidates.

A match must answer in milliseconds against a million people, so the work is shaped for it:

- name words are widened in process (``name_dictionary``: the search's dictionary of name keys,
  its edit-distance and sound neighbours, and nicknames), no round trip;
- one prepared statement probes ``citizen_names`` (one part of the name as written, the other
  widened, in both orders), the date of birth (and its day and month swapped), emails, phones
  and identifiers; ranks what it found coarsely (trigram similarity of the name keys, date of
  birth, postcode, contact agreement) and returns the best ``keep`` current records with their
  features as arrays, so only those few are scored in Python.

The true match is one of the kept few when either name part survived, or the date of birth,
an email, a phone or an identifier did (bench/match_latency.py measures that recall).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Iterable
from typing import Any

from cgcrm.citizens import normalize
from cgcrm.citizens.name_dictionary import FAMILY, GIVEN, name_dictionary
from cgcrm.core.driver import execute_prepared, force_generic_plans
from cgcrm.matching.normalise import (
    Features,
    NameForm,
    address_form_of,
    distinct,
    name_form,
    name_words,
    nickname_variants,
    transposed_date,
)

# Records scored per match: enough that the true one survives a common name, few enough to
# score in a couple of milliseconds.
KEEP = 20
# Rows one probe may return (a very common name read against a widened other part).
NAME_ROWS = 1000
DOB_ROWS = 400
EXACT_ROWS = 50
# A typo is one edit; two edits of a five-letter name reach hundreds of keys, each a probe.
EDITS = 1
# Name hits ranked on their keys before their dates of birth are read.
NAME_POOL = 200

_NAME_RANK = """greatest(
      similarity({t}.given_key, :given) + similarity({t}.family_key, :family),
      0.98 * (similarity({t}.given_key, :family) + similarity({t}.family_key, :given)))"""

# The (family, given) pairs' rows each way: the two probes they replace had NAME_ROWS each.
PAIR_ROWS = 2 * NAME_ROWS
_SPACE_BY_PUNCTUATION = re.compile(r" ?([(),]) ?")


def _compact(sql: str) -> str:
    """``sql`` without its comments and white space that separates nothing (it has no string
    literal that holds either). psycopg parses a statement's placeholders once and keeps the
    result only for statements of up to 4 kB (``MAX_CACHED_STATEMENT_LENGTH``): as written
    this one is longer, and was parsed afresh on every match."""
    spaced = " ".join(" ".join(line.split("--")[0] for line in sql.splitlines()).split())
    # Parentheses and commas are tokens of their own: no operator is made by joining them.
    return _SPACE_BY_PUNCTUATION.sub(r"\1", spaced)


_STATEMENT = _compact(
    f"""
WITH family_exact AS (SELECT unnest(CAST(:family_exact AS text[])) AS key),
given_exact AS (SELECT unnest(CAST(:given_exact AS text[])) AS key),
exact_roles AS MATERIALIZED (
  -- The roles the record's own words have had, read in this statement's snapshot (so a
  -- concurrent create's new role is seen once it commits); a word never stored has both.
  SELECT w.key,
    coalesce(t.used_as_given, true) AS as_given, coalesce(t.used_as_family, true) AS as_family
  FROM (SELECT key FROM family_exact UNION SELECT key FROM given_exact) w
    -- The first key from the word on, in the primary key's order: an equality was planned on
    -- the trigram index (as cheap on paper, a thousand times dearer).
    LEFT JOIN LATERAL (SELECT n.token, n.used_as_given, n.used_as_family FROM name_tokens n
      WHERE n.token >= w.key ORDER BY n.token LIMIT 1) t ON t.token = w.key
), pairs AS MATERIALIZED (
  -- One part as written, the other widened: a (family, given) pair to look up as written,
  -- each one index probe whatever the plan (a generic plan, used from the second run on a
  -- connection, cannot see how long the arrays are, and filtered the widened part instead
  -- of probing it). A pair is probed only if each key has had its role in it (the widened
  -- keys' roles from the process's dictionary, ``_by_role``).
  SELECT f.key AS family, g.key AS given
    FROM family_exact f CROSS JOIN unnest(CAST(:given_wide_as_given AS text[])) AS g(key)
    WHERE (SELECT r.as_family FROM exact_roles r WHERE r.key = f.key)
  UNION
  SELECT w.key, g.key
    FROM given_exact g CROSS JOIN unnest(CAST(:family_wide_as_family AS text[])) AS w(key)
    WHERE (SELECT r.as_given FROM exact_roles r WHERE r.key = g.key)
), swapped_pairs AS MATERIALIZED (
  -- The same read the other way round (given name stored as the family name and back).
  SELECT f.key AS family, g.key AS given
    FROM family_exact f CROSS JOIN unnest(CAST(:given_wide_as_family AS text[])) AS g(key)
    WHERE (SELECT r.as_given FROM exact_roles r WHERE r.key = f.key)
  UNION
  SELECT w.key, g.key
    FROM given_exact g CROSS JOIN unnest(CAST(:family_wide_as_given AS text[])) AS w(key)
    WHERE (SELECT r.as_family FROM exact_roles r WHERE r.key = g.key)
), name_hits AS (
  (SELECT n.citizen_id, n.given_key, n.family_key FROM pairs p
    JOIN citizen_names n ON n.family_key = p.family AND n.given_key = p.given
    LIMIT {PAIR_ROWS})
  UNION ALL
  (SELECT n.citizen_id, n.given_key, n.family_key FROM swapped_pairs p
    JOIN citizen_names n ON n.given_key = p.family AND n.family_key = p.given
    LIMIT {PAIR_ROWS})
  UNION ALL
  (SELECT citizen_id, given_key, family_key FROM citizen_names
    WHERE given_key = ANY(:lone) LIMIT {NAME_ROWS})
  UNION ALL
  (SELECT citizen_id, given_key, family_key FROM citizen_names
    WHERE family_key = ANY(:lone) LIMIT {NAME_ROWS})
  UNION ALL
  -- The postcode's addresses hashed, joined to index-only probes of the names (an OR of the
  -- name conditions was planned as a bitmap scan of tens of thousands of heap pages).
  (SELECT n.citizen_id, n.given_key, n.family_key
    FROM addresses a JOIN (
      (SELECT citizen_id, given_key, family_key FROM citizen_names
        WHERE given_key = ANY(:given_known))
      UNION ALL
      (SELECT citizen_id, given_key, family_key FROM citizen_names
        WHERE family_key = ANY(:family_exact))
      UNION ALL
      (SELECT citizen_id, given_key, family_key FROM citizen_names
        WHERE family_key = ANY(:given_exact))
      UNION ALL
      (SELECT citizen_id, given_key, family_key FROM citizen_names
        WHERE given_key = ANY(:family_exact))
      UNION ALL
      -- Both parts a typo away ("Elhsabeth Mungre") and no date of birth to probe: nothing
      -- else can find the person (costly in a big postcode, so only then).
      (SELECT n.citizen_id, n.given_key, n.family_key
        FROM unnest(CAST(:family_wide_as_family AS text[])) AS f(key)
        CROSS JOIN unnest(CAST(:given_wide_as_given AS text[])) AS g(key)
        JOIN citizen_names n ON n.family_key = f.key AND n.given_key = g.key
        WHERE :typos_in_both)
    ) n ON n.citizen_id = a.citizen_id
    WHERE cardinality(CAST(:postcode_probe AS text[])) > 0 AND a.postcode_key = ANY(:postcode_probe)
    LIMIT {NAME_ROWS})
), key_similarity AS MATERIALIZED (
  -- The hits share a few dozen keys: each key's trigram similarity to the two parts is
  -- worked out once, not four times a hit (a common name finds hundreds of people).
  SELECT k.key, similarity(k.key, :given) AS to_given, similarity(k.key, :family) AS to_family
  FROM (SELECT given_key AS key FROM name_hits UNION SELECT family_key FROM name_hits) k
), by_name AS (
  SELECT h.citizen_id,
    max(greatest(g.to_given + f.to_family, 0.98 * (g.to_family + f.to_given))) AS name_rank
  FROM name_hits h
    JOIN key_similarity g ON g.key = h.given_key
    JOIN key_similarity f ON f.key = h.family_key
  GROUP BY h.citizen_id ORDER BY name_rank DESC, h.citizen_id LIMIT {NAME_POOL}
), by_dob AS (
  SELECT c.id AS citizen_id,
    (SELECT max({_NAME_RANK.format(t="n")}) FROM citizen_names n WHERE n.citizen_id = c.id)
      AS name_rank
  FROM citizens c WHERE c.date_of_birth = ANY(:dobs) LIMIT {DOB_ROWS}
), by_value AS (
  (SELECT citizen_id FROM contact_points WHERE value = ANY(:contacts) LIMIT {EXACT_ROWS})
  UNION ALL
  (SELECT citizen_id FROM external_identifiers WHERE value_index = ANY(:identifiers)
    LIMIT {EXACT_ROWS})
), pool AS (
  SELECT citizen_id, max(name_rank) AS name_rank, bool_or(by_value) AS by_value FROM (
    SELECT citizen_id, name_rank, false AS by_value FROM by_name
    UNION ALL SELECT citizen_id, coalesce(name_rank, 0), false FROM by_dob
    UNION ALL SELECT citizen_id, 0, true FROM by_value
  ) found GROUP BY citizen_id
), dated AS (
  SELECT c.id, c.date_of_birth, p.by_value,
    p.name_rank
    + CASE WHEN c.date_of_birth = :dob THEN 1.5
           WHEN c.date_of_birth = ANY(:dobs) THEN 1.2
           WHEN extract(year FROM c.date_of_birth) = :birth_year THEN 0.3
           ELSE 0 END AS rank
  FROM pool p JOIN citizens c ON c.id = p.citizen_id
  WHERE c.status <> 'merged' AND c.id <> ALL(:exclude)
), ranked AS (
  SELECT d.id, d.date_of_birth,
    d.rank
    -- Per candidate through its own addresses (an EXISTS was planned as a hash of the whole
    -- postcode's addresses, thousands of rows).
    + CASE WHEN (SELECT bool_or(a.postcode_key = ANY(:postcodes)) FROM addresses a
                 WHERE a.citizen_id = d.id)
           THEN 0.5 ELSE 0 END AS rank
  FROM dated d
  -- The postcode adds 0.5 at most: a record more than that below the keep-th best cannot be
  -- kept, so only the others have their addresses read (the pool holds hundreds).
  WHERE NOT coalesce(
    d.rank + 0.5 < (SELECT rank FROM dated ORDER BY rank DESC LIMIT 1 OFFSET :keep - 1), false)
), kept AS (
  (SELECT id, date_of_birth FROM ranked ORDER BY rank DESC, id LIMIT :keep)
  UNION
  (SELECT id, date_of_birth FROM dated WHERE by_value)
)
SELECT k.id, k.date_of_birth, (SELECT c.middle_names FROM citizens c WHERE c.id = k.id),
  ARRAY(SELECT ARRAY[n.kind, n.given_name, n.family_name]
        FROM citizen_names n WHERE n.citizen_id = k.id ORDER BY n.position),
  ARRAY(SELECT ARRAY[p.kind, p.value] FROM contact_points p WHERE p.citizen_id = k.id),
  ARRAY(SELECT ARRAY[a.line1, a.line2, a.locality, a.postcode]
        FROM addresses a WHERE a.citizen_id = k.id ORDER BY a.position),
  ARRAY(SELECT ARRAY[i.system, i.value_index, i.value_encrypted]
        FROM external_identifiers i WHERE i.citizen_id = k.id)
FROM kept k
"""
)
_PLACEHOLDER = re.compile(r"(?<![:\w]):(\w+)")
# In the driver's own placeholders, for reading the statement with named parameters
# (bench/profile_match.py's EXPLAIN).
_SQL = _PLACEHOLDER.sub(r"%(\1)s", _STATEMENT)
# As it is sent: with PostgreSQL's numbered placeholders, one for each name (through psycopg's
# raw cursor, which does not parse the text: it is longer than the 4 kB whose parse psycopg
# keeps, and parsing it took longer than the rest of sending it).
_NAMES = tuple(dict.fromkeys(_PLACEHOLDER.findall(_STATEMENT)))
_RAW_SQL = _PLACEHOLDER.sub(lambda m: f"${_NAMES.index(m.group(1)) + 1}", _STATEMENT)


def _widened(words: Iterable[str], *, nicknames: bool) -> set[str]:
    """Each word, the dictionary keys a typo or two from it or sounding like it, and (given
    names) its nicknames and formal forms."""
    found: set[str] = set()
    for word in words:
        found.add(word)
        found |= name_dictionary.neighbours(word, edits=EDITS)
        found.update(name_dictionary.same_sound(normalize.phonetic_key(word)))
        if nicknames:
            found |= nickname_variants(word)
    return found


def _by_role(wide: set[str], exact: set[str]) -> tuple[list[str], list[str]]:
    """The widened keys (sorted) that have been a given name, and those that have been a
    family name (per this process's copy of the dictionary: a key it lacks may have been
    either); the record's own words in both whatever the copy says: a concurrent create of
    the same person, in another process, may have just given one of them a new role, and must
    be found (``create_locks``; the statement reads their roles in its own snapshot)."""
    # Set operations (in C) against the keys known never to have had a role: a look-up of
    # each key in the role table cost more than the rest of the widening.
    kept = wide & exact
    as_given = sorted((wide - name_dictionary.lacking(GIVEN)) | kept)
    as_family = sorted((wide - name_dictionary.lacking(FAMILY)) | kept)
    return as_given, as_family


def _name_parameters(forms: tuple[NameForm, ...]) -> dict[str, Any]:
    given_exact = {w for form in forms for w in (form.given, *form.given_words[:2]) if w}
    family_exact = {w for form in forms for w in (form.family, *form.family_words[:2]) if w}
    first = forms[0] if forms else None
    # A mononym, or a record missing one part: the part it has may be either stored part.
    lone = given_exact ^ family_exact if not (given_exact and family_exact) else set()
    exact = given_exact | family_exact
    given_as_given, given_as_family = _by_role(_widened(given_exact, nicknames=True), exact)
    family_as_given, family_as_family = _by_role(_widened(family_exact, nicknames=False), exact)
    return {
        "lone": sorted(lone),
        "given_exact": sorted(given_exact),
        "family_exact": sorted(family_exact),
        "given_wide_as_given": given_as_given,
        "given_wide_as_family": given_as_family,
        "given_known": sorted(
            given_exact.union(*(nickname_variants(word) for word in given_exact))
        ),
        "family_wide_as_family": family_as_family,
        "family_wide_as_given": family_as_given,
        "given": first.given if first else "",
        "family": first.family if first else "",
    }


def parameters(
    features: Features, keep: int = KEEP, exclude: Collection[uuid.UUID] = ()
) -> dict[str, Any]:
    """The statement's parameters for one record (its name parts as written and widened)."""
    dob = features.date_of_birth
    dobs = [d for d in (dob, transposed_date(dob) if dob else None) if d is not None]
    # An identifier finds only records of its own system (a department's file often brings a
    # system the stored record lacks), so it does not stand in for the address probe.
    strong = bool(features.emails or features.phones)
    return {
        **_name_parameters(features.names[:2]),
        "dob": dob,
        "dobs": dobs,
        "birth_year": dob.year if dob else None,
        "contacts": sorted(features.emails | features.phones),
        "identifiers": sorted({index for _, index in features.identifiers}),
        "postcodes": sorted(features.postcodes),
        # Where no email or phone can find the person, the address may: its
        # postcode with a name part as written (or a nickname of the given name).
        "postcode_probe": [] if strong else sorted(features.postcodes),
        "typos_in_both": dob is None,
        "exclude": list(exclude),
        "keep": keep,
    }


def candidate_features(
    features: Features, *, keep: int = KEEP, exclude: Collection[uuid.UUID] = ()
) -> dict[uuid.UUID, Features]:
    """The stored current citizens most likely to be ``features``' person, with their features,
    in one round trip. Runs inside the caller's transaction.

    Through psycopg directly, prepared at once (SQLAlchemy's handling of the statement and
    its result cost about 0.3 ms a match, for nothing: the text and its types never change),
    planned once per connection (the same plan whatever the arrays: index probes), by the
    transaction's ``force_generic_plans`` (a create's lock statement already set it).
    """
    force_generic_plans()
    named = parameters(features, keep, exclude)
    rows = execute_prepared(_RAW_SQL, [named[name] for name in _NAMES], raw=True)
    found: dict[uuid.UUID, Features] = {}
    for citizen_id, dob, middle, names, points, places, idents in rows:
        forms = [name_form(given, family, kind) for kind, given, family in names]
        addresses = [address_form_of(*place) for place in places]
        emails: set[str] = set()
        phones: set[str] = set()
        for kind, value in points:
            (emails if kind == "email" else phones).add(value)
        found[citizen_id] = Features(
            names=distinct([form for form in forms if form is not None]),
            date_of_birth=dob,
            addresses=tuple([a for a in addresses if a is not None]),
            emails=frozenset(emails),
            phones=frozenset(phones),
            identifiers=frozenset([(system, index) for system, index, _ in idents]),
            middle_names=name_words(middle),
            sealed_identifiers=frozenset([(system, token) for system, _, token in idents]),
        )
    return found
