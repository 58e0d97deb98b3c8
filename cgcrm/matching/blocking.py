"""Which stored citizens are worth scoring against one record: a few indexed probes.

Blocking reuses the search's name dictionary and indexes (``cgcrm.citizens.search``): each name
word is widened to the dictionary keys near it in spelling or sound (and to its nicknames),
and ``citizen_names`` is probed through its (family, given) and given b-tree indexes, in both
orders. Beside the names, people who share the date of birth (or its day and month swapped),
a postcode and a name key, an email, a phone or an identifier are candidates, so the true
match is found even when the name changed. All probes are one ``UNION ALL`` statement; every
row carries name keys, so the rows are ranked cheaply in Python and only the best few hundred
are loaded whole and scored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from rapidfuzz.distance import JaroWinkler
from sqlalchemy import ARRAY, ColumnElement, Select, String, any_, literal, or_, select, union_all

from cgcrm.citizens.models import (
    Address,
    Citizen,
    CitizenName,
    ContactPoint,
    ExternalIdentifier,
)
from cgcrm.citizens.search import similar_tokens_of
from cgcrm.extensions import db
from cgcrm.matching.normalise import Features, NameForm, nickname_variants, transposed_date

NAME_ROWS = 2000
DOB_ROWS = 1000
POSTCODE_ROWS = 1000
EXACT_ROWS = 50
# Kept after the cheap ranking, per kind of probe: enough that the true match survives a
# common name, few enough to score in a few milliseconds.
KEEP_BY_NAME = 40
KEEP_BY_DOB = 20
KEEP_BY_POSTCODE = 15
# Probes on a value one person rarely shares: every citizen they find is scored.
EXACT_SOURCES = frozenset({"email", "phone", "identifier"})


@dataclass
class Probe:
    """A stored citizen a probe found, with one of its names' keys for the cheap ranking."""

    citizen_id: uuid.UUID
    sources: set[str]
    rank: float = 0.0


def _in(column: Any, values: Iterable[Any], element_type: Any = String) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``= ANY(array)``, one parameter whatever the number
    of values, so the statement's text repeats and is prepared once per connection."""
    values = sorted(set(values))
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(element_type)))
    return column.in_(values)


@dataclass
class _Keys:
    """The dictionary keys a record's names are widened to."""

    given: set[str]
    family: set[str]
    forms: tuple[NameForm, ...]


def widen_forms(forms: tuple[NameForm, ...], near: dict[str, list[str]]) -> _Keys:
    """The dictionary keys of ``forms``' words, given ``near`` (``similar_tokens_of`` of them),
    each given name also widened to its nicknames."""
    given_words = {w for form in forms for w in (form.given, form.first_given) if w}
    family_words = {form.family for form in forms if form.family}
    given: set[str] = set()
    family: set[str] = set()
    for word in given_words:
        given |= set(near.get(word, ())) | nickname_variants(word)
    for word in family_words:
        family |= set(near.get(word, ()))
    return _Keys(given, family, forms)


def name_words_of(forms: tuple[NameForm, ...]) -> set[str]:
    """The words of ``forms`` the name dictionary is asked about."""
    return {w for form in forms for w in (form.given, form.first_given, form.family) if w}


def _widen(features: Features) -> _Keys:
    forms = features.names[:2]  # the current name and the preferred (or a previous) one
    return widen_forms(forms, similar_tokens_of(sorted(name_words_of(forms))))


def _probe(citizen_id: Any, source: Any, *, keyed: bool = True) -> Select[Any]:
    """The four columns of every probe: who, the name keys of the row found (for the cheap
    ranking; empty for a probe on a contact point or identifier), and which probe found it."""
    given = CitizenName.given_key if keyed else literal("").label("given_key")
    family = CitizenName.family_key if keyed else literal("").label("family_key")
    if isinstance(source, str):
        source = literal(source)
    return select(citizen_id, given, family, source.label("source"))


def _name_probe(keys: _Keys) -> Select[Any] | None:
    given, family = sorted(keys.given), sorted(keys.family)
    if given and family:
        condition = or_(
            _in(CitizenName.family_key, family) & _in(CitizenName.given_key, given),
            _in(CitizenName.family_key, given) & _in(CitizenName.given_key, family),
        )
    elif given or family:
        # A mononym, or a record with one of its names missing: either part may hold it.
        words = given or family
        condition = or_(_in(CitizenName.family_key, words), _in(CitizenName.given_key, words))
    else:
        return None
    return _probe(CitizenName.citizen_id, "name").where(condition).limit(NAME_ROWS)


def _dob_probe(dob: date) -> Select[Any]:
    dates = [d for d in (dob, transposed_date(dob)) if d is not None]
    return (
        _probe(CitizenName.citizen_id, "date_of_birth")
        .join(Citizen, Citizen.id == CitizenName.citizen_id)
        .where(Citizen.date_of_birth.in_(dates), CitizenName.kind == "current")
        .limit(DOB_ROWS)
    )


def _postcode_probe(postcodes: Iterable[str], keys: _Keys) -> Select[Any] | None:
    words = sorted(keys.given | keys.family)
    if not words:
        return None
    return (
        _probe(CitizenName.citizen_id, "postcode")
        .join(Address, Address.citizen_id == CitizenName.citizen_id)
        .where(
            _in(Address.postcode_key, postcodes),
            or_(_in(CitizenName.family_key, words), _in(CitizenName.given_key, words)),
        )
        .limit(POSTCODE_ROWS)
    )


def _exact_probes(features: Features) -> list[Select[Any]]:
    probes = []
    values = sorted(features.emails | features.phones)
    if values:
        probes.append(
            _probe(ContactPoint.citizen_id, ContactPoint.kind, keyed=False)
            .where(_in(ContactPoint.value, values))
            .limit(EXACT_ROWS)
        )
    if features.identifiers:
        probes.append(
            _probe(ExternalIdentifier.citizen_id, "identifier", keyed=False)
            .where(_in(ExternalIdentifier.value_index, {i for _, i in features.identifiers}))
            .limit(EXACT_ROWS)
        )
    return probes


def _name_rank(forms: tuple[NameForm, ...], given_key: str, family_key: str) -> float:
    best = 0.0
    for form in forms:
        given, family = form.given, form.family
        straight = (
            JaroWinkler.normalized_similarity(given, given_key) if given and given_key else 0.0
        ) + (
            JaroWinkler.normalized_similarity(family, family_key) if family and family_key else 0.0
        )
        crossed = (
            JaroWinkler.normalized_similarity(given, family_key) if given and family_key else 0.0
        ) + (JaroWinkler.normalized_similarity(family, given_key) if family and given_key else 0.0)
        best = max(best, straight, crossed * 0.98)
    return best


def probes_of(features: Features, keys: _Keys) -> list[Select[Any]]:
    """Every probe of one record: names, date of birth, postcode with a name, email, phone,
    identifier."""
    probes: list[Select[Any]] = []
    name = _name_probe(keys)
    if name is not None:
        probes.append(name)
    if features.date_of_birth is not None:
        probes.append(_dob_probe(features.date_of_birth))
    if features.postcodes:
        postcode = _postcode_probe(features.postcodes, keys)
        if postcode is not None:
            probes.append(postcode)
    return probes + _exact_probes(features)


def kept_ids(rows: Iterable[tuple[uuid.UUID, str, str, str]], keys: _Keys) -> list[uuid.UUID]:
    """The citizens worth scoring among one record's probe rows: the best ranked few of each
    kind of probe, and everyone an exact probe found."""
    found: dict[uuid.UUID, Probe] = {}
    by_source: dict[str, list[Probe]] = {}
    for citizen_id, given_key, family_key, source in rows:
        probe = found.get(citizen_id)
        if probe is None:
            probe = found[citizen_id] = Probe(citizen_id, set())
        if source not in probe.sources:
            probe.sources.add(source)
            by_source.setdefault(source, []).append(probe)
        if given_key or family_key:
            probe.rank = max(probe.rank, _name_rank(keys.forms, given_key, family_key))
    kept: dict[uuid.UUID, None] = {}
    for source, keep in (
        ("name", KEEP_BY_NAME),
        ("date_of_birth", KEEP_BY_DOB),
        ("postcode", KEEP_BY_POSTCODE),
    ):
        ranked = sorted(by_source.get(source, ()), key=lambda p: -(p.rank + len(p.sources)))
        kept.update((p.citizen_id, None) for p in ranked[:keep])
    for source in EXACT_SOURCES:
        kept.update((p.citizen_id, None) for p in by_source.get(source, ()))
    return list(kept)


def candidate_ids(features: Features) -> list[uuid.UUID]:
    """Stored citizens worth scoring against ``features`` (merged ones may be among them; the
    loader leaves them out). Runs inside the caller's transaction."""
    keys = _widen(features)
    probes = probes_of(features, keys)
    if not probes:
        return []
    statement = (
        probes[0] if len(probes) == 1 else union_all(*(p.subquery().select() for p in probes))
    )
    return kept_ids(db.session.execute(statement).tuples(), keys)
