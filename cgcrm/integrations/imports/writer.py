"""Writing one decided batch of an import: every table in a few multi-row statements.

The records a batch creates, the identifiers it adds to stored records, its review items,
audit entries, outbox events and row outcomes go in the caller's transaction, each table in
one ``executemany`` (psycopg pipelines it), never an ORM flush per object.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb
from sqlalchemy import JSON, case, insert, update

from cgcrm.citizens import record
from cgcrm.citizens.models import (
    Address,
    Citizen,
    CitizenName,
    Consent,
    ContactPoint,
    ExternalIdentifier,
)
from cgcrm.citizens.name_dictionary import FAMILY, GIVEN, name_dictionary
from cgcrm.core.audit import AuditEvent, access_rows
from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.outbox import OutboxEvent
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.integrations.imports import lookups
from cgcrm.integrations.imports.models import ImportRow
from cgcrm.integrations.imports.rows import IdentifierKey, RecordRows, identifier_row
from cgcrm.matching.review import file_pair

_CHILD_TABLES = (
    ("names", CitizenName.__table__),
    ("contact_points", ContactPoint.__table__),
    ("addresses", Address.__table__),
    ("consents", Consent.__table__),
)


@dataclass
class RowPlan:
    """What one row of a batch becomes."""

    number: int
    outcome: str
    row_key: str | None = None
    # The fields of its validated body, in order (its audit entry names them); None while it
    # is rejected. Not the body itself: a prepared batch is pickled back from the process that
    # prepared it, and the bodies were a quarter of that.
    fields: list[str] | None = None
    citizen_id: uuid.UUID | None = None
    candidate: Any = None
    reasons: dict[str, Any] | None = None
    # The record the row would create, built (and so checked) before anything is decided.
    rows: RecordRows | None = None
    identifiers: list[tuple[IdentifierKey, dict[str, Any]]] = field(default_factory=list)
    features: Any = None


def _insert(table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert plain rows (every one with the same keys, Python-side defaults filled in).

    On PostgreSQL through ``COPY`` on the session's own connection, so inside its transaction:
    the rows are streamed, not bound statement by statement (the columns it leaves out take
    their server defaults).
    """
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    documents = [isinstance(table.c[name].type, JSON) for name in columns]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        if not any(documents):
            # No document to wrap: each row's values as they are (most tables).
            for row in rows:
                copy.write_row([row[name] for name in columns])
            return
        wrapped = [index for index, document in enumerate(documents) if document]
        for row in rows:
            values = [row[name] for name in columns]
            for index in wrapped:
                if values[index] is not None:
                    values[index] = Jsonb(values[index])
            copy.write_row(values)


class BatchWriter:
    """Writes the decided rows of one import's batches."""

    def __init__(self, import_id: uuid.UUID, actor: Actor) -> None:
        self.import_id = import_id
        self.actor = actor
        # Name keys known to be in ``name_tokens`` (found there or inserted by this job).
        self._stored_tokens: set[tuple[str, int]] = set()

    def write(self, plans: list[RowPlan]) -> None:
        """Every effect of the batch's rows, in the caller's transaction (not committed)."""
        now = utcnow()
        created: dict[uuid.UUID, RecordRows] = {}
        claimed: set[IdentifierKey] = set()
        for plan in plans:
            if plan.outcome in ("created", "review"):
                assert plan.rows is not None
                rows = plan.rows
                rows.identifiers = [
                    identifier_row(rows.citizen_id, i, key, item)
                    for i, (key, item) in enumerate(plan.identifiers)
                ]
                claimed.update(key for key, _ in plan.identifiers)
                created[rows.citizen_id] = rows
        added = self._additions([p for p in plans if p.outcome == "linked"], created, claimed)
        self._insert_records(list(created.values()))
        changed = self._touch(added, now)
        _insert(
            ExternalIdentifier.__table__,
            [ident for target, idents in added.items() if target in changed for ident in idents],
        )
        for plan in plans:
            if plan.outcome == "review" and plan.candidate is not None:
                assert plan.citizen_id is not None
                pair = file_pair(
                    plan.citizen_id, plan.candidate.citizen_id, plan.candidate, "import"
                )
                plan.candidate = pair.id
        self._audit(plans, created, changed, now)
        _insert(
            ImportRow.__table__,
            [
                {
                    "import_id": self.import_id,
                    "row_number": p.number,
                    "outcome": p.outcome,
                    "citizen_id": p.citizen_id if p.outcome != "rejected" else None,
                    "pair_id": p.candidate if p.outcome == "review" else None,
                    "reasons": p.reasons,
                    "row_key": p.row_key if p.outcome != "rejected" else None,
                }
                for p in plans
            ],
        )
        # file_pair reads its pair through the session; later batches need none of them.
        db.session.expunge_all()

    def _insert_records(self, created: list[RecordRows]) -> None:
        _insert(Citizen.__table__, [rows.citizen for rows in created])
        for name, table in _CHILD_TABLES:
            _insert(table, [row for rows in created for row in getattr(rows, name)])
        _insert(ExternalIdentifier.__table__, [i for rows in created for i in rows.identifiers])
        self._remember_tokens(
            [(name["given_key"], name["family_key"]) for rows in created for name in rows.names]
        )

    def _remember_tokens(self, names: list[tuple[str, str]]) -> None:
        """``record.remember_tokens`` of the batch's (given, family) name keys, less the keys
        this job has already stored in that role: most of an import's names repeat."""
        seen = self._stored_tokens
        # A key the table held in a role when this process last read it holds it still (roles
        # are never unset): there is nothing to write for it, and most of a file's keys are
        # stored already.
        held = name_dictionary.stored_roles(
            {key for given, family in names for key in (given, family) if key}
        )
        seen.update(
            (key, role) for key, roles in held.items() for role in (GIVEN, FAMILY) if roles & role
        )
        fresh = [
            (
                given if (given, GIVEN) not in seen else "",
                family if (family, FAMILY) not in seen else "",
            )
            for given, family in names
        ]
        fresh = [(given, family) for given, family in fresh if given or family]
        if not fresh:
            return
        record.remember_tokens(fresh)
        # Held for the rest of the job: a failed batch ends it (the job that resumes starts
        # with a writer of its own).
        seen.update((given, GIVEN) for given, _ in fresh if given)
        seen.update((family, FAMILY) for _, family in fresh if family)

    def _additions(
        self,
        linked: list[RowPlan],
        created: dict[uuid.UUID, RecordRows],
        claimed: set[IdentifierKey],
    ) -> dict[uuid.UUID, list[dict[str, Any]]]:
        """The identifiers each linked row adds to a stored record (those for a record created
        in this batch are appended to it); notes the ones it cannot add.

        :param claimed: identifiers this batch records already; grows with the additions.
        """
        stored_targets = {p.citizen_id for p in linked if p.citizen_id not in created}
        systems = lookups.systems_of({t for t in stored_targets if t is not None})
        added: dict[uuid.UUID, list[dict[str, Any]]] = {}
        claimed |= set(lookups.holders({key for p in linked for key, _ in p.identifiers}))
        for plan in linked:
            assert plan.citizen_id is not None
            target = created.get(plan.citizen_id)
            if target is not None:
                have = {i["system"] for i in target.identifiers}
            else:
                have = systems.setdefault(plan.citizen_id, set())
            notes = []
            for key, item in plan.identifiers:
                if key in claimed:
                    continue  # recorded already: for this record, or for the one it links to
                if key[0] in have:
                    notes.append(f"{key[0]}: the record holds another value; not added")
                    continue
                have.add(key[0])
                claimed.add(key)
                if target is not None:
                    position = len(target.identifiers)
                    target.identifiers.append(identifier_row(plan.citizen_id, position, key, item))
                else:
                    row = identifier_row(plan.citizen_id, len(have) + 100, key, item)
                    added.setdefault(plan.citizen_id, []).append(row)
            if notes:
                plan.reasons = {"identifiers": notes}
        return added

    def _touch(self, added: dict[uuid.UUID, list[Any]], now: datetime) -> dict[uuid.UUID, int]:
        """New versions of the stored records given identifiers (active ones only)."""
        if not added:
            return {}
        rows = db.session.execute(
            update(Citizen)
            .where(Citizen.id.in_(sorted(added)), Citizen.status != "merged")
            .values(
                version=case(
                    (Citizen.highest_version > Citizen.version, Citizen.highest_version),
                    else_=Citizen.version,
                )
                + 1,
                updated_at=now,
            )
            .returning(Citizen.id, Citizen.version)
            .execution_options(synchronize_session=False)
        )
        return {r.id: r.version for r in rows}

    def _audit(
        self,
        plans: list[RowPlan],
        created: dict[uuid.UUID, RecordRows],
        changed: dict[uuid.UUID, int],
        now: datetime,
    ) -> None:
        audit: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for plan in plans:
            if plan.citizen_id in created and plan.outcome in ("created", "review"):
                fields = plan.fields or []
                audit += access_rows(self.actor, "citizen.created", [plan.citizen_id], fields)
                events.append(
                    self._event("citizen.created", plan.citizen_id, {"fields": fields}, now)
                )
        for citizen_id, version in changed.items():
            audit += access_rows(self.actor, "citizen.updated", [citizen_id], ["identifiers"])
            events.append(
                self._event(
                    "citizen.updated",
                    citizen_id,
                    {"fields": ["identifiers"], "version": version},
                    now,
                )
            )
        # Streamed like the records (one statement each row was most of this method's cost).
        _insert(AuditEvent.__table__, audit)
        _insert(OutboxEvent.__table__, events)

    def _event(
        self, event_type: str, citizen_id: Any, payload: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        return {
            "event_id": new_id(),
            "type": event_type,
            "aggregate_type": "citizen",
            "aggregate_id": citizen_id,
            "payload": {"citizen_id": str(citizen_id), "import_id": str(self.import_id), **payload},
            "occurred_at": now,
        }
