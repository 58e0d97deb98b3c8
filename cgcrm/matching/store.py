"""Features of stored citizens, loaded in bulk: a handful of indexed queries for any number of
records (one per table), never one query per citizen."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import ARRAY, Uuid, bindparam, select, text

from cgcrm.citizens.models import (
    Address,
    Citizen,
    CitizenName,
    ContactPoint,
    ExternalIdentifier,
)
from cgcrm.extensions import db
from cgcrm.matching.normalise import (
    Features,
    address_form,
    distinct,
    name_form,
    name_words,
)

# PostgreSQL takes tens of thousands of bound values; batches keep each statement small.
BATCH = 5000


def load_features(
    citizen_ids: Collection[uuid.UUID], *, include_merged: bool = False
) -> dict[uuid.UUID, Features]:
    """Features of the given citizens, by id; merged records are left out unless asked for.

    Runs inside the caller's transaction and does not commit.
    """
    found: dict[uuid.UUID, Features] = {}
    ids = list(dict.fromkeys(citizen_ids))
    for start in range(0, len(ids), BATCH):
        found.update(_load_batch(ids[start : start + BATCH], include_merged))
    return found


# PostgreSQL: one statement, one round trip, the same text whatever the number of ids (so it
# is prepared once per connection); each list is gathered by an index probe per citizen.
_ONE_STATEMENT = text(
    """
    SELECT c.id, c.date_of_birth, c.middle_names,
      (SELECT json_agg(json_build_array(n.kind, n.given_name, n.family_name)
                       ORDER BY n.position)
         FROM citizen_names n WHERE n.citizen_id = c.id),
      (SELECT json_agg(json_build_array(p.kind, p.value))
         FROM contact_points p WHERE p.citizen_id = c.id),
      (SELECT json_agg(json_build_array(a.line1, a.line2, a.locality, a.postcode)
                       ORDER BY a.position)
         FROM addresses a WHERE a.citizen_id = c.id),
      (SELECT json_agg(json_build_array(i.system, i.value_index, i.value_encrypted))
         FROM external_identifiers i WHERE i.citizen_id = c.id)
    FROM citizens c
    WHERE c.id = ANY(:ids) AND (:include_merged OR c.status <> 'merged')
    """
).bindparams(bindparam("ids", type_=ARRAY(Uuid)))


def features_of_row(
    dob: Any, middle: Any, names: Any, points: Any, places: Any, idents: Any
) -> Features:
    """Features from one row of ``_ONE_STATEMENT``'s shape (lists as JSON arrays or None)."""
    forms = (name_form(given, family, kind) for kind, given, family in names or ())
    addresses = (
        address_form({"line1": l1, "line2": l2, "locality": loc, "postcode": pc})
        for l1, l2, loc, pc in places or ()
    )
    points = points or ()
    return Features(
        names=distinct(form for form in forms if form is not None),
        date_of_birth=dob,
        addresses=tuple(a for a in addresses if a is not None),
        emails=frozenset(value for kind, value in points if kind == "email"),
        phones=frozenset(value for kind, value in points if kind == "phone"),
        identifiers=frozenset((system, index) for system, index, _ in idents or ()),
        middle_names=name_words(middle),
        sealed_identifiers=frozenset((system, token) for system, _, token in idents or ()),
    )


def _load_postgres(ids: list[uuid.UUID], include_merged: bool) -> dict[uuid.UUID, Features]:
    rows = db.session.execute(_ONE_STATEMENT, {"ids": ids, "include_merged": include_merged})
    return {citizen_id: features_of_row(*values) for citizen_id, *values in rows}


def _load_batch(ids: list[uuid.UUID], include_merged: bool) -> dict[uuid.UUID, Features]:
    if db.session.get_bind().dialect.name == "postgresql":
        return _load_postgres(ids, include_merged)
    people = select(Citizen.id, Citizen.date_of_birth, Citizen.middle_names).where(
        Citizen.id.in_(ids)
    )
    if not include_merged:
        people = people.where(Citizen.status != "merged")
    base = {row[0]: (row[1], row[2]) for row in db.session.execute(people)}
    if not base:
        return {}
    wanted = list(base)
    names: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for citizen_id, kind, given, family in db.session.execute(
        select(
            CitizenName.citizen_id,
            CitizenName.kind,
            CitizenName.given_name,
            CitizenName.family_name,
        )
        .where(CitizenName.citizen_id.in_(wanted))
        .order_by(CitizenName.citizen_id, CitizenName.position)
    ):
        form = name_form(given, family, kind)
        if form is not None:
            names[citizen_id].append(form)
    emails: dict[uuid.UUID, set[str]] = defaultdict(set)
    phones: dict[uuid.UUID, set[str]] = defaultdict(set)
    for citizen_id, kind, value in db.session.execute(
        select(ContactPoint.citizen_id, ContactPoint.kind, ContactPoint.value).where(
            ContactPoint.citizen_id.in_(wanted)
        )
    ):
        (emails if kind == "email" else phones)[citizen_id].add(value)
    addresses: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for citizen_id, line1, line2, locality, postcode in db.session.execute(
        select(Address.citizen_id, Address.line1, Address.line2, Address.locality, Address.postcode)
        .where(Address.citizen_id.in_(wanted))
        .order_by(Address.citizen_id, Address.position)
    ):
        place = address_form(
            {"line1": line1, "line2": line2, "locality": locality, "postcode": postcode}
        )
        if place is not None:
            addresses[citizen_id].append(place)
    identifiers: dict[uuid.UUID, set[tuple[str, str]]] = defaultdict(set)
    sealed_values: dict[uuid.UUID, set[tuple[str, str]]] = defaultdict(set)
    for citizen_id, system, value_index, token in db.session.execute(
        select(
            ExternalIdentifier.citizen_id,
            ExternalIdentifier.system,
            ExternalIdentifier.value_index,
            ExternalIdentifier.value_encrypted,
        ).where(ExternalIdentifier.citizen_id.in_(wanted))
    ):
        identifiers[citizen_id].add((system, value_index))
        sealed_values[citizen_id].add((system, token))
    return {
        citizen_id: Features(
            names=distinct(names.get(citizen_id, ())),
            date_of_birth=dob,
            addresses=tuple(addresses.get(citizen_id, ())),
            emails=frozenset(emails.get(citizen_id, ())),
            phones=frozenset(phones.get(citizen_id, ())),
            identifiers=frozenset(identifiers.get(citizen_id, ())),
            middle_names=name_words(middle),
            sealed_identifiers=frozenset(sealed_values.get(citizen_id, ())),
        )
        for citizen_id, (dob, middle) in base.items()
    }
