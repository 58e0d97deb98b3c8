"""The duplicate scan: the whole population scored against itself, blocked, not n².

Every active record's features are loaded in bulk (``store.load_features``, a few queries per
5,000 records) and put in blocks by the engine's own keys (``engine.block_keys``: the sounds of
both names either way round, nickname groups, date of birth and its transposition, given name
with date of birth, family name with year of birth, postcode with either name, email, phone,
identifier). Each record is then scored against the members of its blocks that come after it
in id order, each pair once, and the pairs the model puts in ``match`` or ``possible`` are filed
for review (source ``scan``).

A block with more than SCAN_BLOCK_CAP members (a common date of birth in a million people, a
name everyone shares) would cost its size squared; it is sorted by name instead and each member
compared only with the SCAN_WINDOW members next to it (sorted neighbourhood), so it costs its
size times the window. Pairs in such a block that differ in name are still found through their
other, smaller blocks (email, phone, postcode with a name).

Progress is committed every SCAN_CHUNK records in id order with the pairs found so far
(``resume_after``); a scan that was stopped resumes after the last committed record. Filing is
idempotent on the ordered pair, so records redone after a crash file nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import func, select, update

from cgcrm.citizens.models import Citizen
from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.upsert import insert_ignoring_conflicts
from cgcrm.extensions import db
from cgcrm.matching import engine
from cgcrm.matching.model import active_model
from cgcrm.matching.models import DuplicatePair, DuplicateScan
from cgcrm.matching.normalise import Features
from cgcrm.matching.scoring import score_pair
from cgcrm.matching.store import load_features

SCAN_CHUNK = 5000
SCAN_WINDOW = 8
LOAD_BATCH = 20000
Progress = Callable[[int], None]


def block_keys(features: Features) -> set[str]:
    """The engine's blocking keys of one record (the same keys its RecordIndex uses)."""
    keys = getattr(engine, "block_keys", None) or engine._block_keys
    return keys(features)  # type: ignore[no-any-return]


def _active_ids(batch: int) -> Iterator[list[uuid.UUID]]:
    after: uuid.UUID | None = None
    while True:
        query = select(Citizen.id).where(Citizen.status != "merged").order_by(Citizen.id)
        if after is not None:
            query = query.where(Citizen.id > after)
        ids = list(db.session.scalars(query.limit(batch)))
        if not ids:
            return
        yield ids
        after = ids[-1]


class PopulationIndex:
    """Every active record's features and blocks, in memory, for one scan."""

    def __init__(self, cap: int, window: int = SCAN_WINDOW) -> None:
        self.cap = cap
        self.window = window
        self.ids: list[uuid.UUID] = []
        self.features: list[Features] = []
        self.blocks: dict[str, list[int]] = {}

    def load(self, progress: Progress | None = None) -> None:
        """Load the population (in id order), committing nothing."""
        for ids in _active_ids(LOAD_BATCH):
            found = load_features(ids)
            for citizen_id in ids:
                features = found.get(citizen_id)
                if features is not None:
                    self.add(citizen_id, features)
            db.session.rollback()  # a read: let go of the snapshot between batches
            if progress:
                progress(len(self.ids))
        self._limit_blocks()

    def add(self, citizen_id: uuid.UUID, features: Features) -> None:
        position = len(self.ids)
        self.ids.append(citizen_id)
        self.features.append(features)
        for key in block_keys(features):
            self.blocks.setdefault(key, []).append(position)

    def _limit_blocks(self) -> None:
        """Blocks of one member compare nothing; oversized ones become sorted neighbourhoods."""
        self.neighbours: dict[str, dict[int, list[int]]] = {}
        for key in [k for k, members in self.blocks.items() if len(members) < 2]:
            del self.blocks[key]
        for key, members in self.blocks.items():
            if len(members) <= self.cap:
                continue
            ordered = sorted(members, key=self._name_order)
            near: dict[int, list[int]] = {}
            for at, member in enumerate(ordered):
                near[member] = ordered[max(0, at - self.window) : at + self.window + 1]
            self.neighbours[key] = near

    def _name_order(self, position: int) -> tuple[str, str]:
        names = self.features[position].names
        return (names[0].family, names[0].given) if names else ("", "")

    def partners(self, position: int) -> set[int]:
        """Records after ``position`` (in id order) sharing a block with it."""
        found: set[int] = set()
        for key in block_keys(self.features[position]):
            near = self.neighbours.get(key)
            members = near.get(position, ()) if near is not None else self.blocks.get(key, ())
            found.update(m for m in members if m > position)
        return found


def _file_pairs(found: list[tuple[uuid.UUID, uuid.UUID, Any]], model_version: int) -> int:
    """File scored pairs in one statement; a pair filed before (by any path) stays as it is."""
    if not found:
        return 0
    rows: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = {}
    for a, b, scored in found:
        low, high = sorted((a, b))
        rows[(low, high)] = {
            "id": new_id(),
            "citizen_id": low,
            "other_citizen_id": high,
            "score": min(max(float(scored.score), 0.0), 1.0),
            "band": scored.band,
            "explanation": scored.explanation,
            "model_version": model_version,
            "source": "scan",
            "status": "open",
            "version": 1,
            "created_at": utcnow(),
        }
    table = DuplicatePair.__table__
    inserted = db.session.execute(
        insert_ignoring_conflicts(table).returning(table.c.id), list(rows.values())
    )
    return len(inserted.all())


def run_scan(scan_id: uuid.UUID, cap: int, chunk: int = SCAN_CHUNK) -> str:
    """Scan the population from where this scan stopped; returns its status afterwards.

    :raises Exception: loading or a chunk failed (rolled back; a retry resumes).
    """
    scan = db.session.get(DuplicateScan, scan_id)
    if scan is None or scan.status in ("completed", "failed"):
        db.session.rollback()
        return scan.status if scan else "missing"
    model = active_model.get()
    scan.status = "running"
    scan.started_at = scan.started_at or utcnow()
    scan.model_version = model.version
    resume_after = scan.resume_after
    db.session.commit()
    index = PopulationIndex(cap)
    index.load()
    start = 0
    if resume_after is not None:
        start = next((i for i, c in enumerate(index.ids) if c > resume_after), len(index.ids))
    db.session.execute(
        update(DuplicateScan)
        .where(DuplicateScan.id == scan_id)
        .values(records_total=len(index.ids), records_done=start)
    )
    db.session.commit()
    for first in range(start, len(index.ids), chunk):
        last = min(first + chunk, len(index.ids))
        found: list[tuple[uuid.UUID, uuid.UUID, Any]] = []
        compared = 0
        for position in range(first, last):
            features = index.features[position]
            for other in index.partners(position):
                compared += 1
                scored = score_pair(features, index.features[other], model)
                if scored.band in ("match", "possible"):
                    found.append((index.ids[position], index.ids[other], scored))
        try:
            filed = _file_pairs(found, model.version)
            db.session.execute(
                update(DuplicateScan)
                .where(DuplicateScan.id == scan_id)
                .values(
                    records_done=last,
                    pairs_compared=DuplicateScan.pairs_compared + compared,
                    pairs_filed=DuplicateScan.pairs_filed + filed,
                    resume_after=index.ids[last - 1],
                )
            )
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    db.session.execute(
        update(DuplicateScan)
        .where(DuplicateScan.id == scan_id)
        .values(status="completed", finished_at=utcnow(), records_done=len(index.ids))
    )
    db.session.commit()
    return "completed"


def population_size() -> int:
    """How many active records a scan would cover."""
    return int(db.session.scalar(select(func.count()).where(Citizen.status != "merged")) or 0)
