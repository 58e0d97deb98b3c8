"""Row building for the bulk loader: one API payload -> the COPY rows create_citizen would insert.

``LOADED_TABLES`` and ``COLUMNS`` describe the tables written and their COPY column order;
``RowBuilder`` validates payloads through the package's own schema and functions, buffers the
rows, and flushes them with COPY.
"""

from __future__ import annotations

import json
import types
from typing import Any

import psycopg
from psycopg import sql

LOADED_TABLES = ("citizens", "citizen_names", "contact_points", "addresses", "external_identifiers")
COLUMNS: dict[str, tuple[str, ...]] = {
    "citizens": (
        "id",
        "status",
        "given_name",
        "middle_names",
        "family_name",
        "preferred_name",
        "date_of_birth",
        "date_of_death",
        "preferred_channel",
        "preferred_language",
        "accessibility_needs",
        "merged_into_id",
        "created_by_department_id",
        "version",
        "created_at",
        "updated_at",
    ),
    "citizen_names": (
        "id",
        "citizen_id",
        "kind",
        "position",
        "given_name",
        "family_name",
        "valid_from",
        "valid_to",
        "given_key",
        "family_key",
    ),
    "contact_points": ("id", "citizen_id", "kind", "value", "is_primary", "position"),
    "addresses": (
        "id",
        "citizen_id",
        "position",
        "line1",
        "line2",
        "locality",
        "region",
        "postcode",
        "postcode_key",
        "country",
        "valid_from",
        "valid_to",
    ),
    "external_identifiers": (
        "id",
        "citizen_id",
        "position",
        "system",
        "value_encrypted",
        "value_index",
        "value_hint",
    ),
}


class RowBuilder:
    """Turns API payloads into COPY rows, through the package's own schema and functions."""

    def __init__(self) -> None:
        from cgcrm.citizens import normalize, record, service
        from cgcrm.citizens.disclosure import identifier_hint
        from cgcrm.citizens.schemas import CitizenCreateSchema
        from cgcrm.core.clock import utcnow
        from cgcrm.core.crypto import cipher
        from cgcrm.core.errors import DomainError
        from cgcrm.core.ids import new_id

        self.normalize = normalize
        self.identifier_hint = identifier_hint
        self.record = record
        self.service = service
        self.schema = CitizenCreateSchema()
        self.utcnow = utcnow
        self.cipher = cipher()
        self.new_id = new_id
        self.domain_error = DomainError
        self.rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in LOADED_TABLES}
        # Each name key and its roles (bits: 1 given, 2 family; as name_tokens keeps them).
        self.tokens: dict[str, int] = {}

    def add(self, payload: dict[str, Any]) -> str:
        """Build and buffer the rows of one citizen; returns the new citizen's id.

        :raises ValueError: the API would refuse this payload (422/409); nothing is buffered.
        """
        from marshmallow import ValidationError as SchemaError

        try:
            data = self.schema.load(payload)
            rows = self._rows(data)
        except SchemaError as exc:
            raise ValueError(f"schema: {exc.messages}") from exc
        except self.domain_error as exc:
            raise ValueError(f"service: {exc.detail}") from exc
        for table, table_rows in rows.items():
            self.rows[table].extend(table_rows)
        citizen_id: str = str(rows["citizens"][0][0])
        return citizen_id

    def _rows(self, data: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
        """Mirrors cgcrm.citizens.service.create_citizen, field for field."""
        record, new_id = self.record, self.new_id
        now = self.utcnow()
        citizen_id = new_id()
        scalars = {name: data.get(name) for name in record.SCALAR_FIELDS}
        # Duck-typed stand-in for the Citizen the service builds (validate_names and
        # _apply_preferences only read and set these attributes).
        citizen = types.SimpleNamespace(
            preferred_channel=None, preferred_language=None, accessibility_needs=[], **scalars
        )
        record.validate_names(citizen)  # type: ignore[arg-type]
        self.service._apply_preferences(citizen, data.get("preferences") or {})  # type: ignore[arg-type]

        contact_rows = [
            (new_id(), citizen_id, point.kind, point.value, point.is_primary, point.position)
            for point in record.build_contact_points(data.get("contact_points", []))
        ]
        address_rows = [
            (
                new_id(),
                citizen_id,
                a.position,
                a.line1,
                a.line2,
                a.locality,
                a.region,
                a.postcode,
                a.postcode_key,
                a.country,
                a.valid_from,
                a.valid_to,
            )
            for a in record.build_addresses(data.get("addresses", []))
        ]
        identifier_rows = self._identifiers(citizen_id, data.get("identifiers", []))
        name_rows = self._names(citizen_id, scalars, data.get("previous_names", []))

        citizen_row = (
            citizen_id,
            "active",
            scalars["given_name"],
            scalars["middle_names"],
            scalars["family_name"],
            scalars["preferred_name"],
            scalars["date_of_birth"],
            None,  # date_of_death
            citizen.preferred_channel,
            citizen.preferred_language,
            json.dumps(list(citizen.accessibility_needs)),
            None,  # merged_into_id
            None,  # created_by_department_id: the SYSTEM actor has no department
            1,
            now,
            now,
        )
        return {
            "citizens": [citizen_row],
            "citizen_names": name_rows,
            "contact_points": contact_rows,
            "addresses": address_rows,
            "external_identifiers": identifier_rows,
        }

    def _identifiers(self, citizen_id: Any, items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """record.build_identifiers without its per-row SELECT: uniqueness across citizens is
        enforced by uq_external_identifiers_system_value when it is recreated after the load."""
        from cgcrm.core.errors import ValidationError

        rows: list[tuple[Any, ...]] = []
        systems: set[str] = set()
        for index, item in enumerate(items):
            if item["system"] in systems:
                raise ValidationError("one identifier per system")
            systems.add(item["system"])
            canonical = self.normalize.identifier_canonical(item["value"])
            if not canonical:
                raise ValidationError("empty identifier")
            rows.append(
                (
                    self.new_id(),
                    citizen_id,
                    index,
                    item["system"],
                    self.cipher.encrypt(item["value"]),
                    self.cipher.blind_index(canonical),
                    self.identifier_hint(item["value"]),
                )
            )
        return rows

    def _names(
        self, citizen_id: Any, scalars: dict[str, Any], previous: list[dict[str, Any]]
    ) -> list[tuple[Any, ...]]:
        """record.rebuild_names: current, preferred, then previous names, with their keys."""
        name_key = self.normalize.name_key
        entries = [("current", scalars["given_name"], scalars["family_name"], None, None)]
        if scalars["preferred_name"]:
            entries.append(
                ("preferred", scalars["preferred_name"], scalars["family_name"], None, None)
            )
        entries += [
            ("previous", p["given_name"], p["family_name"], p.get("valid_from"), p.get("valid_to"))
            for p in previous
        ]
        rows: list[tuple[Any, ...]] = []
        for position, (kind, given, family, start, end) in enumerate(entries):
            given_key, family_key = name_key(given), name_key(family)
            rows.append(
                (
                    self.new_id(),
                    citizen_id,
                    kind,
                    position,
                    given,
                    family,
                    start,
                    end,
                    given_key,
                    family_key,
                )
            )
            for key, role in ((given_key, 1), (family_key, 2)):
                if key:
                    self.tokens[key] = self.tokens.get(key, 0) | role
        return rows

    def flush(self, conn: psycopg.Connection[Any]) -> dict[str, int]:
        """COPY the buffered rows in one transaction; returns rows written per table."""
        written: dict[str, int] = {}
        with conn.cursor() as cur:
            for table in LOADED_TABLES:
                rows = self.rows[table]
                if not rows:
                    continue
                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, COLUMNS[table]))
                )
                with cur.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
                written[table] = len(rows)
                rows.clear()
        conn.commit()
        return written
