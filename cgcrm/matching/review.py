"""Duplicate review items: filing a pair once, the review queue, dismissing a pair.

A pair is stored once with the lower citizen id first, whichever path found it (create, import,
scan) and in whichever order it named the two. Filing is an ``INSERT … ON CONFLICT`` on that
ordered pair, so two paths filing at once never make two rows; an open pair takes the newer
score, and a pair already decided (dismissed, merged) stays as it was decided.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from cgcrm.citizens.models import Citizen
from cgcrm.core.audit import record_access
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import Conflict, NotFound
from cgcrm.core.outbox import add_event
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.matching.models import DuplicatePair, MatchModel
from cgcrm.matching.references import visible_whole


def _active_model_version() -> int:
    version = db.session.scalar(
        select(MatchModel.version)
        .where(MatchModel.status == "active")
        .order_by(MatchModel.version.desc())
        .limit(1)
    )
    return int(version or 0)


def pair_insert(table: Any) -> Any:
    """An INSERT with ON CONFLICT clauses, on whichever database the session is bound to."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def file_pair(
    a_id: uuid.UUID,
    b_id: uuid.UUID,
    candidate: Any,
    source: str,
    *,
    model_version: int | None = None,
) -> DuplicatePair:
    """File (or refresh) the review item for two records; idempotent on the unordered pair.

    Runs in the caller's transaction and does not commit.

    :param candidate: has ``score``, ``band`` (``match`` or ``possible``) and ``explanation``;
        its ``model_version``, if it has one, names the model that scored it.
    :param source: ``create``, ``import`` or ``scan``.
    :param model_version: the scoring model's version when the candidate does not carry it
        (default: the active model's).
    :returns: the pair as stored: an open pair carries this score; a decided one is unchanged.
    :raises ValueError: the same record twice.
    """
    if a_id == b_id:
        raise ValueError("a record is not a duplicate of itself")
    low, high = sorted((a_id, b_id))
    version = getattr(candidate, "model_version", None) or model_version
    if version is None:
        version = _active_model_version()
    table = DuplicatePair.__table__
    values = {
        "score": min(max(float(candidate.score), 0.0), 1.0),
        "band": candidate.band,
        "explanation": dict(candidate.explanation or {}),
        "model_version": int(version),
    }
    statement = pair_insert(table).values(
        id=uuid.uuid4(),
        citizen_id=low,
        other_citizen_id=high,
        source=source,
        status="open",
        created_at=utcnow(),
        version=1,
        **values,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.citizen_id, table.c.other_citizen_id],
        set_={**values, "version": table.c.version + 1},
        where=and_(
            table.c.status == "open",
            or_(
                table.c.score != statement.excluded.score,
                table.c.band != statement.excluded.band,
                table.c.model_version != statement.excluded.model_version,
            ),
        ),
    ).returning(table.c.id)
    pair_id = db.session.execute(statement).scalar()
    if pair_id is None:  # decided, or open with this very score: left as it is
        pair_id = db.session.scalar(
            select(table.c.id).where(table.c.citizen_id == low, table.c.other_citizen_id == high)
        )
    pair = db.session.get(DuplicatePair, pair_id, populate_existing=True)
    assert pair is not None
    return pair


@dataclass
class PairView:
    """A review item with a summary of both records, as the queue shows it."""

    pair: DuplicatePair
    citizen: Citizen
    other: Citizen

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pair, name)


def _visible_pairs(actor: Actor) -> Select[Any]:
    first, second = aliased(Citizen), aliased(Citizen)
    return (
        select(DuplicatePair, first, second)
        .join(first, first.id == DuplicatePair.citizen_id)
        .join(second, second.id == DuplicatePair.other_citizen_id)
        .where(
            visible_whole(actor, first.id, first.shares_across_government),
            visible_whole(actor, second.id, second.shares_across_government),
        )
    )


def list_pairs(
    actor: Actor,
    *,
    limit: int,
    after: tuple[float, uuid.UUID] | None = None,
    status: str = "open",
    source: str | None = None,
    band: str | None = None,
    citizen_id: uuid.UUID | None = None,
) -> list[PairView]:
    """A page of review items, best score first, with both records' summaries.

    Only pairs whose two records ``actor`` may see whole (``references.visible_whole``) are
    listed; both records of each are audited as disclosed.

    :param after: the (score, id) the previous page ended with.
    """
    query = _visible_pairs(actor).where(DuplicatePair.status == status)
    if source:
        query = query.where(DuplicatePair.source == source)
    if band:
        query = query.where(DuplicatePair.band == band)
    if citizen_id is not None:
        either = (DuplicatePair.citizen_id == citizen_id) | (
            DuplicatePair.other_citizen_id == citizen_id
        )
        query = query.where(either)
    if after is not None:
        score, last_id = after
        query = query.where(
            or_(
                DuplicatePair.score < score,
                and_(DuplicatePair.score == score, DuplicatePair.id < last_id),
            )
        )
    query = query.order_by(DuplicatePair.score.desc(), DuplicatePair.id.desc()).limit(limit)
    try:
        rows = db.session.execute(query).all()
        pairs = [PairView(pair, first, second) for pair, first, second in rows]
        shown = sorted({c for p in pairs for c in (p.citizen_id, p.other_citizen_id)})
        record_access(actor, "citizen.duplicates_listed", shown)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return pairs


def _find_pair(actor: Actor, pair_id: uuid.UUID, *, for_update: bool = False) -> PairView:
    query = _visible_pairs(actor).where(DuplicatePair.id == pair_id)
    if for_update:
        query = query.with_for_update(of=DuplicatePair)
    row = db.session.execute(query).first()
    if row is None:
        raise NotFound(f"no duplicate pair with id {pair_id}")
    return PairView(*row)


def get_pair(actor: Actor, pair_id: uuid.UUID) -> PairView:
    """One review item; the read is audited for both records.

    :raises NotFound: no such pair, or one whose records the caller may not see whole.
    """
    try:
        view = _find_pair(actor, pair_id)
        record_access(
            actor, "citizen.duplicates_listed", sorted([view.citizen_id, view.other_citizen_id])
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return view


def dismiss_pair(actor: Actor, pair_id: uuid.UUID) -> PairView:
    """Decide that the two records are different people: the pair leaves the queue for good
    (filing it again leaves it dismissed).

    :raises NotFound: no such pair, or one whose records the caller may not see whole.
    :raises Conflict: the pair is not open (already dismissed or merged).
    """
    try:
        view = _find_pair(actor, pair_id, for_update=True)
        pair = view.pair
        if pair.status != "open":
            raise Conflict(f"the pair is already {pair.status}", pair_status=pair.status)
        pair.status = "dismissed"
        pair.decided_at = utcnow()
        pair.decided_by = actor.principal.ref
        pair.version += 1
        db.session.flush()
        ids = sorted([pair.citizen_id, pair.other_citizen_id])
        record_access(actor, "citizen.duplicate_dismissed", ids, fields=["duplicates"])
        add_event(
            "duplicate.dismissed",
            "duplicate_pair",
            pair.id,
            {"pair_id": str(pair.id), "citizen_ids": [str(i) for i in ids]},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return view
