"""Field-level survivorship: what the survivor of a merge holds, field by field and list by list.

Scalar fields (``FIELDS``): a field the caller names takes the value of the record it names
(``"survivor"`` or ``"duplicate"``); any other takes the *most recent verified value*. A record
holds no verification flag or assurance level per field today, so the value last confirmed is the
one of the record updated last (``updated_at``); when that record has none, the other one's.
Lists are united, each kept once: contact points by kind and value (the survivor's primary of a
kind stays primary), addresses by their normalised lines, identifiers by system and value (the
same system with two different values refuses the merge: two people, or a mistake to correct
first); consents are a history, so every decision moves and the latest per purpose is current.
The duplicate's current name becomes a previous name of the survivor when it differs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cgcrm.citizens import normalize, sharing
from cgcrm.core.errors import Conflict, ValidationError

Row = Mapping[str, Any]
Plan = tuple[list[dict[str, Any]], list[str]]

# The citizen columns a merge chooses; ``preferences`` are their three columns.
NAME_FIELDS = ("given_name", "middle_names", "family_name", "preferred_name")
FIELDS = (
    *NAME_FIELDS,
    "date_of_birth",
    "date_of_death",
    "preferred_channel",
    "preferred_language",
    "accessibility_needs",
)
SIDES = ("survivor", "duplicate")


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def choose_fields(
    survivor: Row, duplicate: Row, requested: Mapping[str, str] | None
) -> dict[str, str]:
    """Which record each field is taken from: ``{field: "survivor" | "duplicate"}``.

    :param survivor: the survivor's ``citizens`` row; ``duplicate`` likewise.
    :param requested: the caller's overrides.
    :raises ValidationError: an unknown field or side.
    """
    requested = dict(requested or {})
    errors = {
        name: [f"not a field a merge chooses; one of {', '.join(FIELDS)}"]
        for name in requested
        if name not in FIELDS
    }
    errors.update(
        {
            name: ['"survivor" or "duplicate"']
            for name, side in requested.items()
            if name in FIELDS and side not in SIDES
        }
    )
    if errors:
        raise ValidationError("invalid field choices", errors={"fields": errors})
    recent, other = (
        ("duplicate", "survivor")
        if _moment(duplicate["updated_at"]) > _moment(survivor["updated_at"])
        else ("survivor", "duplicate")
    )
    rows = {"survivor": survivor, "duplicate": duplicate}
    chosen: dict[str, str] = {}
    for name in FIELDS:
        if name in requested:
            chosen[name] = requested[name]
        elif _empty(rows[recent][name]) and not _empty(rows[other][name]):
            chosen[name] = other
        else:
            chosen[name] = recent
    if all(rows[chosen[n]][n] is None for n in ("given_name", "family_name")):
        raise ValidationError(
            "the chosen fields leave the record without a name",
            errors={"fields": {"given_name": ["choose a record that has a name"]}},
        )
    return chosen


def merged_values(survivor: Row, duplicate: Row, chosen: Mapping[str, str]) -> dict[str, Any]:
    """The survivor's chosen column values, and its status (deceased if either record is)."""
    rows = {"survivor": survivor, "duplicate": duplicate}
    values = {name: rows[side][name] for name, side in chosen.items()}
    deceased = "deceased" in (survivor["status"], duplicate["status"])
    values["status"] = "deceased" if deceased else survivor["status"]
    return values


def _name_key(given: Any, family: Any) -> tuple[str, str]:
    return normalize.name_key(given), normalize.name_key(family)


def previous_names(
    survivor: Row, duplicate: Row, names: Sequence[Row], values: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The survivor's previous names after the merge: both records' previous names, and each
    record's current name that is not the merged current name, each name once.

    :param names: the ``citizen_names`` rows of both records.
    """
    current = _name_key(values["given_name"], values["family_name"])
    seen = {current}
    result: list[dict[str, Any]] = []

    def keep(given: Any, family: Any, valid_from: Any = None, valid_to: Any = None) -> None:
        key = _name_key(given, family)
        if key in seen:
            return
        seen.add(key)
        result.append(
            {
                "given_name": given,
                "family_name": family,
                "valid_from": valid_from,
                "valid_to": valid_to,
            }
        )

    for record in (survivor, duplicate):
        own = sorted(
            (n for n in names if n["citizen_id"] == record["id"] and n["kind"] == "previous"),
            key=lambda n: n["position"],
        )
        for name in own:
            keep(name["given_name"], name["family_name"], name["valid_from"], name["valid_to"])
    for record in (survivor, duplicate):
        keep(record["given_name"], record["family_name"])
    return result


def _address_key(row: Row) -> tuple[str, ...]:
    # The region is left out: the postcode already says it, and files often omit it.
    parts = (row["line1"], row["line2"], row["locality"], row["country"])
    text = tuple(" ".join(str(part or "").lower().split()) for part in parts)
    return (*text, row["postcode_key"] or "")


def _next_position(rows: Sequence[Row]) -> int:
    return max((row["position"] for row in rows), default=-1) + 1


def plan_contact_points(kept: Sequence[Row], incoming: Sequence[Row]) -> Plan:
    """The duplicate's contact points to move (id, position, is_primary) and to drop (ids)."""
    values = {(row["kind"], row["value"]) for row in kept}
    primaries = {row["kind"] for row in kept if row["is_primary"]}
    position = _next_position(kept)
    moves: list[dict[str, Any]] = []
    drops: list[str] = []
    for row in sorted(incoming, key=lambda r: r["position"]):
        if (row["kind"], row["value"]) in values:
            drops.append(row["id"])
            continue
        values.add((row["kind"], row["value"]))
        primary = bool(row["is_primary"]) and row["kind"] not in primaries
        if primary:
            primaries.add(row["kind"])
        moves.append({"id": row["id"], "position": position, "is_primary": primary})
        position += 1
    return moves, drops


def plan_addresses(kept: Sequence[Row], incoming: Sequence[Row]) -> Plan:
    """The duplicate's addresses to move (id, position) and to drop (the same address, ids)."""
    keys = {_address_key(row) for row in kept}
    position = _next_position(kept)
    moves: list[dict[str, Any]] = []
    drops: list[str] = []
    for row in sorted(incoming, key=lambda r: r["position"]):
        key = _address_key(row)
        if key in keys:
            drops.append(row["id"])
            continue
        keys.add(key)
        moves.append({"id": row["id"], "position": position})
        position += 1
    return moves, drops


def plan_identifiers(kept: Sequence[Row], incoming: Sequence[Row]) -> Plan:
    """The duplicate's identifiers to move and to drop (the same system and value).

    :raises Conflict: the records hold different values in one system.
    """
    by_system = {row["system"]: row["value_index"] for row in kept}
    position = _next_position(kept)
    moves: list[dict[str, Any]] = []
    drops: list[str] = []
    clashes: dict[str, list[str]] = {}
    for row in sorted(incoming, key=lambda r: r["position"]):
        held = by_system.get(row["system"])
        if held == row["value_index"]:
            drops.append(row["id"])
        elif held is not None:
            clashes[row["system"]] = ["the two records hold different values"]
        else:
            by_system[row["system"]] = row["value_index"]
            moves.append({"id": row["id"], "position": position})
            position += 1
    if clashes:
        raise Conflict(
            "the records hold different identifiers of the same system: two people, or a "
            "mistake to correct on one of them before merging",
            errors={"identifiers": clashes},
        )
    return moves, drops


def shares_after(survivor: Row, consents: Sequence[Row]) -> bool:
    """The merged record's whole-of-government flag: the latest decision of both histories."""
    ordered = sorted(consents, key=lambda c: (_moment(c["recorded_at"]), c["id"]))
    latest = sharing.latest_sharing_decision((c["purpose"], c["granted"]) for c in ordered)
    return bool(survivor["shares_across_government"]) if latest is None else latest
