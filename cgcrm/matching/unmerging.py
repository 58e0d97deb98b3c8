"""Undoing a merge: both records back exactly as they were, if neither changed since."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update

from cgcrm.core.audit import record_access
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import Conflict, NotFound
from cgcrm.core.outbox import add_event
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.matching import references
from cgcrm.matching.locking import check_may_touch, lock_citizens
from cgcrm.matching.models import DuplicatePair, Merge
from cgcrm.matching.snapshot import CITIZENS, lists_digest, restore_snapshot


def _changes_since(merge: Merge, survivor: Any, duplicate: Any) -> dict[str, list[str]]:
    """What changed in either record since the merge, by record; empty when nothing did."""
    changes: dict[str, list[str]] = {"survivor": [], "duplicate": []}
    if survivor["version"] != merge.survivor_version:
        changes["survivor"].append(
            f"version {merge.survivor_version} after the merge, now {survivor['version']}"
        )
    if duplicate["status"] != "merged" or duplicate["merged_into_id"] != merge.survivor_id:
        changes["duplicate"].append("no longer merged into the survivor")
    if duplicate["version"] != merge.duplicate_version:
        changes["duplicate"].append(
            f"version {merge.duplicate_version} after the merge, now {duplicate['version']}"
        )
    after = merge.moved.get("lists_after", {})
    for role, citizen_id in (("survivor", merge.survivor_id), ("duplicate", merge.duplicate_id)):
        now = lists_digest(citizen_id)
        for name, digest in after.get(role, {}).items():
            if now.get(name) != digest:
                changes[role].append(f"{name} changed")
    counts = references.count_rows(merge.survivor_id)
    for key, count in merge.moved.get("counts_after", {}).items():
        if counts.get(key, 0) != count:
            changes["survivor"].append(
                f"{key}: {counts.get(key, 0) - count:+d} rows since the merge"
            )
    moved = merge.moved.get("rows", {})
    for key, gone in references.rows_still_at(moved, merge.survivor_id).items():
        changes["survivor"].append(f"{key}: {gone} moved rows no longer on the survivor")
    return {role: found for role, found in changes.items() if found}


def _restore_pairs(merge: Merge) -> None:
    for state in merge.moved.get("pairs_before", []):
        db.session.execute(
            update(DuplicatePair.__table__)
            .where(DuplicatePair.id == uuid.UUID(state["id"]))
            .values(
                status=state["status"],
                decided_at=datetime.fromisoformat(state["decided_at"])
                if state["decided_at"]
                else None,
                decided_by=state["decided_by"],
                merge_id=uuid.UUID(state["merge_id"]) if state["merge_id"] else None,
                version=state["version"],
            )
        )
    filed = [uuid.UUID(pair_id) for pair_id in merge.moved.get("pairs_filed", [])]
    if filed:
        # Refiled pairs nobody decided since go; a decision taken on one stands.
        db.session.execute(
            delete(DuplicatePair.__table__).where(
                DuplicatePair.id.in_(filed),
                DuplicatePair.status == "open",
                DuplicatePair.version == 1,
            )
        )


def _remember_versions(rows: dict[uuid.UUID, Any]) -> None:
    """The snapshot put back the records exactly as they were, versions included (the API's
    JSON as before the merge; an ETag read then names that very state again). The versions the
    merge gave them are kept as the highest each has had, so their next change goes past them
    and no version number names two states."""
    for citizen_id, row in rows.items():
        db.session.execute(
            update(CITIZENS)
            .where(CITIZENS.c.id == citizen_id)
            .values(highest_version=max(int(row["version"]), int(row["highest_version"] or 0)))
        )


def undo_merge(actor: Actor, merge_id: uuid.UUID) -> Merge:
    """Part the two records of a merge again, exactly as they were before it, in one
    transaction with its audit entries and ``citizen.unmerged`` event.

    :raises NotFound: no such merge, or one of records the caller may not see whole.
    :raises Conflict: the merge was undone already, or either record changed since the merge
        (``errors`` says what, by record).
    """
    try:
        merge = db.session.get(Merge, merge_id, with_for_update=True)
        if merge is None:
            raise NotFound(f"no merge with id {merge_id}")
        rows = lock_citizens([merge.survivor_id, merge.duplicate_id])
        survivor, duplicate = rows[merge.survivor_id], rows[merge.duplicate_id]
        check_may_touch(actor, (survivor, duplicate), hidden=NotFound)
        if merge.undone_at is not None:
            raise Conflict(f"this merge was undone at {merge.undone_at.isoformat()}")
        changes = _changes_since(merge, survivor, duplicate)
        if changes:
            raise Conflict(
                "the records changed since the merge; undo would lose those changes",
                errors=changes,
            )
        restore_snapshot(merge.snapshot)
        _remember_versions({merge.survivor_id: survivor, merge.duplicate_id: duplicate})
        references.move_back(merge.moved.get("rows", {}), merge.duplicate_id, merge.survivor_id)
        _restore_pairs(merge)
        merge.undone_at = utcnow()
        merge.undone_by = actor.principal.ref
        db.session.flush()
        ids = sorted([merge.survivor_id, merge.duplicate_id])
        record_access(actor, "citizen.unmerged", ids, fields=sorted(merge.moved.get("summary", {})))
        add_event(
            "citizen.unmerged",
            "citizen",
            merge.survivor_id,
            {
                "merge_id": str(merge.id),
                "survivor_id": str(merge.survivor_id),
                "duplicate_id": str(merge.duplicate_id),
            },
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return merge
