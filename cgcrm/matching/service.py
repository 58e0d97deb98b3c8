"""Identity resolution services: real-time matching, and the look-up creates use."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from cgcrm.core.audit import record_access
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.matching import review
from cgcrm.matching.engine import Candidate, find_candidates

MATCH_RESULTS_MAX = 10


def match_citizen(actor: Actor, body: Mapping[str, Any]) -> list[Candidate]:
    """Up to ten stored citizens that may be the person ``body`` describes, best first.

    A citizen's core identity is visible to every authorised principal (DESIGN.md §4), so every
    current record may be a candidate; merged ones never are, and nothing beyond the id, score
    and per-field levels is disclosed. Candidates are audited as found, like search results.

    :param body: validated ``MatchRequestSchema`` output.
    """
    try:
        candidates = find_candidates(body, limit=MATCH_RESULTS_MAX)
        found = [c.citizen_id for c in candidates if c.citizen_id is not None]
        record_access(actor, "citizen.matched", found)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return candidates


class CreateMatchLookup:
    """What ``cgcrm.citizens.match_links`` needs, installed by ``create_app``."""

    def find(self, body: Mapping[str, Any], limit: int) -> list[Candidate]:
        # A create acts on a match and files possibles; it never reads a non_match, so those
        # are not scored.
        return find_candidates(body, limit=limit, at_least_possible=True)

    def file(self, citizen_id: uuid.UUID, candidate: Any) -> None:
        if candidate.citizen_id is not None and candidate.citizen_id != citizen_id:
            review.file_pair(citizen_id, candidate.citizen_id, candidate, "create")
