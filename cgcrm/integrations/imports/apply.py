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

import gc
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Generator, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from marshmallow import ValidationError as SchemaError
from sqlalchemy import select, update

from cgcrm.catalog.models import Department
from cgcrm.citizens.name_dictionary import name_dictionary
from cgcrm.citizens.schemas import CitizenCreateSchema
from cgcrm.core.advisory import exclusive_run
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import DomainError
from cgcrm.core.principal import Actor, Principal
from cgcrm.core.scopes import CITIZENS_READ, CITIZENS_WRITE
from cgcrm.extensions import db
from cgcrm.integrations.imports import lookups, parsing, preparers, validation
from cgcrm.integrations.imports.matcher import RowMatcher, better
from cgcrm.integrations.imports.models import CitizenImport, ImportRow
from cgcrm.integrations.imports.rows import (
    IdentifierKey,
    identifier_keys,
    record_rows,
    row_key,
)
from cgcrm.integrations.imports.writer import BatchWriter, RowPlan
from cgcrm.matching.engine import Candidate, features_of

OUTCOMES = ("created", "linked", "review", "rejected")
log = logging.getLogger(__name__)


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
    # Most rows are plainly valid; any other is the schema's to accept or refuse.
    data = validation.plain_load(row.body)
    if data is None:
        try:
            data = _CREATE.load(row.body)
        except SchemaError as exc:
            return None, _messages(exc)
    systems = [item["system"] for item in data.get("identifiers", [])]
    if len(systems) != len(set(systems)):
        return None, {"identifiers": ["one identifier per system"]}
    return data, None


@dataclass
class PreparedBatch:
    """A batch's rows checked, with what the stored records say of them (``prepare``)."""

    plans: list[RowPlan]
    holders: dict[IdentifierKey, uuid.UUID]
    recognised: dict[str, uuid.UUID]
    # Row number -> the best stored candidate (match or possible) of rows matched, or None.
    population: dict[int, Candidate | None]
    # Seconds its preparation spent per phase (added to the applier's when it is applied).
    seconds: dict[str, float]


class BatchApplier:
    """Applies batches of one import, remembering the file's rows for the ones after."""

    def __init__(self, citizen_import: CitizenImport, actor: Actor) -> None:
        self.import_id = citizen_import.id
        self.department_id = citizen_import.department_id
        self.actor = actor
        self.matcher = RowMatcher()
        self.writer = BatchWriter(citizen_import.id, actor)
        # The file's identifiers and row keys already applied, to the record each went to.
        self.file_identifiers: dict[IdentifierKey, uuid.UUID] = {}
        self.file_rows: dict[str, uuid.UUID] = {}
        # Seconds spent per phase, logged when the file is done (where an import's time goes).
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def _timed(self, phase: str, into: dict[str, float] | None = None) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            seconds = self.seconds if into is None else into
            seconds[phase] = seconds.get(phase, 0.0) + time.perf_counter() - started

    def remember(self, row: parsing.ParsedRow, citizen_id: uuid.UUID) -> None:
        """Replay a row applied by an earlier run (resume), so later rows can match it."""
        data, _ = validate_row(row)
        if data is None:
            return
        self.matcher.remember(citizen_id, features_of(data))
        for ident, _item in identifier_keys(data):
            self.file_identifiers.setdefault(ident, citizen_id)
        key = row_key(self.department_id, row.body)
        if key:
            self.file_rows.setdefault(key, citizen_id)

    def _checked(self, row: parsing.ParsedRow) -> RowPlan:
        """The row validated and its record built (so checked), or rejected with reasons."""
        data, errors = validate_row(row)
        plan = RowPlan(row.number, "rejected", row_key(self.department_id, row.body))
        if data is not None:
            try:
                plan.rows = record_rows(self.actor, data)
            except DomainError as exc:
                data, errors = None, _messages(exc)
        if data is None:
            plan.reasons = errors
        else:
            plan.fields = sorted(data)
            plan.identifiers = identifier_keys(data)
            plan.features = features_of(data)
        return plan

    def prepare(self, rows: Sequence[parsing.ParsedRow]) -> PreparedBatch:
        """Everything about a batch that does not depend on the file's earlier rows: each row
        checked and its record built, the stored records its identifiers or row key name, and
        its best candidate among the population. Runs in the caller's session, which it
        leaves in a transaction (the caller ends it)."""
        seconds: dict[str, float] = {}
        with self._timed("check", seconds):
            plans = [self._checked(row) for row in rows]
        valid = [p for p in plans if p.fields is not None]
        with self._timed("lookups", seconds):
            holders = lookups.holders({key for p in valid for key, _ in p.identifiers})
            recognised = lookups.recognised({p.row_key for p in valid if p.row_key})
        # A row the department sent before, or whose identifier is recorded, is that record
        # whatever the engine says: only the others are matched.
        unknown = [
            p
            for p in valid
            if not (p.row_key in recognised or any(key in holders for key, _ in p.identifiers))
        ]
        with self._timed("population", seconds):
            best = self.matcher.population_best([p.features for p in unknown])
        population = dict(zip((p.number for p in unknown), best, strict=True))
        return PreparedBatch(plans, holders, recognised, population, seconds)

    def _plan(self, batch: PreparedBatch) -> list[RowPlan]:
        population = batch.population
        targets: set[uuid.UUID] = set(batch.holders.values()) | set(batch.recognised.values())
        targets |= {c.citizen_id for c in population.values() if c is not None and c.citizen_id}
        with self._timed("survivors"):
            survivor = lookups.survivors(targets)
        with self._timed("decide"):
            for plan in batch.plans:
                if plan.fields is not None:
                    self._decide(
                        plan,
                        population.get(plan.number),
                        batch.holders,
                        batch.recognised,
                        survivor,
                    )
        return batch.plans

    def _decide(
        self,
        plan: RowPlan,
        from_population: Any,
        holders: Mapping[IdentifierKey, uuid.UUID],
        recognised: Mapping[str, uuid.UUID],
        survivor: Mapping[uuid.UUID, uuid.UUID],
    ) -> None:
        assert plan.fields is not None and plan.rows is not None
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
            best = better(from_population, self.matcher.file_best(plan.features))
            if best is not None and best.band == "match":
                plan.outcome, plan.citizen_id = "linked", best.citizen_id
            else:
                plan.outcome, plan.citizen_id = "created", plan.rows.citizen_id
                if best is not None:
                    plan.outcome, plan.candidate = "review", best
        citizen_id = plan.citizen_id
        assert citizen_id is not None
        self.matcher.remember(citizen_id, plan.features)
        for key, _ in plan.identifiers:
            self.file_identifiers.setdefault(key, citizen_id)
        if plan.row_key:
            self.file_rows.setdefault(plan.row_key, citizen_id)

    def apply(self, batch: PreparedBatch) -> dict[str, int]:
        """Decide and write one prepared batch, with its outcomes and counters, in one
        transaction of the caller's session.

        :returns: the batch's rows per outcome.
        """
        for phase, seconds in batch.seconds.items():
            self.seconds[phase] += seconds
        try:
            plans = self._plan(batch)
            with self._timed("write"):
                self.writer.write(plans)
            counts = dict.fromkeys(OUTCOMES, 0)
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
            with self._timed("commit"):
                db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        return counts


# --- The whole file ---------------------------------------------------------------------------


def _chunks(rows: Sequence[parsing.ParsedRow], size: int) -> Iterator[Sequence[parsing.ParsedRow]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _prepared(
    applier: BatchApplier, batches: list[Sequence[parsing.ParsedRow]]
) -> Generator[PreparedBatch, None, None]:
    """The batches prepared in order, each while the ones before it are decided and written.

    Preparing (validation, record building, the population's candidates: mostly Python, and
    one statement) needs nothing the batch before writes: the file's own earlier rows are
    matched when a batch is decided. On PostgreSQL, ``IMPORT_PREPARE_PROCESSES`` forked
    children prepare the next batches (``preparers``: Python on every core); otherwise a thread
    of its own, with its own session, prepares batch n + 1 while this one writes batch n, and
    each waits on PostgreSQL while the other runs Python.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    processes = int(app.config.get("IMPORT_PREPARE_PROCESSES", 0))
    if (
        processes > 0
        and len(batches) > 1
        and preparers.available()
        and db.session.get_bind().dialect.name == "postgresql"
    ):
        # The children widen names through the dictionary: read once, here, they share it,
        # with its keys by wildcard (each child widens most of the file's words afresh).
        name_dictionary.index_edits()
        yield from preparers.prepared_in_processes(app, applier.prepare, batches, processes)
        return

    def prepare(rows: Sequence[parsing.ParsedRow]) -> PreparedBatch:
        with app.app_context():
            try:
                return applier.prepare(rows)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-prepare") as pool:
        ahead: Future[PreparedBatch] | None = pool.submit(prepare, batches[0]) if batches else None
        for index in range(len(batches)):
            assert ahead is not None
            current = ahead.result()
            ahead = pool.submit(prepare, batches[index + 1]) if index + 1 < len(batches) else None
            yield current


# Young objects allocated between two collections of the youngest generation while a file is
# applied (the default is 700): a batch allocates millions, nearly all freed by reference
# counting, and the collections they set off cost more than all the rest of the job's Python.
RELAXED_GC_THRESHOLD = 200_000


@contextmanager
def _relaxed_collection() -> Iterator[None]:
    """Cyclic garbage collection tuned for the job: what the process holds already (the
    application, its modules, the file's rows) is left out of every collection
    (``gc.freeze``), and the youngest generation is collected every
    ``RELAXED_GC_THRESHOLD`` allocations. The forked preparers inherit both. Restored after."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(RELAXED_GC_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@contextmanager
def _collection_paused() -> Iterator[None]:
    """No cyclic collection while the file is parsed: its rows are trees of plain values (no
    cycles, freed by reference counting), and the collections their allocations set off walked
    the whole application's heap (most of a 20,000-row file's parsing time). Restored after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
        with _collection_paused():
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
        # Closed at once if a batch fails, so the preparing thread stops with it.
        with (
            _relaxed_collection(),
            closing(_prepared(applier, list(_chunks(pending, batch_size)))) as prepared,
        ):
            for batch in prepared:
                applier.apply(batch)
        db.session.execute(
            update(CitizenImport)
            .where(CitizenImport.id == import_id)
            .values(status="completed", finished_at=utcnow())
        )
        db.session.commit()
        log.info(
            "import %s: %d rows applied; seconds by phase %s",
            import_id,
            len(pending),
            {phase: round(seconds, 2) for phase, seconds in applier.seconds.items()},
        )
        return "completed"
