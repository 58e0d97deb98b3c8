"""Turning validated input into the rows of a citizen record, with their search keys."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import and_, or_, select, update

from cgcrm.citizens import normalize
from cgcrm.citizens.disclosure import MASK, identifier_hint, masked_value
from cgcrm.citizens.models import (
    Address,
    Citizen,
    CitizenName,
    ContactPoint,
    ExternalIdentifier,
    NameToken,
)
from cgcrm.citizens.name_dictionary import FAMILY, GIVEN, name_dictionary
from cgcrm.core.crypto import cipher
from cgcrm.core.errors import Conflict, ValidationError
from cgcrm.core.upsert import insert_ignoring_conflicts
from cgcrm.extensions import db

SCALAR_FIELDS = ("given_name", "middle_names", "family_name", "preferred_name", "date_of_birth")


def contact_point_values(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``contact_points`` rows of validated items (without ids): emails and phones
    normalised; one primary per kind.

    :raises ValidationError: an invalid email or phone, or duplicates.
    """
    region = current_app.config["DEFAULT_PHONE_REGION"]
    errors: dict[str, Any] = {}
    points: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    primary_seen: set[str] = set()
    for index, item in enumerate(items):
        try:
            if item["kind"] == "email":
                value = normalize.normalise_email(item["value"])
            else:
                value = normalize.normalise_phone(item["value"], region)
        except ValueError as exc:
            errors[str(index)] = {"value": [str(exc)]}
            continue
        if (item["kind"], value) in seen:
            errors[str(index)] = {"value": ["duplicate contact point"]}
            continue
        seen.add((item["kind"], value))
        primary = bool(item.get("is_primary"))
        if primary and item["kind"] in primary_seen:
            errors[str(index)] = {"is_primary": [f"only one primary {item['kind']}"]}
            continue
        if primary:
            primary_seen.add(item["kind"])
        points.append(
            {"kind": item["kind"], "value": value, "is_primary": primary, "position": index}
        )
    if errors:
        raise ValidationError("invalid contact points", errors={"contact_points": errors})
    return points


def build_contact_points(items: list[dict[str, Any]]) -> list[ContactPoint]:
    """Normalise emails and phones; one primary per kind (``contact_point_values``).

    :raises ValidationError: an invalid email or phone, or duplicates.
    """
    return [ContactPoint(**values) for values in contact_point_values(items)]


def address_values(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``addresses`` rows of validated items (without ids), with their postcode keys."""
    country = current_app.config["DEFAULT_COUNTRY"]
    return [
        {
            "position": index,
            "line1": item.get("line1"),
            "line2": item.get("line2"),
            "locality": item.get("locality"),
            "region": item.get("region"),
            "postcode": item.get("postcode"),
            "postcode_key": normalize.postcode_key(item.get("postcode")),
            "country": item.get("country") or country,
            "valid_from": item.get("valid_from"),
            "valid_to": item.get("valid_to"),
        }
        for index, item in enumerate(items)
    ]


def build_addresses(items: list[dict[str, Any]]) -> list[Address]:
    return [Address(**values) for values in address_values(items)]


class StoredIdentifier(NamedTuple):
    """An identifier as stored, kept through a PATCH by a caller shown it masked."""

    value_encrypted: str
    value_index: str
    value_hint: str


def stored_identifiers(citizen: Citizen) -> dict[str, StoredIdentifier]:
    """The citizen's identifiers by system, as stored (nothing decrypted)."""
    return {
        ident.system: StoredIdentifier(ident.value_encrypted, ident.value_index, ident.value_hint)
        for ident in citizen.identifiers
    }


def _kept_identifier(
    index: int, item: dict[str, Any], stored: dict[str, StoredIdentifier]
) -> ExternalIdentifier:
    kept = stored.get(item["system"])
    if kept is None or masked_value(kept.value_hint) != item["value"]:
        raise ValidationError(
            "a masked identifier keeps the stored one and must be sent as it was shown",
            errors={"identifiers": {str(index): {"value": ["not the stored identifier"]}}},
        )
    return ExternalIdentifier(position=index, system=item["system"], **kept._asdict())


def build_identifiers(
    items: list[dict[str, Any]],
    citizen_id: Any | None = None,
    stored: dict[str, StoredIdentifier] | None = None,
) -> list[ExternalIdentifier]:
    """Encrypt identifier values and index them; refuse ones held by another citizen.

    An item sent back ``masked`` (as a principal that may not read it was shown it) keeps the
    stored identifier of its system, so such a principal can replace the list without erasing
    or corrupting identifiers it cannot see.

    :param stored: the citizen's identifiers before the change (``stored_identifiers``).
    :raises ValidationError: the same system twice; a masked item that is not the stored one.
    :raises Conflict: another citizen already holds the identifier.
    """
    field_cipher = cipher()
    result: list[ExternalIdentifier] = []
    systems: set[str] = set()
    for index, item in enumerate(items):
        if item["system"] in systems:
            raise ValidationError(
                "one identifier per system",
                errors={"identifiers": {str(index): {"system": ["duplicate system"]}}},
            )
        systems.add(item["system"])
        if item.get("masked"):
            result.append(_kept_identifier(index, item, stored or {}))
            continue
        if item["value"].startswith(MASK):
            raise ValidationError(
                "a masked value is not an identifier: send masked: true to keep the stored one",
                errors={"identifiers": {str(index): {"value": ["a masked value"]}}},
            )
        canonical = normalize.identifier_canonical(item["value"])
        if not canonical:
            raise ValidationError(
                "empty identifier", errors={"identifiers": {str(index): {"value": ["empty"]}}}
            )
        value_index = field_cipher.blind_index(canonical)
        holder = db.session.scalar(
            select(ExternalIdentifier.citizen_id).where(
                ExternalIdentifier.system == item["system"],
                ExternalIdentifier.value_index == value_index,
            )
        )
        if holder is not None and holder != citizen_id:
            raise Conflict(
                f"identifier {item['system']} is already recorded for another citizen",
                errors={"identifiers": {str(index): {"value": ["already in use"]}}},
                existing_citizen=str(holder),
            )
        result.append(
            ExternalIdentifier(
                position=index,
                system=item["system"],
                value_encrypted=field_cipher.encrypt(item["value"]),
                value_index=value_index,
                value_hint=identifier_hint(item["value"]),
            )
        )
    return result


def identifier_index(value: str) -> str:
    """The keyed hash of an identifier value: equal for equal values in any system, so a
    search can find a value whose system the operator does not know."""
    return cipher().blind_index(normalize.identifier_canonical(value))


def name_values(
    given: str | None,
    family: str | None,
    preferred: str | None,
    previous: Iterable[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The searchable names' rows (without ids): current, preferred, then previous."""
    rows = [("current", given, family, None, None)]
    if preferred:
        rows.append(("preferred", preferred, family, None, None))
    rows += [
        ("previous", p["given_name"], p["family_name"], p.get("valid_from"), p.get("valid_to"))
        for p in previous
    ]
    return [
        {
            "kind": kind,
            "position": index,
            "given_name": given_name,
            "family_name": family_name,
            "valid_from": start,
            "valid_to": end,
            "given_key": normalize.name_key(given_name),
            "family_key": normalize.name_key(family_name),
        }
        for index, (kind, given_name, family_name, start, end) in enumerate(rows)
    ]


def rebuild_names(citizen: Citizen, previous: Iterable[dict[str, Any]] | None) -> None:
    """Recompute the searchable names: current, preferred, and previous (kept unless replaced)."""
    if previous is None:
        previous = [
            {
                "given_name": n.given_name,
                "family_name": n.family_name,
                "valid_from": n.valid_from,
                "valid_to": n.valid_to,
            }
            for n in citizen.previous_names
        ]
    citizen.names = [
        CitizenName(**values)
        for values in name_values(
            citizen.given_name, citizen.family_name, citizen.preferred_name, previous
        )
    ]
    remember_tokens((name.given_key, name.family_key) for name in citizen.names)


def remember_tokens(names: Iterable[tuple[str, str]]) -> None:
    """Add the new name keys of ``names`` ((given key, family key) pairs) to the search
    dictionary with the roles they have there; a stored key gains a role it lacked (roles are
    never unset: the real-time match probes a key only in the roles it has had)."""
    roles: dict[str, int] = {}
    for given, family in names:
        if given:
            roles[given] = roles.get(given, 0) | GIVEN
        if family:
            roles[family] = roles.get(family, 0) | FAMILY
    if not roles:
        return
    phonetics = {key: normalize.phonetic_key(key) for key in roles}
    rows = [
        {
            "token": key,
            "phonetic": phonetics[key],
            "used_as_given": bool(held & GIVEN),
            "used_as_family": bool(held & FAMILY),
        }
        for key, held in sorted(roles.items())
    ]
    table = NameToken.__table__
    inserted = set(
        db.session.execute(insert_ignoring_conflicts(table).returning(table.c.token), rows)
        .scalars()
        .all()
    )
    # Keys stored before: a role the table had when this process last read it is still
    # there; only a role it may lack is set, in a statement of its own (its snapshot sees a
    # key another transaction inserted while this one waited on it).
    stored = name_dictionary.stored_roles(key for key in roles if key not in inserted)
    lacking = {key: roles[key] & ~held for key, held in stored.items() if roles[key] & ~held}
    if lacking:
        _add_roles(lacking)
    name_dictionary.learn((key, phonetics[key], held) for key, held in roles.items())


def _add_roles(roles: Mapping[str, int]) -> None:
    """Give stored keys roles they may lack; only the rows that change are written (and
    locked), so creates sharing a common name do not wait on each other here."""
    table = NameToken.__table__
    given = sorted(key for key, held in roles.items() if held & GIVEN)
    family = sorted(key for key, held in roles.items() if held & FAMILY)
    as_given, as_family = table.c.token.in_(given), table.c.token.in_(family)
    db.session.execute(
        update(table)
        .where(
            or_(
                and_(as_given, table.c.used_as_given.is_(False)),
                and_(as_family, table.c.used_as_family.is_(False)),
            )
        )
        .values(
            used_as_given=or_(table.c.used_as_given, as_given),
            used_as_family=or_(table.c.used_as_family, as_family),
        )
    )


def validate_names(citizen: Citizen) -> None:
    """Names must still yield a search key (a name of only punctuation cannot be found).

    :raises ValidationError: a name without letters or digits.
    """
    check_names({field: getattr(citizen, field) for field in ("given_name", "family_name")})


def check_names(values: Mapping[str, Any]) -> None:
    """``validate_names`` of a record's plain values.

    :raises ValidationError: a name without letters or digits.
    """
    for field in ("given_name", "family_name"):
        value = values.get(field)
        if value is None:
            continue
        if not normalize.name_key(value) and not any(ch.isalnum() for ch in value):
            raise ValidationError(
                f"{field} needs at least one letter", errors={field: ["needs at least one letter"]}
            )
