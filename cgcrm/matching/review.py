"""Filing review items: two records that may be one person, for staff to merge or dismiss.

A minimal version by helper ENGINE (issue 11); the review queue, dismissal and merge replace
it with the same ``file_pair`` signature.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from cgcrm.core.ids import new_id
from cgcrm.core.upsert import insert_ignoring_conflicts
from cgcrm.extensions import db
from cgcrm.matching.model import active_model
from cgcrm.matching.models import DuplicatePair


def file_pair(a_id: uuid.UUID, b_id: uuid.UUID, candidate: Any, source: str) -> DuplicatePair:
    """File (or find) the review item of two citizens, inside the caller's transaction.

    Idempotent on the ordered pair: filing it again returns the first item unchanged.

    :param candidate: what scored the pair (``score``, ``band``, ``explanation``).
    :param source: create, import or scan.
    """
    low, high = sorted((a_id, b_id))
    band = candidate.band if candidate.band in ("match", "possible") else "possible"
    db.session.execute(
        insert_ignoring_conflicts(DuplicatePair.__table__),
        [
            {
                "id": new_id(),
                "citizen_id": low,
                "other_citizen_id": high,
                "score": float(candidate.score),
                "band": band,
                "explanation": candidate.explanation,
                "model_version": active_model.get().version,
                "source": source,
                "status": "open",
                "version": 1,
            }
        ],
    )
    pair = db.session.scalar(
        select(DuplicatePair).where(
            DuplicatePair.citizen_id == low, DuplicatePair.other_citizen_id == high
        )
    )
    assert pair is not None
    return pair
