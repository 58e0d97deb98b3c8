"""The rows a bulk import writes, as plain values inserted many at a time.

A record the import creates is what ``POST /api/v1/citizens`` would create from the same body:
its columns, names, contact points, addresses and consents come from the citizens service's
own row building (``service.new_citizen_values``, ``record.*_values``,
``consents.consent_values``), so the rules are the service's; only the ORM objects and their
per-object flushes are left out. Identifiers are the import's: it checks a whole batch's
against the stored ones in one query (``apply``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cgcrm.citizens import consents, normalize, record, sharing
from cgcrm.citizens.disclosure import identifier_hint
from cgcrm.citizens.service import new_citizen_values
from cgcrm.core.crypto import cipher
from cgcrm.core.ids import new_id
from cgcrm.core.principal import Actor

IdentifierKey = tuple[str, str]  # (system, value_index)


@dataclass
class RecordRows:
    """One new record's rows, ids assigned; identifiers are added when the row is decided."""

    citizen: dict[str, Any]
    names: list[dict[str, Any]]
    contact_points: list[dict[str, Any]]
    addresses: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    identifiers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def citizen_id(self) -> uuid.UUID:
        return self.citizen["id"]  # type: ignore[no-any-return]


def record_rows(actor: Actor, data: dict[str, Any]) -> RecordRows:
    """The rows ``create_citizen`` would write for ``data``, without its identifiers.

    :raises ValidationError, NotAuthorized: as ``create_citizen``.
    """
    citizen = new_citizen_values(actor, data)
    citizen_id = citizen["id"]
    points = record.contact_point_values(data.get("contact_points", []))
    places = record.address_values(data.get("addresses", []))
    names = record.name_values(
        citizen["given_name"],
        citizen["family_name"],
        citizen["preferred_name"],
        data.get("previous_names", []),
    )
    decisions = [consents.consent_values(actor, citizen_id, c) for c in data.get("consents", [])]
    citizen["shares_across_government"] = bool(
        sharing.latest_sharing_decision((c["purpose"], c["granted"]) for c in decisions)
    )
    for rows in (points, places, names):
        for row in rows:
            row["id"] = new_id()
            row["citizen_id"] = citizen_id
    return RecordRows(citizen, names, points, places, decisions)


def identifier_keys(data: Mapping[str, Any]) -> list[tuple[IdentifierKey, dict[str, Any]]]:
    """The row's identifiers with the keys they are recorded under."""
    field_cipher = cipher()
    keys = []
    for item in data.get("identifiers", []):
        canonical = normalize.identifier_canonical(item["value"])
        if canonical:
            keys.append(((item["system"], field_cipher.blind_index(canonical)), item))
    return keys


def identifier_row(
    citizen_id: uuid.UUID, position: int, key: IdentifierKey, item: Mapping[str, Any]
) -> dict[str, Any]:
    """An ``external_identifiers`` row: the value encrypted, its keyed hash and hint."""
    return {
        "id": new_id(),
        "citizen_id": citizen_id,
        "position": position,
        "system": key[0],
        "value_encrypted": cipher().encrypt(item["value"]),
        "value_index": key[1],
        "value_hint": identifier_hint(item["value"]),
    }


def row_key(department_id: uuid.UUID, body: Mapping[str, Any] | None) -> str | None:
    """A keyed hash of the department and the row as sent (never stored in clear)."""
    if body is None:
        return None
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return cipher().blind_index(f"{department_id}|{canonical}")
