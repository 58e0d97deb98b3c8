"""Merging two citizen records into one, keeping what undo needs to part them again."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select, update

from cgcrm.citizens import normalize, record
from cgcrm.citizens.models import (
    Address,
    CitizenName,
    Consent,
    ContactPoint,
    ExternalIdentifier,
    next_version,
)
from cgcrm.core.audit import record_access
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import NotAuthorized, NotFound, PreconditionFailed, ValidationError
from cgcrm.core.outbox import add_event
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.matching import references, survivorship
from cgcrm.matching.locking import check_may_touch, lock_citizens, refuse_tombstone
from cgcrm.matching.models import DuplicatePair, Merge
from cgcrm.matching.review import pair_insert
from cgcrm.matching.snapshot import CITIZENS, lists_digest, take_snapshot

LIST_PLANS = (
    ("contact_points", ContactPoint, survivorship.plan_contact_points),
    ("addresses", Address, survivorship.plan_addresses),
    ("identifiers", ExternalIdentifier, survivorship.plan_identifiers),
)


def _resolve_duplicate(survivor_id: uuid.UUID, named: uuid.UUID) -> uuid.UUID:
    """The duplicate citizen: ``named`` itself, or the other record of the review item it names.

    :raises NotFound: neither a citizen nor a pair involving the survivor.
    """
    if db.session.scalar(select(CITIZENS.c.id).where(CITIZENS.c.id == named)) is not None:
        return named
    pair = db.session.get(DuplicatePair, named)
    if pair is not None and survivor_id in (pair.citizen_id, pair.other_citizen_id):
        return pair.other_citizen_id if pair.citizen_id == survivor_id else pair.citizen_id
    raise NotFound(f"no citizen with id {named}", errors={"duplicate_id": ["no such citizen"]})


def _rows(snapshot: Mapping[str, list[dict[str, Any]]], table: str, citizen: str) -> list[Any]:
    return [row for row in snapshot[table] if row["citizen_id"] == citizen]


def _write_names(survivor_id: uuid.UUID, values: Mapping[str, Any], previous: list[Any]) -> None:
    table = CitizenName.__table__
    rows = [("current", values["given_name"], values["family_name"], None, None)]
    if values["preferred_name"]:
        rows.append(("preferred", values["preferred_name"], values["family_name"], None, None))
    rows += [
        ("previous", p["given_name"], p["family_name"], p["valid_from"], p["valid_to"])
        for p in previous
    ]
    built = [
        {
            "id": uuid.uuid4(),
            "citizen_id": survivor_id,
            "kind": kind,
            "position": index,
            "given_name": given,
            "family_name": family,
            "valid_from": normalize_date(start),
            "valid_to": normalize_date(end),
            "given_key": normalize.name_key(given),
            "family_key": normalize.name_key(family),
        }
        for index, (kind, given, family, start, end) in enumerate(rows)
    ]
    db.session.execute(insert(table), built)
    record.remember_tokens((row["given_key"], row["family_key"]) for row in built)


def normalize_date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _apply_lists(
    snapshot: Mapping[str, list[dict[str, Any]]], survivor: str, duplicate: str
) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, model, plan in LIST_PLANS:
        table = model.__table__
        kept = _rows(snapshot, table.name, survivor)
        moves, drops = plan(kept, _rows(snapshot, table.name, duplicate))
        if drops:
            db.session.execute(delete(table).where(table.c.id.in_([uuid.UUID(i) for i in drops])))
        if moves:
            changes = {"citizen_id": uuid.UUID(survivor), "position": bindparam("new_position")}
            if "is_primary" in moves[0]:
                changes["is_primary"] = bindparam("new_primary")
            db.session.execute(
                update(table).where(table.c.id == bindparam("row_id")).values(changes),
                [
                    {
                        "row_id": uuid.UUID(m["id"]),
                        "new_position": m["position"],
                        "new_primary": m.get("is_primary", False),
                    }
                    for m in moves
                ],
            )
        summary[name] = {"moved": len(moves), "kept_once": len(drops)}
    consents = Consent.__table__
    moved_consents = len(
        db.session.execute(
            update(consents)
            .where(consents.c.citizen_id == uuid.UUID(duplicate))
            .values(citizen_id=uuid.UUID(survivor))
            .returning(consents.c.id)
        ).all()
    )
    summary["consents"] = {"moved": moved_consents, "kept_once": 0}
    return summary


def _settle_pairs(
    actor: Actor, merge_id: uuid.UUID, survivor_id: uuid.UUID, duplicate_id: uuid.UUID
) -> tuple[uuid.UUID | None, list[dict[str, Any]], list[str]]:
    """Settle the review items of the duplicate: the pair of these two records is merged; an
    open pair of the duplicate with a third record X is settled too and refiled as (survivor,
    X), with its score, unless that pair exists already. Returns the merged pair's id, the
    pairs' states before (for undo) and the ids of the pairs filed."""
    now = utcnow()
    pairs = list(
        db.session.scalars(
            select(DuplicatePair)
            .where(
                or_(
                    DuplicatePair.citizen_id == duplicate_id,
                    DuplicatePair.other_citizen_id == duplicate_id,
                )
            )
            .order_by(DuplicatePair.id)
            .with_for_update()
        )
    )
    before: list[dict[str, Any]] = []
    filed: list[str] = []
    merged_pair: uuid.UUID | None = None
    table = DuplicatePair.__table__
    for pair in pairs:
        ours = survivor_id in (pair.citizen_id, pair.other_citizen_id)
        if not ours and pair.status != "open":
            continue
        before.append(
            {
                "id": str(pair.id),
                "status": pair.status,
                "decided_at": pair.decided_at.isoformat() if pair.decided_at else None,
                "decided_by": pair.decided_by,
                "merge_id": str(pair.merge_id) if pair.merge_id else None,
                "version": pair.version,
            }
        )
        pair.status, pair.decided_at, pair.decided_by = "merged", now, actor.principal.ref
        pair.merge_id = merge_id
        pair.version += 1
        if ours:
            merged_pair = pair.id
            continue
        third = pair.other_citizen_id if pair.citizen_id == duplicate_id else pair.citizen_id
        low, high = sorted((survivor_id, third))
        new_id = db.session.execute(
            pair_insert(table)
            .values(
                id=uuid.uuid4(),
                citizen_id=low,
                other_citizen_id=high,
                score=pair.score,
                band=pair.band,
                explanation=pair.explanation,
                model_version=pair.model_version,
                source=pair.source,
                status="open",
                created_at=now,
                version=1,
            )
            .on_conflict_do_nothing()
            .returning(table.c.id)
        ).scalar()
        if new_id is not None:
            filed.append(str(new_id))
    db.session.flush()
    return merged_pair, before, filed


def merge_citizens(
    actor: Actor,
    survivor_id: uuid.UUID,
    duplicate_id: uuid.UUID,
    fields: Mapping[str, str] | None = None,
    expected_version: int | None = None,
) -> Merge:
    """Merge the duplicate record into the survivor, in one transaction with its audit entries
    and ``citizen.merged`` event.

    The survivor takes each field by ``survivorship``'s rule (``fields`` overrides per field),
    every list row of the duplicate (kept once where both hold it) and every row of another
    domain that names the duplicate (``references``); the duplicate becomes a tombstone
    (``status: merged``, ``merged_into``). Both records, as they were, are kept in the merge
    for undo.

    :param duplicate_id: the duplicate citizen, or a review item between the two records.
    :param expected_version: the survivor's version the caller read (If-Match), if given.
    :raises ValidationError: a record merged into itself; unknown field choices.
    :raises NotFound: no such citizen.
    :raises PreconditionFailed: the survivor changed since ``expected_version``.
    :raises Conflict: either record is already merged (naming the live record); the records
        hold different identifiers of one system.
    :raises NotAuthorized: a record holds contacts or cases of departments the caller may not
        see.
    """
    try:
        if duplicate_id == survivor_id:
            raise ValidationError(
                "a record cannot be merged into itself",
                errors={"duplicate_id": ["the survivor itself"]},
            )
        duplicate_id = _resolve_duplicate(survivor_id, duplicate_id)
        rows = lock_citizens([survivor_id, duplicate_id])
        survivor, duplicate = dict(rows[survivor_id]), dict(rows[duplicate_id])
        refuse_tombstone(survivor, "survivor")
        refuse_tombstone(duplicate, "duplicate")
        if expected_version is not None and survivor["version"] != expected_version:
            raise PreconditionFailed(
                f"the survivor changed since version {expected_version}; it is now version "
                f"{survivor['version']}",
                current_version=survivor["version"],
            )
        check_may_touch(actor, (survivor, duplicate), hidden=NotAuthorized)
        merge = _merge(actor, survivor, duplicate, fields)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return merge


def _merge(
    actor: Actor,
    survivor: dict[str, Any],
    duplicate: dict[str, Any],
    requested: Mapping[str, str] | None,
) -> Merge:
    survivor_id, duplicate_id = survivor["id"], duplicate["id"]
    snapshot = take_snapshot([survivor_id, duplicate_id])
    plain = {row["id"]: row for row in snapshot[CITIZENS.name]}
    s_row, d_row = plain[str(survivor_id)], plain[str(duplicate_id)]
    chosen = survivorship.choose_fields(s_row, d_row, requested)
    values = survivorship.merged_values(s_row, d_row, chosen)
    previous = survivorship.previous_names(s_row, d_row, snapshot["citizen_names"], values)
    summary = _apply_lists(snapshot, str(survivor_id), str(duplicate_id))
    names = CitizenName.__table__
    db.session.execute(delete(names).where(names.c.citizen_id.in_([survivor_id, duplicate_id])))
    _write_names(survivor_id, values, previous)
    now = utcnow()
    survivor_version = next_version(survivor["version"], survivor["highest_version"])
    duplicate_version = next_version(duplicate["version"], duplicate["highest_version"])
    shares = survivorship.shares_after(s_row, snapshot["consents"])
    values["date_of_birth"] = normalize_date(values["date_of_birth"])
    values["date_of_death"] = normalize_date(values["date_of_death"])
    db.session.execute(
        update(CITIZENS)
        .where(CITIZENS.c.id == survivor_id)
        .values(
            **values,
            shares_across_government=shares,
            version=survivor_version,
            updated_at=now,
        )
    )
    db.session.execute(
        update(CITIZENS)
        .where(CITIZENS.c.id == duplicate_id)
        .values(
            status="merged",
            merged_into_id=survivor_id,
            version=duplicate_version,
            updated_at=now,
        )
    )
    moved_rows = references.move_rows(duplicate_id, survivor_id)
    merge_id = uuid.uuid4()
    pair_id, pairs_before, pairs_filed = _settle_pairs(actor, merge_id, survivor_id, duplicate_id)
    summary.update({key: {"moved": len(keys), "kept_once": 0} for key, keys in moved_rows.items()})
    merge = Merge(
        id=merge_id,
        survivor_id=survivor_id,
        duplicate_id=duplicate_id,
        pair_id=pair_id,
        fields=chosen,
        snapshot=snapshot,
        moved={
            "rows": moved_rows,
            "summary": summary,
            "pairs_before": pairs_before,
            "pairs_filed": pairs_filed,
            "lists_after": {
                "survivor": lists_digest(survivor_id),
                "duplicate": lists_digest(duplicate_id),
            },
            "counts_after": references.count_rows(survivor_id),
        },
        survivor_version=survivor_version,
        duplicate_version=duplicate_version,
        merged_at=now,
        merged_by=actor.principal.ref,
    )
    db.session.add(merge)
    db.session.flush()
    record_access(
        actor, "citizen.merged", sorted([survivor_id, duplicate_id]), fields=sorted(summary)
    )
    add_event(
        "citizen.merged",
        "citizen",
        survivor_id,
        {
            "merge_id": str(merge_id),
            "survivor_id": str(survivor_id),
            "duplicate_id": str(duplicate_id),
            "moved": {key: value["moved"] for key, value in summary.items()},
        },
    )
    return merge


def get_merge(actor: Actor, merge_id: uuid.UUID) -> Merge:
    """One merge, as the caller may see it; the read is audited for both records.

    :raises NotFound: no such merge, or one of records the caller may not see whole.
    """
    try:
        merge = db.session.get(Merge, merge_id)
        if merge is None:
            raise NotFound(f"no merge with id {merge_id}")
        rows = db.session.execute(
            select(CITIZENS).where(CITIZENS.c.id.in_([merge.survivor_id, merge.duplicate_id]))
        ).mappings()
        check_may_touch(actor, list(rows), hidden=NotFound)
        record_access(actor, "citizen.merge_read", sorted([merge.survivor_id, merge.duplicate_id]))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return merge
