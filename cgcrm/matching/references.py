"""Rows of other domains that name a citizen, found from the schema rather than imported.

A merge moves every row that references the duplicate citizen to the survivor: contacts, cases,
survey invitations and whatever a later domain adds (payments), without ``matching`` importing
those domains (``cgcrm.layers``). The columns are discovered from ``db.metadata``: every foreign
key to ``citizens.id``, except the record's own lists (moved by explicit survivorship rules,
``cgcrm.matching.survivorship``) and the tables that must keep naming the record they named
(``NOT_MOVED``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Table,
    and_,
    exists,
    false,
    func,
    or_,
    select,
    true,
    tuple_,
)

from cgcrm.citizens import sharing
from cgcrm.citizens.models import Address, CitizenName, Consent, ContactPoint, ExternalIdentifier
from cgcrm.core.principal import Actor
from cgcrm.extensions import db

# The citizen record's own lists: survivorship decides what moves, what is kept once.
RECORD_LISTS: tuple[Any, ...] = (CitizenName, ContactPoint, Address, ExternalIdentifier, Consent)

# Tables that keep naming the record they named: the tombstone link itself, the review items and
# merges (history of the decision), an import's row outcomes (what the import did then), and the
# audit trail (append-only).
NOT_MOVED = frozenset(
    {
        "citizens",
        "duplicate_pairs",
        "merges",
        "import_rows",
        "audit_events",
        "audit_seals",
        "audit_checkpoints",
    }
)


@dataclass(frozen=True)
class Reference:
    """One column that names a citizen, in a table another domain owns."""

    table: Table
    column: Column[Any]

    @property
    def key(self) -> str:
        return f"{self.table.name}.{self.column.name}"

    @property
    def primary_key(self) -> list[Column[Any]]:
        return list(self.table.primary_key.columns)


def moved_references() -> list[Reference]:
    """Every column with a foreign key to ``citizens.id`` that a merge moves, in table order.

    Read from ``db.metadata`` at call time: the application has imported every model by then.
    """
    own = {model.__table__.name for model in RECORD_LISTS} | NOT_MOVED
    found: list[Reference] = []
    for table in db.metadata.sorted_tables:
        if table.name in own:
            continue
        for column in table.columns:
            if any(fk.target_fullname == "citizens.id" for fk in column.foreign_keys):
                found.append(Reference(table, column))
    return found


def department_held() -> list[Reference]:
    """The references whose rows belong to a department (a ``department_id`` column): contacts
    and cases, which other departments may see only under ``cgcrm.citizens.sharing``'s rule."""
    return [ref for ref in moved_references() if "department_id" in ref.table.c]


def holds_hidden_rows(actor: Actor, citizen_id: Any) -> ColumnElement[bool]:
    """SQL: the citizen has a contact, case (…) of a department ``actor`` may not see, whatever
    the citizen's sharing consent (the caller combines that)."""
    if sharing.sees_every_department(actor):
        return false()
    own = actor.principal.department_id
    clauses = []
    for ref in department_held():
        other_department = ref.table.c.department_id != own if own is not None else true()
        clauses.append(exists().where(ref.column == citizen_id, other_department))
    return or_(*clauses) if clauses else false()


def visible_whole(actor: Actor, citizen_id: Any, shares: Any) -> ColumnElement[bool]:
    """SQL: ``actor`` may see everything a merge of this citizen would move.

    :param citizen_id: the citizen's id column (or value).
    :param shares: its ``shares_across_government`` column (or value).
    """
    if sharing.sees_every_department(actor):
        return true()
    if shares is True:
        return true()
    hidden = holds_hidden_rows(actor, citizen_id)
    if shares is False:
        return ~hidden
    return or_(shares.is_(True), ~hidden)


def move_rows(source: uuid.UUID, target: uuid.UUID) -> dict[str, list[list[str]]]:
    """Point every moved reference to ``source`` at ``target``; the primary keys moved, by
    ``table.column`` (what undo puts back)."""
    moved: dict[str, list[list[str]]] = {}
    for ref in moved_references():
        keys = db.session.execute(
            ref.table.update()
            .where(ref.column == source)
            .values({ref.column.name: target})
            .returning(*ref.primary_key)
        ).all()
        if keys:
            moved[ref.key] = sorted([str(value) for value in key] for key in keys)
    return moved


def count_rows(citizen_id: uuid.UUID) -> dict[str, int]:
    """How many rows of each moved reference name ``citizen_id`` (undo's test that nothing was
    added since)."""
    counts: dict[str, int] = {}
    for ref in moved_references():
        counts[ref.key] = int(
            db.session.scalar(
                select(func.count()).select_from(ref.table).where(ref.column == citizen_id)
            )
            or 0
        )
    return counts


def _key_values(ref: Reference, keys: Sequence[Sequence[str]]) -> list[tuple[Any, ...]]:
    columns = ref.primary_key
    return [
        tuple(column.type.python_type(value) for column, value in zip(columns, key, strict=True))
        for key in keys
    ]


def _by_key(ref: Reference, keys: Sequence[Sequence[str]]) -> ColumnElement[bool]:
    values = _key_values(ref, keys)
    columns = ref.primary_key
    if len(columns) == 1:
        return columns[0].in_([value[0] for value in values])
    return tuple_(*columns).in_(values)


def rows_still_at(moved: dict[str, list[list[str]]], target: uuid.UUID) -> dict[str, int]:
    """Of the rows a merge moved to ``target``, how many per reference no longer name it."""
    refs = {ref.key: ref for ref in moved_references()}
    gone: dict[str, int] = {}
    for key, keys in moved.items():
        ref = refs.get(key)
        if ref is None or not keys:
            continue
        still = db.session.scalar(
            select(func.count())
            .select_from(ref.table)
            .where(and_(_by_key(ref, keys), ref.column == target))
        )
        if int(still or 0) != len(keys):
            gone[key] = len(keys) - int(still or 0)
    return gone


def move_back(moved: dict[str, list[list[str]]], source: uuid.UUID, target: uuid.UUID) -> None:
    """Point the rows a merge moved from ``source`` to ``target`` back at ``source``."""
    refs = {ref.key: ref for ref in moved_references()}
    for key, keys in moved.items():
        ref = refs[key]
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            db.session.execute(
                ref.table.update()
                .where(_by_key(ref, chunk), ref.column == target)
                .values({ref.column.name: source})
            )
