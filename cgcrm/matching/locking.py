"""What merge and undo share: both citizen rows locked in one order, and the caller's right to
touch them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from cgcrm.citizens.tombstones import live_record_id
from cgcrm.core.errors import Conflict, NotAuthorized, NotFound
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.matching.references import visible_whole
from cgcrm.matching.snapshot import CITIZENS


def lock_citizens(citizen_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Lock the citizens' rows (``FOR UPDATE``) in id order, so two merges or undos touching the
    same record wait for each other instead of deadlocking; their rows by id.

    ``FOR UPDATE`` also waits for writers that hold the row's key-share lock (a contact or case
    being recorded against it, through its foreign key), so what they add is moved too.

    :raises NotFound: a citizen does not exist.
    """
    rows: dict[uuid.UUID, Any] = {}
    for citizen_id in sorted(set(citizen_ids)):
        query = select(CITIZENS).where(CITIZENS.c.id == citizen_id).with_for_update()
        row = db.session.execute(query).mappings().first()
        if row is None:
            raise NotFound(f"no citizen with id {citizen_id}")
        rows[citizen_id] = row
    return rows


def refuse_tombstone(row: Any, role: str) -> None:
    """:raises Conflict: the record was merged, naming the live record to use instead."""
    if row["status"] != "merged":
        return
    live = live_record_id(row["merged_into_id"])
    raise Conflict(
        f"the {role} {row['id']} was merged into {row['merged_into_id']}"
        + (f"; its person now lives in {live}" if live else ""),
        merged_into=str(row["merged_into_id"]),
        live_record=str(live) if live else None,
    )


def check_may_touch(actor: Actor, rows: Iterable[Any], *, hidden: type[Exception]) -> None:
    """Both records must be visible whole to the caller: a merge moves every contact and case,
    so a department may merge only records whose contacts and cases it may see (the citizen
    shares across government, or they are its own, or it holds ``cross_department``).

    :raises hidden: (``NotAuthorized`` or ``NotFound``) one of them holds records of a
        department the caller may not see.
    """
    for row in rows:
        visible = db.session.scalar(
            select(visible_whole(actor, CITIZENS.c.id, CITIZENS.c.shares_across_government)).where(
                CITIZENS.c.id == row["id"]
            )
        )
        if not visible:
            if hidden is NotFound:
                raise NotFound("no such merge among the records you may see")
            raise NotAuthorized(
                f"citizen {row['id']} has contacts or cases of departments you may not see; "
                "merging would move them: ask someone with the cross_department scope"
            )
