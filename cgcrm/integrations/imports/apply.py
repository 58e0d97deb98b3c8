"""The import job's work: every row of a stored file validated, matched and applied.

Rows go in batches (IMPORT_BATCH_SIZE); each batch is one transaction holding the rows' effects
(records created, identifiers added, review items filed, audit entries, outbox events), their
``ImportRow`` outcomes and the import's counters. A job killed mid-file therefore resumes after
the last committed batch: rows with an outcome are skipped, and the matcher is rebuilt from
them, so nothing is created twice.

What a valid row becomes, first rule that applies:

1. recognised: the department imported the very same row before (``row_key``) -> linked to
   the record that row made or found;
2. one of its identifiers is already recorded (for anyone) -> linked to that record;
3. the engine's best candidate, among the population and the earlier rows of the file, is a
   ``match`` -> linked; a ``possible`` -> created, with a review item naming the candidate;
4. otherwise -> created.

Linked means the row's identifiers (the department's ids for the person) are added to the
record, each whose system the record lacks; one whose system the record holds with another
value is not added, and the row's ``reasons`` say so.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError as SchemaError
from sqlalchemy import insert, select, update

from cgcrm.catalog.models import Department
from cgcrm.citizens import normalize
from cgcrm.citizens.disclosure import identifier_hint
from cgcrm.citizens.models import Citizen, ExternalIdentifier
from cgcrm.citizens.schemas import CitizenCreateSchema
from cgcrm.citizens.service import build_citizen
from cgcrm.core.advisory import exclusive_run
from cgcrm.core.audit import AUDIT_INSERT, access_rows
from cgcrm.core.clock import utcnow
from cgcrm.core.crypto import cipher
from cgcrm.core.errors import DomainError
from cgcrm.core.ids import new_id
from cgcrm.core.outbox import OutboxEvent
from cgcrm.core.principal import Actor, Principal
from cgcrm.core.scopes import CITIZENS_READ, CITIZENS_WRITE
from cgcrm.extensions import db
from cgcrm.integrations.imports import parsing
from cgcrm.integrations.imports.matcher import RowMatcher, better
from cgcrm.integrations.imports.models import CitizenImport, ImportRow
from cgcrm.matching.review import file_pair

IdentifierKey = tuple[str, str]  # (system, value_index)


@dataclass
class RowPlan:
    """What one row of a batch becomes."""

    number: int
    outcome: str
    row_key: str | None = None
    data: dict[str, Any] | None = None
    citizen_id: uuid.UUID | None = None
    candidate: Any = None
    reasons: dict[str, Any] | None = None
    # The record the row would create, built (and so checked) before anything is decided.
    record: Citizen | None = None
    identifiers: list[tuple[IdentifierKey, dict[str, Any]]] = field(default_factory=list)


def import_actor(citizen_import: CitizenImport) -> Actor:
    """Whom the job acts for: the principal that sent the file, in its department."""
    kind, _, ident = citizen_import.requested_by.partition(":")
    code = db.session.scalar(
        select(Department.code).where(Department.id == citizen_import.department_id)
    )
    principal = Principal(
        kind=kind or "client",
        id=ident or citizen_import.requested_by,
        department_id=citizen_import.department_id,
        department_code=code,
        scopes=frozenset({CITIZENS_READ, CITIZENS_WRITE}),
    )
    return Actor(principal=principal, request_id=f"import-{citizen_import.id}"[:64])


def _messages(exc: SchemaError | DomainError) -> dict[str, Any]:
    if isinstance(exc, SchemaError):
        messages = exc.normalized_messages()
    else:
        messages = exc.errors or {"row": [exc.detail]}
    return messages if isinstance(messages, dict) else {"row": messages}


_CREATE = CitizenCreateSchema()


def validate_row(row: parsing.ParsedRow) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The row's validated create body, or why it is rejected."""
    if row.body is None:
        return None, row.errors or {"row": ["unreadable"]}
    try:
        data: dict[str, Any] = _CREATE.load(row.body)
    except SchemaError as exc:
        return None, _messages(exc)
    systems = [item["system"] for item in data.get("identifiers", [])]
    if len(systems) != len(set(systems)):
        return None, {"identifiers": ["one identifier per system"]}
    return data, None


def row_key(department_id: uuid.UUID, body: Mapping[str, Any] | None) -> str | None:
    """A keyed hash of the department and the row as sent (never stored in clear)."""
    if body is None:
        return None
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return cipher().blind_index(f"{department_id}|{canonical}")


def identifier_keys(data: Mapping[str, Any]) -> list[tuple[IdentifierKey, dict[str, Any]]]:
    """The row's identifiers with the keys they are recorded under."""
    field_cipher = cipher()
    keys = []
    for item in data.get("identifiers", []):
        canonical = normalize.identifier_canonical(item["value"])
        if canonical:
            keys.append(((item["system"], field_cipher.blind_index(canonical)), item))
    return keys


def _identifier_row(position: int, key: IdentifierKey, item: Mapping[str, Any]) -> Any:
    return ExternalIdentifier(
        id=new_id(),
        position=position,
        system=key[0],
        value_encrypted=cipher().encrypt(item["value"]),
        value_index=key[1],
        value_hint=identifier_hint(item["value"]),
    )


# --- Looking up a batch at once ---------------------------------------------------------------


def _holders(keys: set[IdentifierKey]) -> dict[IdentifierKey, uuid.UUID]:
    if not keys:
        return {}
    table = ExternalIdentifier.__table__
    rows = db.session.execute(
        select(table.c.system, table.c.value_index, table.c.citizen_id).where(
            table.c.value_index.in_(sorted({index for _, index in keys}))
        )
    )
    return {
        (r.system, r.value_index): r.citizen_id for r in rows if (r.system, r.value_index) in keys
    }


def _recognised(keys: set[str]) -> dict[str, uuid.UUID]:
    if not keys:
        return {}
    rows = db.session.execute(
        select(ImportRow.row_key, ImportRow.citizen_id).where(
            ImportRow.row_key.in_(sorted(keys)), ImportRow.citizen_id.is_not(None)
        )
    )
    return {r.row_key: r.citizen_id for r in rows}


def _survivors(ids: set[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Each id mapped to the record that holds it now (a merged one's survivor)."""
    resolved = {i: i for i in ids}
    pending = set(ids)
    for _ in range(10):  # merge chains are short; a cycle cannot exist but must not hang us
        if not pending:
            break
        rows = db.session.execute(
            select(Citizen.id, Citizen.merged_into_id).where(
                Citizen.id.in_(sorted(pending)), Citizen.merged_into_id.is_not(None)
            )
        ).all()
        moved = {r.id: r.merged_into_id for r in rows}
        for start, now in resolved.items():
            if now in moved:
                resolved[start] = moved[now]
        pending = set(moved.values())
    return resolved


def _systems_of(ids: set[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
    systems: dict[uuid.UUID, set[str]] = {i: set() for i in ids}
    if ids:
        rows = db.session.execute(
            select(ExternalIdentifier.citizen_id, ExternalIdentifier.system).where(
                ExternalIdentifier.citizen_id.in_(sorted(ids))
            )
        )
        for r in rows:
            systems[r.citizen_id].add(r.system)
    return systems


# --- One batch --------------------------------------------------------------------------------


class BatchApplier:
    """Applies batches of one import, remembering the file's rows for the ones after."""

    def __init__(self, citizen_import: CitizenImport, actor: Actor) -> None:
        self.import_id = citizen_import.id
        self.department_id = citizen_import.department_id
        self.actor = actor
        self.matcher = RowMatcher()
        # The file's identifiers and row keys already applied, to the record each went to.
        self.file_identifiers: dict[IdentifierKey, uuid.UUID] = {}
        self.file_rows: dict[str, uuid.UUID] = {}

    def remember(self, row: parsing.ParsedRow, citizen_id: uuid.UUID) -> None:
        """Replay a row applied by an earlier run (resume), so later rows can match it."""
        data, _ = validate_row(row)
        if data is None:
            return
        self.matcher.remember(citizen_id, data)
        for ident, _item in identifier_keys(data):
            self.file_identifiers.setdefault(ident, citizen_id)
        key = row_key(self.department_id, row.body)
        if key:
            self.file_rows.setdefault(key, citizen_id)

    def _plan(self, rows: Sequence[parsing.ParsedRow]) -> list[RowPlan]:
        plans: list[RowPlan] = []
        for row in rows:
            data, errors = validate_row(row)
            plan = RowPlan(row.number, "rejected", row_key(self.department_id, row.body), data)
            if data is not None:
                try:
                    plan.record = build_citizen(self.actor, data, identifiers=[])
                except DomainError as exc:
                    data, errors = None, _messages(exc)
            if data is None:
                plan.data, plan.reasons = None, errors
            else:
                plan.identifiers = identifier_keys(data)
            plans.append(plan)
        valid = [p for p in plans if p.data is not None]
        holders = _holders({key for p in valid for key, _ in p.identifiers})
        recognised = _recognised({p.row_key for p in valid if p.row_key})
        population = self.matcher.population_best([p.data or {} for p in valid])
        targets: set[uuid.UUID] = set(holders.values()) | set(recognised.values())
        targets |= {c.citizen_id for c in population if c is not None and c.citizen_id}
        survivor = _survivors(targets)
        for plan, from_population in zip(valid, population, strict=True):
            self._decide(plan, from_population, holders, recognised, survivor)
        return plans

    def _decide(
        self,
        plan: RowPlan,
        from_population: Any,
        holders: Mapping[IdentifierKey, uuid.UUID],
        recognised: Mapping[str, uuid.UUID],
        survivor: Mapping[uuid.UUID, uuid.UUID],
    ) -> None:
        assert plan.data is not None
        known = plan.row_key and (self.file_rows.get(plan.row_key) or recognised.get(plan.row_key))
        held = next(
            (
                self.file_identifiers.get(key) or holders.get(key)
                for key, _ in plan.identifiers
                if key in self.file_identifiers or key in holders
            ),
            None,
        )
        target = known or held
        if target is not None:
            plan.outcome, plan.citizen_id = "linked", survivor.get(target, target)
        else:
            best = better(from_population, self.matcher.file_best(plan.data))
            if best is not None and best.band == "match":
                plan.outcome, plan.citizen_id = "linked", best.citizen_id
            else:
                assert plan.record is not None
                plan.outcome, plan.citizen_id = "created", plan.record.id
                if best is not None:
                    plan.outcome, plan.candidate = "review", best
        citizen_id = plan.citizen_id
        assert citizen_id is not None
        self.matcher.remember(citizen_id, plan.data)
        for key, _ in plan.identifiers:
            self.file_identifiers.setdefault(key, citizen_id)
        if plan.row_key:
            self.file_rows.setdefault(plan.row_key, citizen_id)

    def apply(self, rows: Sequence[parsing.ParsedRow]) -> dict[str, int]:
        """Plan and write one batch, with its outcomes and counters, in one transaction.

        :returns: the batch's rows per outcome.
        """
        try:
            plans = self._plan(rows)
            self._write(plans)
            counts = {name: 0 for name in ("created", "linked", "review", "rejected")}
            for plan in plans:
                counts[plan.outcome] += 1
            db.session.execute(
                update(CitizenImport)
                .where(CitizenImport.id == self.import_id)
                .values(
                    rows_done=CitizenImport.rows_done + len(plans),
                    **{name: getattr(CitizenImport, name) + n for name, n in counts.items()},
                )
            )
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        return counts

    def _write(self, plans: list[RowPlan]) -> None:
        now = utcnow()
        created: dict[uuid.UUID, Citizen] = {}
        claimed: set[IdentifierKey] = set()
        for plan in plans:
            if plan.outcome in ("created", "review"):
                assert plan.record is not None
                plan.record.identifiers = [
                    _identifier_row(i, key, item) for i, (key, item) in enumerate(plan.identifiers)
                ]
                claimed.update(key for key, _ in plan.identifiers)
                created[plan.record.id] = plan.record
        linked = [p for p in plans if p.outcome == "linked"]
        added = self._additions(linked, created, claimed)
        db.session.add_all(created.values())
        db.session.flush()
        changed = self._touch(added)
        db.session.add_all(
            ident for target, idents in added.items() if target in changed for ident in idents
        )
        for plan in plans:
            if plan.outcome == "review" and plan.candidate is not None:
                assert plan.citizen_id is not None
                pair = file_pair(
                    plan.citizen_id, plan.candidate.citizen_id, plan.candidate, "import"
                )
                plan.candidate = pair.id
        db.session.flush()
        self._audit(plans, created, changed, now)
        db.session.execute(
            insert(ImportRow.__table__),
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
        # The ORM objects of this batch are written; later batches need none of them.
        db.session.expunge_all()

    def _additions(
        self, linked: list[RowPlan], created: dict[uuid.UUID, Citizen], claimed: set[IdentifierKey]
    ) -> dict[uuid.UUID, list[Any]]:
        """The identifiers each linked row adds to a stored record (those for a record created
        in this batch are appended to it); notes the ones it cannot add.

        :param claimed: identifiers this batch records already; grows with the additions.
        """
        stored_targets = {p.citizen_id for p in linked if p.citizen_id not in created}
        systems = _systems_of({t for t in stored_targets if t is not None})
        added: dict[uuid.UUID, list[Any]] = {}
        claimed |= set(_holders({key for p in linked for key, _ in p.identifiers}))
        for plan in linked:
            assert plan.citizen_id is not None
            target = created.get(plan.citizen_id)
            if target is not None:
                have = {i.system for i in target.identifiers}
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
                    target.identifiers.append(_identifier_row(len(target.identifiers), key, item))
                else:
                    row = _identifier_row(len(have) + 100, key, item)
                    row.citizen_id = plan.citizen_id
                    added.setdefault(plan.citizen_id, []).append(row)
            if notes:
                plan.reasons = {"identifiers": notes}
        return added

    def _touch(self, added: dict[uuid.UUID, list[Any]]) -> dict[uuid.UUID, int]:
        """New versions of the stored records given identifiers (active ones only)."""
        if not added:
            return {}
        rows = db.session.execute(
            update(Citizen)
            .where(Citizen.id.in_(sorted(added)), Citizen.status != "merged")
            .values(version=Citizen.version + 1, updated_at=utcnow())
            .returning(Citizen.id, Citizen.version)
            .execution_options(synchronize_session=False)
        )
        return {r.id: r.version for r in rows}

    def _audit(
        self,
        plans: list[RowPlan],
        created: dict[uuid.UUID, Citizen],
        changed: dict[uuid.UUID, int],
        now: Any,
    ) -> None:
        audit: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for plan in plans:
            if plan.citizen_id in created and plan.outcome in ("created", "review"):
                fields = sorted(plan.data or {})
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
        if audit:
            db.session.execute(AUDIT_INSERT, audit)
        if events:
            db.session.execute(insert(OutboxEvent.__table__), events)

    def _event(
        self, event_type: str, citizen_id: Any, payload: dict[str, Any], now: Any
    ) -> dict[str, Any]:
        return {
            "event_id": new_id(),
            "type": event_type,
            "aggregate_type": "citizen",
            "aggregate_id": citizen_id,
            "payload": {"citizen_id": str(citizen_id), "import_id": str(self.import_id), **payload},
            "occurred_at": now,
        }


# --- The whole file ---------------------------------------------------------------------------


def _chunks(rows: Sequence[parsing.ParsedRow], size: int) -> Iterator[Sequence[parsing.ParsedRow]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def run_import(import_id: uuid.UUID, batch_size: int) -> str:
    """Apply an import's file from where it stopped; returns its status afterwards.

    :raises Exception: a batch failed (its transaction rolled back; the job's retry resumes).
    """
    with exclusive_run(import_id) as mine:
        if not mine:
            return "running elsewhere"
        citizen_import = db.session.get(CitizenImport, import_id)
        if citizen_import is None or citizen_import.status in ("completed", "failed"):
            db.session.rollback()
            return citizen_import.status if citizen_import else "missing"
        rows = parsing.parse_rows(
            citizen_import.format, citizen_import.content, citizen_import.mapping
        )
        done = {
            number: citizen_id
            for number, citizen_id in db.session.execute(
                select(ImportRow.row_number, ImportRow.citizen_id).where(
                    ImportRow.import_id == import_id
                )
            )
        }
        citizen_import.status = "running"
        citizen_import.rows_total = len(rows)
        citizen_import.started_at = citizen_import.started_at or utcnow()
        applier = BatchApplier(citizen_import, import_actor(citizen_import))
        db.session.commit()
        for row in rows:
            citizen_id = done.get(row.number)
            if citizen_id is not None:
                applier.remember(row, citizen_id)
        pending = [row for row in rows if row.number not in done]
        for batch in _chunks(pending, batch_size):
            applier.apply(batch)
        db.session.execute(
            update(CitizenImport)
            .where(CitizenImport.id == import_id)
            .values(status="completed", finished_at=utcnow())
        )
        db.session.commit()
        return "completed"
