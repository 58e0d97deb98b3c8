"""The duplicate scan: the whole population scored against itself, blocked, not n².

1. **Candidate pairs**, set-based in the database (``scan_blocks``): blocking keys from the
   stored columns, grouped and self-joined in SQL with a cap on block size, the distinct pairs
   written to a work table of the scan in one transaction. No population in Python memory.
2. **Features** of every record the pairs name, read once set-based and kept pickled
   (``scan_features``): a pair's two records are anywhere in the population, and loading them
   chunk by chunk would load most records several times.
3. **Scoring**, in chunks of about ``chunk`` pairs in order of their first id: each pair scored
   with the engine (``engine.score_features``), and the pairs the model puts in ``match`` or
   ``possible`` filed for review (source ``scan``) in one statement.
4. **Progress** is committed with each chunk (``resume_after``, the last first id done;
   ``records_done``, the active records up to it): a stopped scan resumes after the last
   committed chunk, with the same work table (built again only if it is gone). Filing is
   idempotent on the ordered pair, so a chunk redone after a crash files nothing twice.

Memory: the pickled features (about 300 bytes a record) and one chunk of pairs; the database
holds the pairs (a few per record) until the scan ends and drops them.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from sqlalchemy import Uuid, bindparam, func, select, text, update

from cgcrm.citizens.models import Citizen
from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.upsert import insert_ignoring_conflicts
from cgcrm.extensions import db
from cgcrm.matching import scan_blocks
from cgcrm.matching.engine import score_features
from cgcrm.matching.model import ScoringModel, active_model
from cgcrm.matching.models import DuplicatePair, DuplicateScan
from cgcrm.matching.scan_features import PairedFeatures

# Pairs scored per transaction: a few seconds of work, so progress moves and a resumed scan
# redoes little.
SCAN_CHUNK = 20000
# Neighbours each member of an oversized block is paired with (sorted neighbourhood).
SCAN_WINDOW = 8

Found = list[tuple[uuid.UUID, uuid.UUID, Any]]
log = logging.getLogger(__name__)


def _file_pairs(found: Found, model_version: int) -> int:
    """File scored pairs in one statement; a pair filed before (by any path) stays as it is."""
    if not found:
        return 0
    rows = [
        {
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
        for low, high, scored in found
    ]
    table = DuplicatePair.__table__
    inserted = db.session.execute(insert_ignoring_conflicts(table).returning(table.c.id), rows)
    return len(inserted.all())


def _next_chunk(
    table: str, after: uuid.UUID | None, size: int
) -> tuple[list[tuple[uuid.UUID, uuid.UUID]], uuid.UUID | None]:
    """About ``size`` pairs whose first id follows ``after`` (every pair of each first id),
    and the last first id among them (None: no pairs left)."""
    where = "WHERE citizen_id > :after" if after is not None else ""
    params: dict[str, Any] = {"after": after} if after is not None else {}
    # Typed, so ids are bound and read as UUIDs on every database (SQLite keeps them as hex).
    ids = [bindparam(name, type_=Uuid) for name in params]
    bound = db.session.scalar(
        text(f"SELECT citizen_id FROM {table} {where} ORDER BY citizen_id LIMIT 1 OFFSET :at")
        .bindparams(*ids)
        .columns(citizen_id=Uuid),
        {**params, "at": size - 1},
    )
    query = f"SELECT citizen_id, other_citizen_id FROM {table} {where}"
    if bound is not None:
        query += f"{' AND' if where else ' WHERE'} citizen_id <= :bound"
        params["bound"] = bound
    statement = (
        text(f"{query} ORDER BY citizen_id")
        .bindparams(*(bindparam(name, type_=Uuid) for name in params))
        .columns(citizen_id=Uuid, other_citizen_id=Uuid)
    )
    pairs = [(a, b) for a, b in db.session.execute(statement, params)]
    if not pairs:
        return [], None
    return pairs, bound if bound is not None else max(a for a, _ in pairs)


def _active_between(after: uuid.UUID | None, upto: uuid.UUID) -> int:
    query = select(func.count()).where(Citizen.status != "merged", Citizen.id <= upto)
    if after is not None:
        query = query.where(Citizen.id > after)
    return int(db.session.scalar(query) or 0)


def _score(
    pairs: list[tuple[uuid.UUID, uuid.UUID]], features: PairedFeatures, model: ScoringModel
) -> Found:
    found: Found = []
    current, a = None, None
    for low, high in pairs:
        if low != current:  # the pairs come by first id: its features once for all of them
            current, a = low, features.get(low)
        b = features.get(high)
        if a is None or b is None:  # merged since the pairs were found
            continue
        scored = score_features(a, b, model)
        if scored.band in ("match", "possible"):
            found.append((low, high, scored))
    return found


def _since(started: float) -> float:
    return time.perf_counter() - started


def _progress(scan_id: uuid.UUID, **values: Any) -> None:
    # Set in the database only (the values are expressions of the row's own columns); the
    # session's copy of the scan is expired when the scan ends.
    db.session.execute(
        update(DuplicateScan).where(DuplicateScan.id == scan_id).values(**values),
        execution_options={"synchronize_session": False},
    )


def run_scan(
    scan_id: uuid.UUID, cap: int, chunk: int = SCAN_CHUNK, window: int = SCAN_WINDOW
) -> str:
    """Scan the population from where this scan stopped; returns its status afterwards.

    :raises Exception: finding the pairs or a chunk failed (rolled back; a retry resumes).
    """
    scan = db.session.get(DuplicateScan, scan_id)
    if scan is None or scan.status in ("completed", "failed"):
        db.session.rollback()
        return scan.status if scan else "missing"
    model = active_model.get()
    scan.status = "running"
    scan.started_at = scan.started_at or utcnow()
    scan.model_version = model.version
    after = scan.resume_after
    db.session.commit()
    table = scan_blocks.work_table(scan_id.hex)
    try:
        started = time.perf_counter()
        if not scan_blocks.has_pairs(table):
            found = scan_blocks.build_pairs(table, cap, window)
            _progress(scan_id, records_total=population_size())
            db.session.commit()
            log.info("scan %s: %d candidate pairs in %.1f s", scan_id, found, _since(started))
        features = PairedFeatures()
        features.load(table)
        db.session.commit()
        log.info(
            "scan %s: features of %d records at %.1f s", scan_id, len(features), _since(started)
        )
        while True:
            pairs, last = _next_chunk(table, after, chunk)
            if last is None:
                break
            filed = _file_pairs(_score(pairs, features, model), model.version)
            _progress(
                scan_id,
                records_done=DuplicateScan.records_done + _active_between(after, last),
                pairs_compared=DuplicateScan.pairs_compared + len(pairs),
                pairs_filed=DuplicateScan.pairs_filed + filed,
                resume_after=last,
            )
            db.session.commit()
            after = last
        log.info("scan %s: pairs scored at %.1f s", scan_id, _since(started))
        scan_blocks.drop_pairs(table)
        _progress(
            scan_id,
            status="completed",
            finished_at=utcnow(),
            records_done=DuplicateScan.records_total,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        db.session.expire_all()
    return "completed"


def population_size() -> int:
    """How many active records a scan covers."""
    return int(db.session.scalar(select(func.count()).where(Citizen.status != "merged")) or 0)
